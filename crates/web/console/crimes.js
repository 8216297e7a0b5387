// Crime recording: the recorder's queue of reports awaiting the NCRS decision (live), the
// decision itself (offences in, the counting rules' answer and reasons out, then the crimes
// recorded; or a non-crime decision with its rationale), a crime reported directly, a crime's
// own page (history, reclassification, HOCR Section C removal), the registrar's removals
// awaiting approval, and the crime data integrity check. The server checks every role again.
import { api, bornText, dateTime, el, live, may, say, start } from "./common.js";
import { stageText } from "./casework.js";

const $ = (id) => document.getElementById(id);
const me = await start();
// What this user may do here is the server's list of their permissions.
const mayRecord = may(me, "record_crime");
const mayInvestigate = may(me, "investigate");

const reference = await api("GET", "/api/v1/reference");
const offences = new Map(reference.offences.map((o) => [o.code.toUpperCase(), o]));
$("offence-list").replaceChildren(...reference.offences.map((o) => el("option", { value: o.code }, `${o.name} (${o.group})`)));

let current = null; // the incident being decided
let counted = null; // the counting rules' last answer, with the facts it was asked about

function announce(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = !text;
}

function minutes(n) {
  if (n < 60) return `${n} min`;
  return `${Math.floor(n / 60)} h ${String(n % 60).padStart(2, "0")} min`;
}

// Where the 24-hour clock stands, in words a recorder reads at a glance.
function clockText(clock) {
  if (!clock) return "Not a report of crime by its codes: no NCRS clock.";
  switch (clock.state) {
    case "running":
      return `Decision due by ${dateTime(clock.due_at)} (${minutes(clock.minutes)} left)`;
    case "overdue":
      return `OVERDUE by ${minutes(clock.minutes)}: decision was due ${dateTime(clock.due_at)}`;
    case "decided_on_time":
      return `Decided on time (${dateTime(clock.decided_at)})`;
    default:
      return `Decided ${minutes(clock.minutes)} late (${dateTime(clock.decided_at)})`;
  }
}

function openButton(id, reference) {
  return el("button", { type: "button", "aria-label": `Open incident ${reference}`, onclick: () => openIncident(id) }, "Open");
}

async function loadQueue() {
  const rows = $("queue-rows");
  try {
    const queue = await api("GET", "/api/v1/crime-recording/queue");
    const select = $("non-crime-reason");
    if (!select.options.length) {
      select.replaceChildren(
        el("option", { value: "" }, "Choose a reason"),
        ...queue.non_crime_reasons.map((r) => el("option", { value: r.code }, r.label)),
      );
    }
    rows.replaceChildren(
      ...queue.reports.map((r) =>
        el(
          "tr",
          {
            // Overdue, or due within two hours: the ones to take first.
            class: r.clock.state === "overdue" ? "overdue" : r.clock.minutes < 120 ? "due-soon" : null,
          },
          el("td", {}, r.incident.reference),
          el("td", {}, dateTime(r.clock.reported_at)),
          el("td", {}, clockText(r.clock)),
          el("td", {}, r.incident.incident_type || ""),
          el("td", {}, r.incident.summary),
          el("td", {}, openButton(r.incident.id, r.incident.reference)),
        ),
      ),
    );
    if (!queue.reports.length) rows.append(el("tr", {}, el("td", { colspan: "6" }, "Nothing awaiting a decision.")));
  } catch (e) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: "6" }, e.message)));
  }
}

// One row of the offences table; `at` is a local date-time for the input.
function offenceRow(values = {}) {
  const row = el(
    "tr",
    { class: "offence" },
    el("td", {}, el("input", { class: "class", list: "offence-list", "aria-label": "Offence classification", placeholder: "e.g. 8N", value: values.class || "" })),
    el("td", {}, el("input", { class: "victim", "aria-label": "Victim's name", value: values.victim || "", placeholder: values.victimHint || null })),
    el("td", {}, el("input", { class: "suspect", "aria-label": "Suspect's name", value: values.suspect || "" })),
    el("td", {}, el("input", { class: "at", type: "datetime-local", "aria-label": "When it happened", value: values.at || "" })),
    el("td", {}, el("button", { type: "button", "aria-label": "Remove this offence", onclick: () => row.remove() }, "Remove")),
  );
  return row;
}

