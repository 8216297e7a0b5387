// Investigations (issue 15): the investigator's queue (their lines of enquiry, crimes to
// screen) and one crime's investigation and victim panels: screening with its factors and
// rationale, lines of enquiry, CSI requests, key events with the victim's update deadlines,
// the Victims' Code (needs, referral, named contact, personal statement, position), crime
// flags and the proposed outcome; links to other crimes (found by their reference) and to
// people in a role (found with the intelligence search); reassigning a line of enquiry and
// cancelling a CSI request. Every decision goes to the API with an Idempotency-Key, and the
// API checks the role and the rules again; a refusal is shown beside the field it names.
import { api, bornText, dateTime, el, may, start } from "./common.js";
import {
  $,
  announce,
  ENHANCED,
  ENQUIRY_KINDS,
  KEY_EVENTS,
  LINK_KINDS,
  METHODS,
  POSITIONS,
  ROLES,
  besideField,
  besideText,
  clearProblem,
  crimeHeading,
  crimeLine,
  crimesOf,
  csiItems,
  csiPending,
  csiStatusText,
  decide,
  deadlineItem,
  dueText,
  enquiryItems,
  eventText,
  factsList,
  finalisationText,
  flagsText,
  isoFrom,
  keyEventItems,
  keys,
  kindText,
  knownCrime,
  linkKindText,
  linkedCrimeItems,
  linkedPeopleItems,
  localInput,
  methodText,
  namesOf,
  openSection,
  options,
  referenceLists,
  roleText,
  screeningText,
  stageText,
  workRows,
} from "./casework.js";

const me = await start();
const lists = referenceLists(await api("GET", "/api/v1/reference").catch(() => null));
const mayScreen = may(me, "screen_crime");
const maySupervise = may(me, "supervise_investigation");

let crime = null; // the crime open, as the API last gave it
let people = new Map(); // person id → name
let linked = new Map(); // linked crime's id → its reference, classification and place

// ---- The queue ----

async function loadQueue() {
  try {
    const work = await api("GET", "/api/v1/investigation/work");
    workRows($("allocated"), work.allocated_to_me, { open: (w) => openCrime(w.crime), empty: "No crime is allocated to you by name.", columns: [] });
    workRows($("victims-owed"), work.victims_awaiting_update, { open: (w) => openCrime(w.crime), empty: "No victim is waiting for an update from you.", columns: ["due"] });
    workRows($("my-enquiries"), work.my_enquiries, { open: (w) => openCrime(w.crime), empty: "No lines of enquiry waiting for you.", columns: ["due"] });
    workRows($("to-screen"), work.to_screen, { open: (w) => openCrime(w.crime), empty: "No crimes waiting to be screened.", columns: [] });
    $("queue-seen").textContent = `As at ${dateTime(work.seen.at)}.`;
  } catch (e) {
    $("my-enquiries").replaceChildren(el("tr", {}, el("td", { colspan: "4" }, e.message)));
  }
}

// ---- One crime ----

const inv = () => crime.investigation;
const activeLinks = () => (inv().people || []).filter((l) => !l.withdrawn);
const victimIds = () => [...new Set(activeLinks().filter((l) => l.link.role === "victim" || l.link.role === "bereaved_close_relative").map((l) => l.link.person))];
const nameOf = (id) => people.get(id) || "a person on record";

async function openCrime(id) {
  try {
    const found = await api("GET", `/api/v1/crimes/${id}`);
    await show(found);
    history.replaceState(null, "", `/console/investigations?crime=${encodeURIComponent(found.id)}`);
    $("crime-title").scrollIntoView();
    $("crime").focus?.();
  } catch (e) {
    announce(e.message);
  }
}

async function show(c) {
  crime = c;
  const ids = [...new Set([...c.parties.map((p) => p.person), ...(c.investigation.people || []).map((l) => l.link.person)])];
  const others = [...new Set((c.investigation.crimes || []).map((l) => l.link.crime))];
  [people, linked] = await Promise.all([namesOf(ids), crimesOf(others)]);
  render();
}