// An ISO time as the value a datetime-local input shows (the browser's own time zone).
function localInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function reportedAt(incident) {
  const clock = incident.crime_recording.clock;
  return clock ? clock.reported_at : incident.contacts[0].received_at;
}

// Nothing typed for one incident may carry over to the next: the modus operandi, the
// offences, the counting rules' answer, the people matched and the non-crime reason.
function clearDecision() {
  $("offences-form").reset();
  $("non-crime-form").reset();
  $("suggestion-title").textContent = "";
  $("suggested-crimes").replaceChildren();
  $("people-matches").replaceChildren();
  $("record-crimes").disabled = false;
  $("record-crimes").hidden = false;
}

function showIncident(incident) {
  current = incident;
  counted = null;
  clearDecision();
  $("decision").hidden = false;
  $("suggestion").hidden = true;
  $("decision-title").textContent = `Recording decision · incident ${incident.reference}`;
  const recording = incident.crime_recording;
  $("decision-clock").textContent = clockText(recording.clock);
  const first = incident.contacts[0];
  const qualifiers = incident.qualifiers.length ? ` · ${incident.qualifiers.join(", ")}` : "";
  $("decision-summary").textContent = `${incident.incident_type || "No incident type"}${qualifiers} · ${first ? `${first.location.text}: ${first.summary}` : ""}`;
  $("decision-indicators").replaceChildren(
    ...(recording.indicators.length ? recording.indicators : ["Nothing in the codes or account suggests a crime."]).map((text) => el("li", {}, text)),
  );
  const made = [
    ...recording.crimes.map((c) =>
      el(
        "li",
        { class: "crime" },
        `Crime ${c.reference}: ${c.classification}${c.classification_name ? ` ${c.classification_name}` : ""} · recorded by ${c.by} ${dateTime(c.at)} `,
        el("button", { type: "button", onclick: () => openCrime(c.id) }, `Open crime ${c.reference}`),
      ),
    ),
  ];
  if (recording.non_crime) {
    const n = recording.non_crime;
    made.push(el("li", {}, `Non-crime decision: ${n.reason_label} · ${n.rationale} · ${n.by} ${dateTime(n.at)}`));
  }
  $("decision-made").replaceChildren(...(made.length ? made : [el("li", {}, "No decision recorded yet.")]));
  const at = localInput(reportedAt(incident));
  // The victim, as the caller said: the first caller who is the victim; otherwise the
  // recorder names them (the caller may be a witness or a neighbour).
  const victimCaller = incident.contacts.find((c) => c.caller.is_victim);
  const victimHint = !victimCaller && first ? `Caller ${first.caller.name} is not the victim` : null;
  $("offence-rows").replaceChildren(offenceRow({ at, victim: victimCaller ? victimCaller.caller.name : "", victimHint }));
  $("offences-form").hidden = !mayRecord;
  $("non-crime-form").hidden = !mayRecord || !!recording.non_crime || recording.crimes.length > 0;
  for (const id of ["offences-error", "record-error", "non-crime-error"]) $(id).textContent = "";
}

async function openIncident(id) {
  try {
    showIncident(await api("GET", `/api/v1/incidents/${id}`));
    $("decision-title").scrollIntoView();
    $("offence-rows").querySelector("input").focus();
  } catch (e) {
    announce(e.message);
  }
}

// ---- People named: matched to person records already held (POLE), never duplicated silently ----


// Each name looked up with the intelligence search (audited, as every search is): people
// whose name matches closely, and for a caller, people with the caller's phone number.
async function matchPeople(entries) {
  const found = [];
  for (const entry of entries) {
    const body = { name: entry.name };
    if (entry.phone) body.phone = entry.phone;
    const answer = await api("POST", "/api/v1/search", body);
    const byId = new Map();
    for (const h of answer.people) if (!h.merged_into && h.score >= 0.8) byId.set(h.id, { ...h });
    for (const h of answer.phone) {
      if (h.kind !== "person" || h.merged_into) continue;
      const known = byId.get(h.id);
      byId.set(h.id, known ? { ...known, reasons: [...known.reasons, ...h.reasons] } : { ...h });
    }
    found.push({ ...entry, matches: [...byId.values()].slice(0, 3) });
  }
  return found;
}

// The choice for each name that matches someone on record: use that record, or a new one.
function renderMatches(container, found, choices, prefix) {
  container.replaceChildren(
    ...found
      .filter((f) => f.matches.length)
      .map((f, i) =>
        el(
          "fieldset",
          { "data-name": f.name },
          el("legend", {}, `${f.name}${f.roles ? ` (${f.roles.join(", ")})` : ""}: already on record?`),
          ...f.matches.map((h) =>
            el(
              "label",
              {},
              el("input", { type: "radio", name: `${prefix}-${i}`, value: h.id, checked: choices.get(f.name) === h.id, onchange: () => choices.set(f.name, h.id) }),
              `Use existing record: ${h.label}, ${bornText(h.born)}${h.reasons.length ? ` (${h.reasons.join("; ")})` : ""}`,
            ),
          ),
          el(
            "label",
            {},
            el("input", { type: "radio", name: `${prefix}-${i}`, value: "new", checked: choices.get(f.name) === "new", onchange: () => choices.set(f.name, "new") }),
            `Create a new record for ${f.name}`,
          ),
        ),
      ),
  );
}

// The first name that matches someone on record and has no choice yet; focus goes there.
function unchosen(container, found, choices) {
  const missing = found.find((f) => f.matches.length && !choices.has(f.name));
  if (!missing) return null;
  const set = [...container.querySelectorAll("fieldset")].find((s) => s.dataset.name === missing.name);
  set?.querySelector("input")?.focus();
  return `${missing.name} may already be on record: choose the existing record or a new one before recording.`;
}

// The facts as a counting-rules case (the format of `controlroom hocr count`).
function caseFromForm() {
  const victims = new Map();
  const suspects = new Map();
  const facts = [];
  const rows = [...$("offence-rows").querySelectorAll("tr.offence")];
  if (!rows.length) throw new Error("Add at least one offence.");
  rows.forEach((row, i) => {
    const value = (cls) => row.querySelector(`.${cls}`).value.trim();
    const code = value("class");
    const known = offences.get(code.toUpperCase());
    if (!known) throw new Error(`Row ${i + 1}: '${code}' is not a Home Office offence classification.`);
    if (!value("at")) throw new Error(`Row ${i + 1}: say when the offence happened.`);
    const victimName = value("victim");
    if (victimName && !victims.has(victimName)) {
      victims.set(victimName, { id: `V${victims.size + 1}`, kind: known.victim === "organisation" ? "organisation" : "person", name: victimName });
    }
    const suspectName = value("suspect");
    if (suspectName && !suspects.has(suspectName)) suspects.set(suspectName, { id: `S${suspects.size + 1}`, name: suspectName });
    facts.push({
      id: `F${i + 1}`,
      class: known.code,
      victim: victimName ? victims.get(victimName).id : null,
      offenders: suspectName ? [suspects.get(suspectName).id] : [],
      at: new Date(value("at")).toISOString(),
      place: "P1",
      report: "R1",
    });
  });
  return {
    victims,
    suspects,
    facts,
    body: {
      id: current.reference,
      reports: [{ id: "R1", at: reportedAt(current) }],
      victims: [...victims.values()].map(({ id, kind }) => ({ id, kind })),
      offenders: [...suspects.values()].map(({ id }) => ({ id })),
      offences: facts,
    },
  };
}

// The engine names victims and offences by the case's ids (V1, F2): show names and rows.
function readable(rule, nameOf) {
  return rule
    .replace(/\bV(\d+)\b/g, (id) => nameOf.get(id) || id)
    .replace(/\bF(\d+)\b/g, (_, n) => `offence row ${n}`);
}

$("add-offence").addEventListener("click", () => {
  const row = offenceRow({ at: localInput(reportedAt(current)) });
  $("offence-rows").append(row);
  row.querySelector("input").focus();
});