function render() {
  const c = crime;
  const i = inv();
  $("crime").hidden = false;
  $("crime-title").textContent = crimeHeading(c);
  $("crime-stage").textContent = stageText(c.stage);
  $("crime-stage").className = `badge stage-${c.stage}`;
  $("crime-facts").replaceChildren(...factsList(c, people));

  // Screening
  $("screening-now").textContent = screeningText(i);
  $("screen-section").hidden = !mayScreen || c.stage !== "unscreened";

  // Enquiries, each open one with its result to record (and, while the crime is worked,
  // a button to give it to someone else).
  const working = !["finalised", "finalisation_awaiting_review"].includes(c.stage);
  $("enquiries").replaceChildren(...enquiryItems(i, (e) => (e.result ? null : completeForm(e, working))));
  $("enquiry-section").hidden = !working;
  const openEnquiries = i.enquiries.filter((e) => !e.result);
  keepChoice(
    $("reassign-enquiry"),
    openEnquiries.map((e) => [e.enquiry.id, `${kindText(e.enquiry.kind)}: ${e.enquiry.description} (now ${e.enquiry.owner}, due ${dateTime(e.enquiry.due)})`]),
  );
  $("reassign-section").hidden = !working || !openEnquiries.length;
  // CSI requests, each still pending with a button to cancel it.
  const pendingCsi = i.csi.filter(csiPending);
  $("csi-requests").replaceChildren(
    ...csiItems(i, (r) =>
      csiPending(r)
        ? el("button", { type: "button", class: "small", "aria-label": `Cancel the CSI request: ${r.request.what} at ${r.request.location}`, onclick: () => openCancelCsi(r.request.id) }, "Cancel request…")
        : null,
    ),
  );
  $("csi-section").hidden = !working;
  keepChoice($("cancel-csi-request"), pendingCsi.map((r) => [r.request.id, `${r.request.what} at ${r.request.location} (${csiStatusText(r.status)})`]));
  $("cancel-csi-section").hidden = !pendingCsi.length;

  // Links: other crimes, each a link to its own investigation; people in their roles.
  $("linked-crimes").replaceChildren(...linkedCrimeItems(i, linked, (id) => `/console/investigations?crime=${encodeURIComponent(id)}`));
  $("linked-people").replaceChildren(...linkedPeopleItems(i, people));
  const removed = c.status === "removed";
  $("link-crime-section").hidden = removed;
  $("link-person-section").hidden = removed;
  $("key-events").replaceChildren(...keyEventItems(i, people));
  $("event-section").hidden = !working;

  // Flags and outcome
  $("flags-now").textContent = flagsText(i, lists.flags);
  $("flags-section").hidden = c.stage === "finalised";
  renderFlags();
  $("outcome-now").textContent = i.finalisation ? finalisationText(i.finalisation, lists.outcomes) : "No outcome proposed yet.";
  const returned = (i.past_finalisations || []).slice(-1)[0];
  if (!i.finalisation && returned && returned.review && returned.review.Returned) {
    $("outcome-now").textContent = `Returned by ${returned.review.Returned.by} ${dateTime(returned.review.Returned.at)}: ${returned.review.Returned.reasons.join("; ")}. Propose again when it is put right.`;
  }
  $("outcome-section").hidden = !["under_investigation", "filed"].includes(c.stage);
  $("reopen-section").hidden = !["filed", "finalised"].includes(c.stage);

  // Victim panel
  renderVictims();
  const open = i.deadlines.filter((d) => !d.informed);
  $("deadlines").replaceChildren(...(i.deadlines.length ? i.deadlines.map((d) => deadlineItem(d, people)) : [el("li", { class: "muted" }, "No update owed yet: a key event (an arrest, a charge, a release) starts one.")]));
  options(
    $("update-deadline"),
    open.map((d) => [`${d.deadline.key_event}|${d.deadline.victim}`, `${d.deadline.key_event}. ${eventText(d.deadline.kind)}: tell ${nameOf(d.deadline.victim)} by ${dateTime(d.deadline.due_before)}`]),
  );
  $("update-section").hidden = !open.length;
  const victims = victimIds().map((id) => [id, nameOf(id)]);
  document.querySelectorAll(".victim-select").forEach((s) => options(s, victims));
  $("needs-section").hidden = !victims.length;
  $("rights-section").hidden = !victims.length;

  // A supervisor reviews on their own page.
  const waiting = ["finalisation_awaiting_review", "filing_awaiting_approval"].includes(c.stage);
  $("supervision").hidden = !(maySupervise && waiting);
  $("review-link").href = `/console/reviews?crime=${encodeURIComponent(c.id)}`;
}