$("offences-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("offences-error").textContent = "";
  let asked;
  try {
    asked = caseFromForm();
    const answer = await api("POST", "/api/v1/hocr/count", asked.body);
    counted = { ...asked, answer };
  } catch (e) {
    $("offences-error").textContent = e.message;
    return;
  }
  const nameOf = new Map([...counted.victims.values()].map((v) => [v.id, v.name]));
  const crimes = counted.answer.crimes;
  $("suggestion-title").textContent = `The counting rules say: record ${crimes.length} crime${crimes.length === 1 ? "" : "s"}`;
  $("suggested-crimes").replaceChildren(
    ...crimes.map((c) => {
      const name = offences.get(c.class.toUpperCase())?.name || "";
      const victims = c.victims.length ? c.victims.map((v) => nameOf.get(v)).join(", ") : "no individual victim";
      return el(
        "li",
        { class: "suggested" },
        el("strong", {}, `${c.class} ${name} · ${victims}`),
        el("ul", {}, ...c.rules.map((rule) => el("li", { class: "rule" }, readable(rule, nameOf)))),
      );
    }),
    ...(counted.answer.not_recorded || []).map((n) => el("li", {}, `Not recorded: offence ${n.offence}: ${n.reason}`)),
  );
  $("record-crimes").hidden = crimes.length === 0;
  $("record-crimes").disabled = false;
  $("record-error").textContent = "";
  // Everyone named (not organisations), once, with their parts in the crimes.
  const named = new Map();
  const phoneOf = new Map(current.contacts.filter((c) => c.caller.phone).map((c) => [c.caller.name, c.caller.phone]));
  for (const v of counted.victims.values()) if (v.kind !== "organisation") named.set(v.name, { name: v.name, roles: ["victim"], phone: phoneOf.get(v.name) });
  for (const s of counted.suspects.values()) {
    if (named.has(s.name)) named.get(s.name).roles.push("suspect");
    else named.set(s.name, { name: s.name, roles: ["suspect"], phone: phoneOf.get(s.name) });
  }
  counted.choices = new Map();
  $("people-matches").replaceChildren();
  $("suggestion").hidden = false;
  const asking = counted;
  try {
    const found = await matchPeople([...named.values()]);
    if (counted !== asking) return;
    counted.found = found;
    renderMatches($("people-matches"), found, counted.choices, "match");
  } catch (e) {
    counted.found = [];
    $("people-matches").replaceChildren(el("p", { class: "form-error", role: "alert" }, `Could not check for people already on record (${e.message}); new person records will be made.`));
  }
  const first = $("people-matches").querySelector("input");
  (first || $("record-crimes")).focus();
});