function renderVictims() {
  const i = inv();
  const ids = victimIds();
  if (!ids.length) {
    $("victims").replaceChildren(el("p", { class: "muted" }, "No individual victim on this crime."));
    return;
  }
  $("victims").replaceChildren(
    ...ids.map((id) => {
      const care = (i.victims || []).find((v) => v.victim === id);
      const lines = [];
      const a = care && care.assessment;
      if (a) {
        const rights = a.assessment.enhanced.map((r) => (ENHANCED.find(([code]) => code === r) || [r, r])[1]);
        const p = a.assessment.preferences;
        lines.push(`${rights.length ? `Enhanced rights: ${rights.join(", ")}` : "Standard rights"} · needs: ${a.assessment.needs}`);
        lines.push(`Contact by ${methodText(p.how).toLowerCase()}${p.when ? `, ${p.when}` : ""}${p.who ? `, through ${p.who}` : ""} · ${p.language}${p.interpreter ? ", with an interpreter" : ""}`);
      } else {
        lines.push("Needs not yet assessed (Alt+V).");
      }
      if (care && care.referral) {
        const [r, at] = care.referral;
        lines.push(r.referral === "consented" ? `Referred to ${r.service} ${dateTime(at)}` : `Declined a referral ${dateTime(at)}`);
      } else lines.push("No referral to support services recorded.");
      lines.push(care && care.details_given ? `Crime number and named contact (${care.details_given[1]}) given ${dateTime(care.details_given[0])}` : "Crime number and named contact not yet given.");
      lines.push(care && care.vps ? `Personal statement offered ${dateTime(care.vps[0])}: ${care.vps[1] ? "accepted" : "declined"}` : "Personal statement not yet offered.");
      if (care && care.position) {
        const [position, note] = care.position;
        lines.push(`Position: ${(POSITIONS.find(([code]) => code === position) || [position, position])[1]}${note ? ` (${note})` : ""}`);
      }
      return el(
        "div",
        { class: "victim" },
        el("h4", {}, el("a", { href: `/console/records/person/${encodeURIComponent(id)}`, target: "_blank" }, nameOf(id))),
        el("ul", { class: "contacts" }, ...lines.map((l) => el("li", {}, l))),
      );
    }),
  );
}

// The result of an open line of enquiry, recorded on its row; and, while the crime is worked,
// the way to give it to someone else.
function completeForm(e, working) {
  const id = `result-${e.enquiry.id}`;
  const form = el(
    "form",
    { class: "inline-form", novalidate: true },
    el("label", { for: id }, "Result"),
    // The enquiry's own name as the API gives it when it stands in the way of finalising.
    el("input", { id, "data-field": `enquiries[${e.enquiry.id}]`, autocomplete: "off" }),
    el("button", { type: "submit" }, "Record the result"),
    working ? el("button", { type: "button", "aria-label": `Reassign: ${e.enquiry.description}`, onclick: () => openReassign(e.enquiry.id) }, "Reassign…") : null,
    el("p", { class: "form-error", role: "alert" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await act(form, { action: "complete_enquiry", enquiry: e.enquiry.id, result: $(id).value }, `Result recorded: ${e.enquiry.description}`);
  });
  return form;
}

// Send a decision; on success show the crime as it now stands and reset the form. Each goes
// with an Idempotency-Key: the same request sent again (the answer lost on the way back, a
// second Ctrl+Enter) is answered with the first result and recorded once.
async function act(form, body, done, desk = "investigation") {
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  const changed = await decide(crime.id, desk, body, form);
  if (button) button.disabled = false;
  if (!changed) return false;
  await show(changed);
  announce(done);
  // Done: the section folds away, the focus stays on its heading (the key opens it again).
  const section = form.closest("details");
  if (section && !section.hidden) {
    section.open = false;
    section.querySelector("summary").focus();
  }
  loadQueue();
  return true;
}

// ---- Screening ----

$("factor-boxes").replaceChildren(
  ...lists.factors.map((f) =>
    el(
      "div",
      { class: "factor" },
      el("label", { class: "box" }, el("input", { type: "checkbox", value: f.code, "data-factor": f.code }), `${f.description}${f.kind === "risk" ? " (risk)" : ""}`),
      el("input", { class: "factor-note", "aria-label": `Why: ${f.description}`, "data-note": f.code, autocomplete: "off", placeholder: "why (optional)" }),
    ),
  ),
);
const syncDecision = () => {
  $("allocation").hidden = !$("screen-in").checked;
};
$("screen-in").addEventListener("change", syncDecision);
$("screen-file").addEventListener("change", syncDecision);
$("allocate-who").value = me.username;

$("screen-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const who = $("allocate-who").value.trim();
  const decision = $("screen-in").checked
    ? { decision: "screen_in", allocation: $("allocate-to").value === "team" ? { to: "team", team: who } : { to: "person", investigator: who } }
    : { decision: "file_pending" };
  const factors = [...document.querySelectorAll("[data-factor]:checked")].map((box) => {
    const note = document.querySelector(`[data-note="${box.value}"]`).value.trim();
    return { factor: box.value, note: note || null };
  });
  const ok = await act(
    $("screen-form"),
    { action: "screen", decision, factors, rationale: $("screen-rationale").value },
    decision.decision === "screen_in" ? `Crime ${crime.reference} screened in.` : `Crime ${crime.reference} filed pending new information.`,
  );
  if (ok) {
    $("screen-form").reset();
    $("allocate-who").value = me.username;
    syncDecision();
  }
});

// ---- Lines of enquiry ----

options($("enquiry-kind"), ENQUIRY_KINDS);
const syncKind = () => {
  $("cctv-fields").hidden = $("enquiry-kind").value !== "cctv_request";
  $("partner-fields").hidden = $("enquiry-kind").value !== "partner_enquiry";
};
$("enquiry-kind").addEventListener("change", syncKind);
const enquiryDefaults = () => {
  $("enquiry-owner").value = me.username;
  $("enquiry-due").value = localInput(new Date(Date.now() + 24 * 3600e3).toISOString());
  syncKind();
};
enquiryDefaults();
$("enquiry-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const kind = $("enquiry-kind").value;
  const body = {
    action: "add_enquiry",
    id: crypto.randomUUID(),
    kind,
    description: $("enquiry-description").value,
    owner: $("enquiry-owner").value.trim(),
    due: isoFrom($("enquiry-due").value),
  };
  if (kind === "cctv_request") Object.assign(body, { location: $("cctv-location").value, retention_until: isoFrom($("cctv-retention").value) });
  if (kind === "partner_enquiry") body.agency = $("partner-agency").value;
  if (!body.due) return noValue($("enquiry-form"), "enquiry-due", "Say when the enquiry is due.");
  if (kind === "cctv_request" && !body.retention_until) return noValue($("enquiry-form"), "cctv-retention", "Say when the footage will be overwritten.");
  if (await act($("enquiry-form"), body, `Line of enquiry added to ${crime.reference}.`)) {
    $("enquiry-form").reset();
    enquiryDefaults();
    $("enquiry-kind").focus();
  }
});

// A value the API cannot be sent without (a time left empty): said beside the field.
function noValue(form, id, message) {
  const out = form.querySelector(".form-error");
  out.textContent = message;
  $(id).setAttribute("aria-invalid", "true");
  $(id).focus();
}

// ---- CSI ----

$("csi-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const incident = $("csi-from-incident").checked && crime.incidents && crime.incidents.length ? crime.incidents[0] : null;
  const body = {
    action: "request_csi",
    id: crypto.randomUUID(),
    what: $("csi-what").value,
    location: $("csi-location").value,
    forensic_opportunities: $("csi-opportunities").value.split("\n").map((s) => s.trim()).filter(Boolean),
    preservation_advice: $("csi-advice").value,
    incident,
  };
  if (await act($("csi-form"), body, `CSI requested for ${crime.reference}: the CSI team's queue has it.`)) {
    $("csi-form").reset();
    csiDefaults();
  }
});
function csiDefaults() {
  const fromIncident = crime && crime.incidents && crime.incidents.length;
  $("csi-from-incident").checked = Boolean(fromIncident);
  $("csi-from-incident").disabled = !fromIncident;
  $("csi-incident-label").textContent = fromIncident
    ? `Record it in the log of incident ${(crime.incident_references || [])[0] || ""}`.trim()
    : "Reported directly: no incident log to record it in";
  if (crime && !$("csi-location").value) $("csi-location").value = crime.location || "";
}

// Options for a select, keeping the one chosen if it is still offered.
function keepChoice(select, pairs) {
  const was = select.value;
  options(select, pairs);
  if (pairs.some(([value]) => value === was)) select.value = was;
}