// Each decided crime becomes a crime record; the people named are recorded once each.
$("record-crimes").addEventListener("click", async () => {
  if (!counted) return;
  const button = $("record-crimes");
  $("record-error").textContent = "";
  const choices = counted.choices || new Map();
  const waiting = unchosen($("people-matches"), counted.found || [], choices);
  if (waiting) {
    $("record-error").textContent = waiting;
    return;
  }
  button.disabled = true;
  const people = counted.people || new Map();
  const phoneOf = new Map((counted.found || []).filter((f) => f.phone && f.roles.includes("victim")).map((f) => [f.name, f.phone]));
  // The record chosen for a name, or a new one (with the caller's phone for a caller).
  const personOnce = async (name) => {
    if (!people.has(name)) {
      const chosen = choices.get(name);
      if (chosen && chosen !== "new") people.set(name, chosen);
      else {
        const draft = { names: [name] };
        if (phoneOf.get(name)) draft.phones = [phoneOf.get(name)];
        people.set(name, (await api("POST", "/api/v1/people", draft)).id);
      }
    }
    return people.get(name);
  };
  const byId = new Map(counted.facts.map((f) => [f.id, f]));
  const victimName = new Map([...counted.victims.values()].map((v) => [v.id, v.name]));
  const suspectName = new Map([...counted.suspects.values()].map((s) => [s.id, s.name]));
  const victimKind = new Map([...counted.victims.values()].map((v) => [v.id, v.kind]));
  // A retry after a failure records only what is not yet recorded, with the same people.
  counted.recorded = counted.recorded || new Map();
  counted.people = counted.people || people;
  const recorded = [...counted.recorded.values()];
  try {
    for (const [index, crime] of counted.answer.crimes.entries()) {
      if (counted.recorded.has(index)) continue;
      const facts = crime.offences.map((id) => byId.get(id));
      // Everyone harmed by an offence the crime covers is on it (a robbery's injured too);
      // an organisation is named in the account, as it has no person record.
      const victims = [...new Set([...crime.victims, ...facts.map((f) => f.victim).filter(Boolean)])];
      const parties = [];
      const organisations = [];
      for (const v of victims) {
        if (victimKind.get(v) === "organisation") organisations.push(victimName.get(v));
        else parties.push({ person: await personOnce(victimName.get(v)), role: "victim" });
      }
      const suspects = [...new Set(facts.flatMap((f) => f.offenders))];
      for (const s of suspects) parties.push({ person: await personOnce(suspectName.get(s)), role: "suspect" });
      const from = facts.map((f) => f.at).sort()[0];
      const account = $("mo").value.trim();
      // One key per suggested crime, kept across retries: a save whose answer was lost is
      // answered again by the server instead of recorded twice.
      counted.keys = counted.keys || new Map();
      if (!counted.keys.has(index)) counted.keys.set(index, crypto.randomUUID());
      const saved = await api(
        "POST",
        `/api/v1/incidents/${current.id}/crimes`,
        {
          classification: crime.class,
          parties,
          offence_from: from,
          modus_operandi: organisations.length ? `Victim organisation: ${organisations.join(", ")}. ${account}`.trim() : account,
        },
        counted.keys.get(index),
      );
      counted.recorded.set(index, saved.reference);
      recorded.push(saved.reference);
    }
    counted.done = true;
  } catch (e) {
    $("record-error").textContent = recorded.length
      ? `Recorded ${recorded.join(", ")}, then: ${e.message}`
      : e.message;
  }
  button.disabled = !!counted.done;
  if (recorded.length) {
    announce(`Recorded ${recorded.join(", ")} from incident ${current.reference}.`);
    showIncident(await api("GET", `/api/v1/incidents/${current.id}`));
    loadQueue();
  }
});

$("non-crime-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("non-crime-error").textContent = "";
  try {
    const changed = await api(
      "POST",
      `/api/v1/incidents/${current.id}/non-crime`,
      { reason: $("non-crime-reason").value, rationale: $("non-crime-rationale").value },
      crypto.randomUUID(),
    );
    announce(`Non-crime decision recorded for incident ${current.reference}.`);
    $("non-crime-rationale").value = "";
    showIncident(changed.incident);
    loadQueue();
  } catch (e) {
    $("non-crime-error").textContent = e.message;
  }
});

// ---- One crime record: its history, reclassification and removal (HOCR Sections B, C) ----

const mayApprove = may(me, "approve_crime_cancellation");
let crime = null;
$("removal-reason").replaceChildren(
  el("option", { value: "" }, "Choose a Section C reason"),
  ...reference.crime_removal_reasons.map((r) => el("option", { value: r.code }, `${r.code}: ${r.name}`)),
);