// ---- Reassigning a line of enquiry ----

const USERNAME = /^[A-Za-z][A-Za-z0-9._-]{1,}$/;
const chosenEnquiry = () => inv().enquiries.find((e) => e.enquiry.id === $("reassign-enquiry").value);
// The due time the chosen enquiry has, or a day from now when that has passed.
function reassignDue() {
  const e = chosenEnquiry();
  const due = e && new Date(e.enquiry.due).getTime() > Date.now() ? e.enquiry.due : new Date(Date.now() + 24 * 3600e3).toISOString();
  $("reassign-due").value = localInput(due);
}
function openReassign(enquiry) {
  if (enquiry) $("reassign-enquiry").value = enquiry;
  if (enquiry || !$("reassign-due").value) reassignDue();
  openSection("reassign-section", enquiry ? "reassign-owner" : "reassign-enquiry");
}
$("reassign-enquiry").addEventListener("change", reassignDue);
$("reassign-section").addEventListener("toggle", () => $("reassign-section").open && !$("reassign-due").value && reassignDue());
$("reassign-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("reassign-form");
  clearProblem(form);
  const e = chosenEnquiry();
  const owner = $("reassign-owner").value.trim();
  const due = isoFrom($("reassign-due").value);
  if (!e) return besideField($("reassign-enquiry"), "Choose the line of enquiry to reassign.");
  if (!owner) return besideField($("reassign-owner"), "Type the username of the officer taking it on.");
  if (!USERNAME.test(owner)) return besideField($("reassign-owner"), "A username is letters, digits, '.', '_' or '-', starting with a letter.");
  if (!due) return besideField($("reassign-due"), "Say when it is due.");
  const body = { action: "reassign_enquiry", enquiry: e.enquiry.id, owner, due, reason: $("reassign-reason").value };
  const what = `${kindText(e.enquiry.kind)}: ${e.enquiry.description}`;
  if (await act(form, body, `${what} reassigned to ${owner.toLowerCase()}, ${dueText(due)}.`)) form.reset();
});

// ---- Cancelling a CSI request ----

function openCancelCsi(request) {
  if (request) $("cancel-csi-request").value = request;
  openSection("cancel-csi-section", request ? "cancel-csi-reason" : "cancel-csi-request");
}
$("cancel-csi-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("cancel-csi-form");
  clearProblem(form);
  const request = inv().csi.find((r) => r.request.id === $("cancel-csi-request").value);
  if (!request) return besideField($("cancel-csi-request"), "Choose the CSI request to cancel.");
  const body = { action: "cancel_csi", request: request.request.id, reason: $("cancel-csi-reason").value };
  const what = `${request.request.what} at ${request.request.location}`;
  if (await act(form, body, `CSI request cancelled: ${what}. It has left the CSI team's queue.`)) form.reset();
});

// ---- Linking another crime, by its reference ----

options($("link-kind"), LINK_KINDS);
// The reference last looked up and its answer (a promise): { reference, crime } with crime
// null and a problem to show when there is none.
let lookup = null;
const typedReference = () => $("link-reference").value.trim().toUpperCase().replace(/\s+/g, "");

// Look the reference typed up, once, and say under the field which crime it names.
function lookUpReference() {
  const reference = typedReference();
  if (!reference) {
    lookup = null;
    $("link-found").textContent = "";
    return Promise.resolve(null);
  }
  if (lookup && lookup.reference === reference) return lookup.promise;
  $("link-found").textContent = `Looking up ${reference}…`;
  const promise = api("GET", `/api/v1/crimes/by-reference/${encodeURIComponent(reference)}`).then(
    (other) => {
      knownCrime(other);
      return { reference, crime: other };
    },
    (e) => {
      // Not found is an answer; anything else (the network, the server) is asked again.
      if (e.status !== 404 && lookup && lookup.reference === reference) lookup = null;
      const problem = e.status === 404 ? `No crime has the reference ${reference}. Check it against the crime record (like CR-2026-000123).` : besideText($("link-reference"), e.field, e.message);
      return { reference, crime: null, problem };
    },
  );
  lookup = { reference, promise };
  return promise.then((found) => {
    // Only the answer for what is typed now is shown (the user may have typed on).
    if (typedReference() === reference) $("link-found").textContent = found.crime ? `Found: ${crimeLine(found.crime)}` : "";
    return found;
  });
}
$("link-reference").addEventListener("change", async () => {
  const found = await lookUpReference();
  if (found && !found.crime && found.reference === typedReference()) besideField($("link-reference"), found.problem);
});
$("link-reference").addEventListener("input", () => {
  if (!lookup || lookup.reference !== typedReference()) $("link-found").textContent = "";
});
$("link-crime-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("link-crime-form");
  clearProblem(form);
  if (!typedReference()) return besideField($("link-reference"), "Type the other crime's reference, like CR-2026-000123.");
  const found = await lookUpReference();
  // Typed on while it was looked up: the new reference is looked up when sent again.
  if (!found || found.reference !== typedReference()) return;
  if (!found.crime) return besideField($("link-reference"), found.problem);
  if (found.crime.id === crime.id) return besideField($("link-reference"), `${found.reference} is this crime: type the other crime's reference.`);
  const kind = $("link-kind").value;
  const note = $("link-crime-note").value.trim();
  const body = { action: "link_crime", crime: found.crime.id, kind, note: note || null };
  if (await act(form, body, `Crime ${crime.reference} linked to ${found.reference}: ${linkKindText(kind).toLowerCase()}.`)) {
    form.reset();
    lookup = null;
    $("link-found").textContent = "";
  }
});

// ---- Linking a person in a role, found with the intelligence search ----

options($("person-role"), ROLES, "Choose their role");
// The last search: what was searched for and who was found.
let search = null;
const searchedFor = () => ({ name: $("person-name").value.trim(), born: $("person-born").value });
const sameSearch = (a, b) => a && b && a.name.toLowerCase() === b.name.toLowerCase() && a.born === b.born;

// Search the records (audited, as every search is) and offer those found to choose from.
async function findPerson() {
  const form = $("link-person-form");
  clearProblem(form);
  const asked = searchedFor();
  if (!asked.name) {
    besideField($("person-name"), "Type the person's name to search for.");
    return false;
  }
  const body = { name: asked.name };
  if (asked.born) body.date_of_birth = asked.born;
  $("person-find").disabled = true;
  let answer;
  try {
    answer = await api("POST", "/api/v1/search", body);
  } catch (e) {
    besideField($("person-name"), e.message);
    return false;
  } finally {
    $("person-find").disabled = false;
  }
  const hits = (answer.people || []).filter((h) => !h.merged_into).slice(0, 8);
  search = { ...asked, hits };
  const already = (id) =>
    (inv().people || [])
      .filter((l) => !l.withdrawn && l.link.person === id)
      .map((l) => roleText(l.link.role).toLowerCase());
  $("person-choices").replaceChildren(
    ...hits.map((h) => {
      const roles = already(h.id);
      return el(
        "label",
        { class: "check" },
        el("input", { type: "radio", name: "person-choice", value: h.id, "data-label": h.label }),
        `${h.label}, ${bornText(h.born)}${h.reasons.length ? ` (${h.reasons.join("; ")})` : ""}${roles.length ? ` · already linked as ${roles.join(", ")}` : ""}`,
      );
    }),
  );
  $("person-matches").hidden = !hits.length;
  if (!hits.length) {
    besideField($("person-name"), `Nobody on record matches "${asked.name}"${asked.born ? ` born ${asked.born}` : ""}. Check the spelling${asked.born ? ", or search without the date of birth" : ""}.`);
    return false;
  }
  $("person-choices").querySelector("input").focus();
  return true;
}
$("person-find").addEventListener("click", findPerson);
for (const id of ["person-name", "person-born"]) {
  // Enter searches; Ctrl+Enter still links.
  $(id).addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    findPerson();
  });
  // Who was found for another name is no longer offered.
  $(id).addEventListener("input", () => {
    if (search && !sameSearch(search, searchedFor())) {
      search = null;
      $("person-matches").hidden = true;
      $("person-choices").replaceChildren();
    }
  });
}
$("link-person-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("link-person-form");
  clearProblem(form);
  if (!search || !sameSearch(search, searchedFor())) {
    if (await findPerson()) besideField($("person-matches"), "Choose the person you mean, then link them.");
    return;
  }
  const chosen = form.querySelector('input[name="person-choice"]:checked');
  if (!chosen) return besideField($("person-matches"), "Choose which of these people you mean.");
  const role = $("person-role").value;
  if (!role) return besideField($("person-role"), "Choose their role in this crime.");
  const note = $("person-note").value.trim();
  const body = { action: "link_person", person: chosen.value, role, note: note || null };
  if (await act(form, body, `${chosen.dataset.label} linked to ${crime.reference} as ${roleText(role).toLowerCase()}.`)) {
    form.reset();
    search = null;
    $("person-matches").hidden = true;
    $("person-choices").replaceChildren();
  }
});