function showCrime(c) {
  crime = c;
  $("crime").hidden = false;
  $("crime-title").textContent = `Crime ${c.reference}`;
  const words = { recorded: "Recorded", removal_requested: "Removal requested: awaiting the crime registrar", removed: "Removed (kept on file)" };
  $("crime-status").textContent = `${words[c.status] || c.status} · ${c.classification}${c.classification_name ? ` ${c.classification_name}` : ""}`;
  $("crime-facts").replaceChildren(
    el("li", {}, `Reported ${dateTime(c.reported_at)}; happened from ${dateTime(c.offence_from)}${c.offence_to ? ` to ${dateTime(c.offence_to)}` : ""}`),
    el("li", {}, c.incident_references && c.incident_references.length ? `From incident ${c.incident_references.join(", ")}` : "Reported directly (no incident)"),
    el("li", {}, `Where: ${c.location}`),
    el("li", {}, `Recorded by ${c.recorded_by} ${dateTime(c.recorded_at)}`),
    el(
      "li",
      {},
      "People: ",
      ...(c.parties.length
        ? c.parties.flatMap((p, i) => [
            i ? ", " : "",
            // Opening the person's record is itself an audited look, so it is one click away.
            el("a", { href: `/console/records/person/${encodeURIComponent(p.person)}`, target: "_blank" }, say(p.role)),
          ])
        : ["none linked"]),
    ),
    c.modus_operandi ? el("li", {}, `Modus operandi: ${c.modus_operandi}`) : null,
    // After recording: screening, enquiries, the victim and the outcome, on their own page.
    c.stage
      ? el(
          "li",
          { class: "investigation-stage" },
          `Investigation: ${stageText(c.stage)}`,
          mayInvestigate && c.status !== "removed"
            ? el("a", { id: "open-investigation", href: `/console/investigations?crime=${encodeURIComponent(c.id)}` }, `Open the investigation of ${c.reference}`)
            : null,
        )
      : null,
  );
  $("crime-history").replaceChildren(
    el("li", {}, `First recorded as ${c.first_classification}`),
    ...c.reclassifications.map((r) => el("li", {}, `${r.from} → ${r.to} by ${r.by} ${dateTime(r.at)}: ${r.reason}`)),
  );
  const standing = c.status === "recorded";
  $("reclassify-form").hidden = !mayRecord || c.status === "removed";
  $("removal-form").hidden = !mayRecord || !standing;
  const pending = c.status === "removal_requested";
  $("removal-decision").hidden = !pending;
  if (c.cancellation) {
    const k = c.cancellation;
    $("removal-request").textContent = `${k.reason}: ${k.reason_label} · asked by ${k.requested_by}: ${k.rationale}${k.approved_by ? ` · approved by ${k.approved_by}` : ""}`;
  }
  $("approve-removal").hidden = !mayApprove;
  $("decline-removal").hidden = !mayApprove;
  $("decline-note").hidden = !mayApprove;
  document.querySelector('label[for="decline-note"]').hidden = !mayApprove;
  for (const id of ["reclassify-error", "removal-error", "decision-error"]) $(id).textContent = "";
}

async function openCrime(id) {
  try {
    showCrime(await api("GET", `/api/v1/crimes/${id}`));
    $("crime-title").scrollIntoView();
  } catch (e) {
    announce(e.message);
  }
}

async function loadRemovals() {
  const rows = $("removal-rows");
  try {
    const list = await api("GET", "/api/v1/crimes?status=removal_requested");
    rows.replaceChildren(
      ...list.crimes.map((c) =>
        el(
          "tr",
          {},
          el("td", {}, c.reference),
          el("td", {}, `${c.classification}${c.classification_name ? ` ${c.classification_name}` : ""}`),
          el("td", {}, dateTime(c.recorded_at)),
          el("td", {}, c.location),
          el("td", {}, el("button", { type: "button", "aria-label": `Open crime ${c.reference}`, onclick: () => openCrime(c.id) }, "Open")),
        ),
      ),
    );
    if (!list.crimes.length) rows.append(el("tr", {}, el("td", { colspan: "5" }, "No removals awaiting approval.")));
  } catch (e) {
    rows.replaceChildren(el("tr", {}, el("td", { colspan: "5" }, e.message)));
  }
}

// Send a change to the crime; show the new record, or the problem beside the form.
async function changeCrime(path, body, errorId, done) {
  $(errorId).textContent = "";
  try {
    showCrime(await api("POST", `/api/v1/crimes/${crime.id}/${path}`, body));
    announce(done);
    loadRemovals();
  } catch (e) {
    $(errorId).textContent = e.message;
  }
}

$("reclassify-form").addEventListener("submit", (event) => {
  event.preventDefault();
  changeCrime(
    "reclassify",
    { classification: $("reclassify-class").value.trim(), reason: $("reclassify-reason").value },
    "reclassify-error",
    `Crime ${crime.reference} reclassified.`,
  );
});
$("removal-form").addEventListener("submit", (event) => {
  event.preventDefault();
  changeCrime(
    "cancellation",
    { reason: $("removal-reason").value, rationale: $("removal-rationale").value },
    "removal-error",
    `Removal of crime ${crime.reference} asked for: the crime registrar decides.`,
  );
});
$("approve-removal").addEventListener("click", () =>
  changeCrime("cancellation/approve", {}, "decision-error", `Crime ${crime.reference} removed; it stays on file.`),
);
$("decline-removal").addEventListener("click", () =>
  changeCrime("cancellation/decline", { note: $("decline-note").value }, "decision-error", `Removal of crime ${crime.reference} declined.`),
);