// ---- Key events ----

options($("event-kind"), KEY_EVENTS);
$("event-at").value = localInput();
$("event-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const occurred_at = isoFrom($("event-at").value);
  if (!occurred_at) return noValue($("event-form"), "event-at", "Say when it happened.");
  const kind = $("event-kind").value;
  if (await act($("event-form"), { action: "record_key_event", kind, occurred_at, note: $("event-note").value }, `${eventText(kind)} recorded: the victim is owed an update.`)) {
    $("event-form").reset();
    $("event-at").value = localInput();
  }
});

// ---- Victim updates and the Victims' Code ----

options($("update-method"), METHODS);
$("update-at").value = localInput(null, true);
$("update-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [keyEvent, victim] = ($("update-deadline").value || "|").split("|");
  const informed_at = isoFrom($("update-at").value);
  if (!informed_at) return noValue($("update-form"), "update-at", "Say when the victim was told.");
  const body = { action: "record_victim_update", key_event: Number(keyEvent), victim, informed_at, method: $("update-method").value, note: $("update-note").value };
  if (await act($("update-form"), body, `Update to ${nameOf(victim)} recorded.`)) {
    $("update-form").reset();
    $("update-at").value = localInput(null, true);
  }
});

$("enhanced-boxes").replaceChildren(...ENHANCED.map(([code, text]) => el("label", { class: "box" }, el("input", { type: "checkbox", value: code, "data-enhanced": code }), text)));
options($("needs-how"), METHODS);
$("needs-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const optional = (id) => $(id).value.trim() || null;
  const body = {
    action: "assess_victim",
    victim: $("needs-victim").value,
    enhanced: [...document.querySelectorAll("[data-enhanced]:checked")].map((b) => b.value),
    needs: $("needs-text").value,
    preferences: { how: $("needs-how").value, when: optional("needs-when"), who: optional("needs-who"), language: $("needs-language").value, interpreter: $("needs-interpreter").checked },
  };
  if (await act($("needs-form"), body, `Needs assessment recorded for ${nameOf(body.victim)}.`)) $("needs-form").reset();
});

options($("position-code"), POSITIONS);
const syncRights = () => {
  const action = $("rights-action").value;
  $("rights-refer").hidden = action !== "refer_victim";
  $("rights-details").hidden = action !== "give_victim_details";
  $("rights-vps").hidden = action !== "offer_vps";
  $("rights-position").hidden = action !== "record_victim_position";
  $("refer-service").disabled = $("refer-consent").value !== "consented";
};
$("rights-action").addEventListener("change", syncRights);
$("refer-consent").addEventListener("change", syncRights);
syncRights();
$("rights-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const victim = $("rights-victim").value;
  const action = $("rights-action").value;
  const body = { action, victim };
  if (action === "refer_victim") body.referral = $("refer-consent").value === "consented" ? { referral: "consented", service: $("refer-service").value } : { referral: "declined" };
  if (action === "give_victim_details") body.named_contact = $("details-contact").value;
  if (action === "offer_vps") body.accepted = $("vps-accepted").checked;
  if (action === "record_victim_position") Object.assign(body, { position: $("position-code").value, note: $("position-note").value });
  if (await act($("rights-form"), body, `Recorded for ${nameOf(victim)}.`)) {
    $("details-contact").value = "";
    $("position-note").value = "";
  }
});

// ---- Flags ----

function renderFlags() {
  const answered = inv().flags || {};
  $("flag-list").replaceChildren(
    ...lists.flags.map((f) => {
      const name = `flag-${f.code}`;
      const choice = (value, text, key) =>
        el(
          "label",
          { class: `answer answer-${value}` },
          el("input", { type: "radio", name, value, "data-field": value === "yes" ? `flags.${f.code}` : null, checked: f.code in answered ? (answered[f.code] ? value === "yes" : value === "no") : false }),
          text,
          el("kbd", {}, key),
        );
      return el(
        "li",
        { class: f.group === "hate_strand" ? "question strand" : "question", "data-flag": f.code },
        el("span", { class: "question-text" }, f.name),
        el("span", { class: "answer-group" }, choice("yes", "Yes", "Y"), choice("no", "No", "N")),
      );
    }),
  );
}
$("flag-list").addEventListener("keydown", (event) => {
  const item = event.target.closest("li[data-flag]");
  if (!item || event.altKey || event.ctrlKey || event.metaKey) return;
  const value = { y: "yes", n: "no" }[event.key.toLowerCase()];
  if (!value) return;
  event.preventDefault();
  const radio = item.querySelector(`input[value="${value}"]`);
  radio.checked = true;
  radio.focus();
  const next = item.nextElementSibling;
  if (next) next.querySelector("input").focus();
});
$("flags-all-no").addEventListener("click", () => {
  for (const item of $("flag-list").querySelectorAll("li[data-flag]")) {
    if (!item.querySelector("input:checked")) item.querySelector('input[value="no"]').checked = true;
  }
});
$("flags-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const flags = [...$("flag-list").querySelectorAll("li[data-flag]")]
    .map((item) => ({ flag: item.dataset.flag, checked: item.querySelector("input:checked") }))
    .filter((f) => f.checked)
    .map((f) => ({ flag: f.flag, yes: f.checked.value === "yes" }));
  await act($("flags-form"), { action: "answer_flags", flags }, `Crime flags saved for ${crime.reference}.`);
});

// ---- Outcome and reopening ----

options($("outcome-code"), lists.outcomes.map((o) => [o.code, `${o.code}: ${o.name}`]), "Choose the outcome");
$("outcome-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const optional = (id) => $(id).value.trim() || null;
  const body = {
    action: "propose_finalisation",
    outcome: $("outcome-code").value,
    rationale: $("outcome-rationale").value,
    admission: $("outcome-admission").checked,
    cps_reference: optional("outcome-cps"),
    other_agency: optional("outcome-agency"),
  };
  if (await act($("outcome-form"), body, `Outcome proposed for ${crime.reference}: a supervisor reviews it before the crime is finalised.`)) $("outcome-form").reset();
});
$("reopen-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (await act($("reopen-form"), { action: "reopen", new_information: $("reopen-information").value }, `Crime ${crime.reference} reopened: screen it again.`)) $("reopen-form").reset();
});

// ---- Keys ----

const needCrime = (fn) => () => (crime ? fn() : announce("Open a crime from your work first."));
keys(
  {
    KeyI: () => {
      const row = document.querySelector("#my-enquiries tr[tabindex], #to-screen tr[tabindex]");
      (row || $("queue-title")).focus?.();
      $("queue").scrollIntoView();
    },
    KeyS: needCrime(() => openSection("screen-section")),
    KeyE: needCrime(() => openSection("enquiry-section", "enquiry-kind")),
    KeyC: needCrime(() => {
      csiDefaults();
      openSection("csi-section", "csi-what");
    }),
    KeyK: needCrime(() => openSection("event-section", "event-kind")),
    KeyU: needCrime(() => openSection("update-section", "update-deadline")),
    KeyV: needCrime(() => openSection("needs-section", "needs-victim")),
    KeyP: needCrime(() => openSection("rights-section", "rights-victim")),
    KeyF: needCrime(() => openSection("flags-section", null)),
    KeyO: needCrime(() => openSection("outcome-section", "outcome-code")),
    KeyR: needCrime(() => openSection("reopen-section", "reopen-information")),
    KeyA: needCrime(() => openReassign(null)),
    KeyX: needCrime(() => openCancelCsi(null)),
    KeyL: needCrime(() => openSection("link-crime-section", "link-reference")),
    KeyN: needCrime(() => openSection("link-person-section", "person-name")),
  },
  $("shortcuts"),
);
$("shortcuts-button").addEventListener("click", () => $("shortcuts").showModal());
$("csi-section").addEventListener("toggle", () => crime && csiDefaults());
// "When" starts at the moment the form is opened, not when the page was loaded.
$("event-section").addEventListener("toggle", () => $("event-section").open && ($("event-at").value = localInput()));
$("update-section").addEventListener("toggle", () => $("update-section").open && ($("update-at").value = localInput(null, true)));
$("queue-title").tabIndex = -1;

await loadQueue();
const wanted = new URLSearchParams(location.search).get("crime");
if (wanted) await openCrime(wanted);