// A crime reported directly (online, at the counter): one form, one request with a key
// kept until it succeeds, so a retry after a lost answer records it once.
let directKey = null;
let directVictim = null;
let directMatch = null;
$("direct-reported").value = localInput(new Date().toISOString());
$("direct-form").hidden = !mayRecord;
$("direct-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("direct-error").textContent = "";
  const iso = (id) => ($(id).value ? new Date($(id).value).toISOString() : null);
  try {
    if (!iso("direct-reported") || !iso("direct-from")) throw new Error("Say when the report reached us and when the crime happened.");
    const parties = [];
    const victim = $("direct-victim").value.trim();
    if (victim) {
      // Someone of that name on record is offered first; the recorder chooses.
      if (!directMatch || directMatch.name !== victim) {
        directMatch = { name: victim, found: await matchPeople([{ name: victim }]), choices: new Map() };
        renderMatches($("direct-matches"), directMatch.found, directMatch.choices, "direct-match");
      }
      const waiting = unchosen($("direct-matches"), directMatch.found, directMatch.choices);
      if (waiting) throw new Error(waiting);
      const chosen = directMatch.choices.get(victim);
      // Recorded once, even if the crime itself has to be sent again.
      if (!directVictim || directVictim.name !== victim) {
        directVictim = { name: victim, id: chosen && chosen !== "new" ? chosen : (await api("POST", "/api/v1/people", { names: [victim] })).id };
      }
      parties.push({ person: directVictim.id, role: "victim" });
    }
    directKey = directKey || crypto.randomUUID();
    const crime = await api(
      "POST",
      "/api/v1/crimes",
      {
        classification: $("direct-class").value.trim(),
        parties,
        reported_at: iso("direct-reported"),
        offence_from: iso("direct-from"),
        offence_to: iso("direct-to"),
        location: $("direct-where").value,
        modus_operandi: $("direct-mo").value.trim(),
      },
      directKey,
    );
    directKey = null;
    directVictim = null;
    directMatch = null;
    $("direct-matches").replaceChildren();
    $("direct-form").reset();
    $("direct-reported").value = localInput(new Date().toISOString());
    announce(`Recorded ${crime.reference}.`);
    showCrime(crime);
    $("crime-title").scrollIntoView();
  } catch (e) {
    $("direct-error").textContent = e.message;
  }
});

$("run-check").addEventListener("click", async () => {
  const summary = $("check-summary");
  summary.textContent = "Checking…";
  try {
    const check = await api("GET", "/api/v1/crime-recording/integrity-check");
    summary.textContent = `${check.findings.length} of ${check.examined} undecided incidents suggest a crime${check.truncated ? " (more than the check reads at once: narrow the period)" : ""}.`;
    $("check-rows").replaceChildren(
      ...check.findings.map((f) =>
        el(
          "tr",
          {},
          el("td", {}, f.incident.reference),
          el("td", {}, dateTime(f.incident.opened_at)),
          el("td", {}, el("ul", {}, ...f.reasons.map((r) => el("li", {}, r)))),
          el("td", {}, openButton(f.incident.id, f.incident.reference)),
        ),
      ),
    );
  } catch (e) {
    summary.textContent = e.message;
  }
});

await Promise.all([loadQueue(), loadRemovals()]);
// Live: an incident changed somewhere (a new crime report, a decision made elsewhere), so
// the queue is read again, at most every few seconds however busy the room is (each read is
// an audited look at the list).
let pending = null;
const soon = () => {
  if (!pending) pending = setTimeout(() => ((pending = null), loadQueue()), 2000);
};
live($("live-state"), { incident: soon, resync: soon }, soon);
const wanted = new URLSearchParams(location.search);
if (wanted.get("incident")) openIncident(wanted.get("incident"));
if (wanted.get("crime")) openCrime(wanted.get("crime"));
