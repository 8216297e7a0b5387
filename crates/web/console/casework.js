// After the crime is recorded (issue 15): what the investigations, reviews and scenes pages
// share. The words for stages, lines of enquiry, key events and the Victims' Code; the work
// lists; a crime's summary as investigator and supervisor both read it; and problems from the
// API shown beside the field they name. Our own code, no libraries.
import { api, dateTime, dueText, el } from "./common.js";

export const $ = (id) => document.getElementById(id);

export function announce(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = !text;
}

export const STAGES = {
  unscreened: "Not yet screened",
  filing_awaiting_approval: "Filed: awaiting a supervisor's approval",
  filed: "Filed pending new information",
  under_investigation: "Under investigation",
  finalisation_awaiting_review: "Outcome proposed: awaiting the supervisor's review",
  finalised: "Finalised",
};
export const stageText = (stage) => STAGES[stage] || String(stage || "").replace(/_/g, " ");

export const ENQUIRY_KINDS = [
  ["house_to_house", "House-to-house"],
  ["cctv_request", "CCTV request"],
  ["bank_check", "Bank check"],
  ["phone_check", "Phone check"],
  ["pnc_check", "PNC check"],
  ["pnd_check", "PND check"],
  ["partner_enquiry", "Partner agency enquiry"],
  ["other", "Other"],
];
const kinds = new Map(ENQUIRY_KINDS);
export const kindText = (code) => kinds.get(code) || String(code || "").replace(/_/g, " ");

export const KEY_EVENTS = [
  ["suspect_arrested", "Suspect arrested"],
  ["suspect_interviewed", "Suspect interviewed"],
  ["suspect_charged", "Suspect charged"],
  ["released_on_bail", "Released on bail"],
  ["released_under_investigation", "Released under investigation"],
  ["no_further_action", "No further action"],
  ["out_of_court_disposal", "Out-of-court disposal"],
];
const events = new Map([...KEY_EVENTS, ["finalised", "Crime finalised"]]);
export const eventText = (code) => events.get(code) || String(code || "").replace(/_/g, " ");

export const METHODS = [
  ["phone", "Phone"],
  ["visit", "Visit"],
  ["email", "Email"],
  ["letter", "Letter"],
  ["text", "Text message"],
];
export const methodText = (code) => new Map(METHODS).get(code) || code;

// Links: how two crimes are linked, and a person's role in a crime (the domain's
// `CrimeLinkKind` and `CrimeRole`).
export const LINK_KINDS = [
  ["series", "Part of a series (same method, place or time pattern)"],
  ["same_suspect", "Same suspect"],
  ["same_victim", "Same victim"],
  ["related", "Related in another way (say how in the note)"],
];
const LINK_WORDS = new Map([
  ["series", "Series"],
  ["same_suspect", "Same suspect"],
  ["same_victim", "Same victim"],
  ["related", "Related"],
]);
export const linkKindText = (code) => LINK_WORDS.get(code) || String(code || "").replace(/_/g, " ");
export const ROLES = [
  ["suspect", "Suspect"],
  ["victim", "Victim"],
  ["witness", "Witness"],
  ["reporting_person", "Reporting person"],
  ["bereaved_close_relative", "Bereaved close relative (a victim under the Victims' Code)"],
];
const ROLE_WORDS = new Map([...ROLES, ["bereaved_close_relative", "Bereaved close relative"]]);
export const roleText = (code) => ROLE_WORDS.get(code) || String(code || "").replace(/_/g, " ");

// Victims' Code: who is entitled to enhanced rights.
export const ENHANCED = [
  ["most_serious_crime", "Victim of the most serious crime"],
  ["persistently_targeted", "Persistently targeted"],
  ["vulnerable", "Vulnerable"],
  ["intimidated", "Intimidated"],
  ["bereaved_close_relative", "Bereaved close relative"],
];
export const POSITIONS = [
  ["supports", "Supports police action"],
  ["declines", "Declines to support police action"],
  ["withdrawn", "Has withdrawn support"],
  ["unable", "Unable to support police action"],
];

// The supervisor's quality check before a crime is finalised.
export const CHECKLIST = [
  ["classification_correct", "The classification is right (Home Office Counting Rules)"],
  ["flags_correct", "The crime flags are right"],
  ["enquiries_complete", "Every proportionate line of enquiry is complete"],
  ["outcome_supported_by_evidence", "The evidence supports the outcome"],
  ["victim_code_met", "The victim was kept informed as the Victims' Code requires"],
];

// The force's reference lists, as shipped in reference/*.psv. The server's own lists are used
// when /api/v1/reference carries them (`screening_factors`, `crime_flags`, `crime_outcomes`);
// until then these copies of the shipped files stand in.
const FACTORS = [
  ["SUSPECT_NAMED", "solvability", "A suspect is named or can be identified"],
  ["SUSPECT_DESCRIBED", "solvability", "A suspect is described well enough to be recognised"],
  ["WITNESSES", "solvability", "There are independent witnesses"],
  ["CCTV", "solvability", "CCTV or other footage may show the offence or the suspect"],
  ["FORENSIC", "solvability", "There is a forensic opportunity (fingerprints, DNA, footwear, digital)"],
  ["VEHICLE", "solvability", "A vehicle is identified (registration, or make, model and colour)"],
  ["TRACEABLE_PROPERTY", "solvability", "Stolen property is traceable (serial numbers, marks, tracking)"],
  ["VULNERABLE_VICTIM", "risk", "The victim is vulnerable (THRIVE, or Victims' Code enhanced rights)"],
  ["REPEAT_VICTIM", "risk", "The victim is a repeat victim"],
  ["SERIOUS", "risk", "The offence is serious enough to investigate whatever its solvability"],
];
const FLAGS = [
  ["DOMESTIC_ABUSE", "Domestic abuse", "flag"],
  ["HATE_CRIME", "Hate crime", "flag"],
  ["HATE_RACE", "Hate crime: race or ethnicity", "hate_strand"],
  ["HATE_RELIGION", "Hate crime: religion or belief", "hate_strand"],
  ["HATE_SEXUAL_ORIENTATION", "Hate crime: sexual orientation", "hate_strand"],
  ["HATE_DISABILITY", "Hate crime: disability", "hate_strand"],
  ["HATE_TRANSGENDER", "Hate crime: transgender identity", "hate_strand"],
  ["ALCOHOL", "Alcohol related", "flag"],
  ["ONLINE", "Online crime", "flag"],
  ["KNIFE", "Knife or sharp instrument", "flag"],
  ["CHILD_SEXUAL_ABUSE", "Child sexual abuse", "flag"],
  ["MODERN_SLAVERY", "Modern slavery", "flag"],
  ["HONOUR_BASED_ABUSE", "Honour-based abuse", "flag"],
];
const OUTCOMES = [
  ["1", "Charged or summonsed"],
  ["1A", "Charged or summonsed: alternative offence"],
  ["2", "Caution: youth", "admission"],
  ["3", "Caution: adult", "admission"],
  ["4", "Taken into consideration", "admission"],
  ["5", "The offender has died"],
  ["6", "Penalty Notice for Disorder"],
  ["7", "Cannabis or khat warning", "admission"],
  ["8", "Community resolution", "admission"],
  ["9", "Prosecution not in the public interest (CPS decision)", "cps_decision"],
  ["10", "Formal action against the offender not in the public interest (police decision)"],
  ["11", "Prosecution prevented: named suspect below the age of criminal responsibility"],
  ["12", "Prosecution prevented: named suspect too ill to prosecute"],
  ["13", "Prosecution prevented: victim or key witness dead or too ill to give evidence"],
  ["14", "Evidential difficulties: suspect not identified; the victim declines or is unable to support"],
  ["15", "Evidential difficulties: suspect identified, the victim supports action"],
  ["16", "Evidential difficulties: suspect identified, the victim does not support (or withdrew)"],
  ["17", "Prosecution time limit expired: suspect identified"],
  ["18", "Investigation complete: no suspect identified"],
  ["20", "Further action by another body or agency, the victim made aware", "other_agency"],
  ["21", "Further investigation to support formal action not in the public interest (police decision)"],
  ["22", "Diversionary, educational or intervention activity; further action not in the public interest"],
];

export function referenceLists(reference) {
  const r = reference || {};
  return {
    factors: r.screening_factors || FACTORS.map(([code, kind, description]) => ({ code, kind, description })),
    flags: r.crime_flags || FLAGS.map(([code, name, group]) => ({ code, name, group })),
    outcomes: r.crime_outcomes || OUTCOMES.map(([code, name]) => ({ code, name })),
  };
}

// ---- Times ----

// An ISO time (default now) as the value a datetime-local input shows, in the browser's own
// time zone; to the second when asked (an input with step="1"), so "now" is not taken back
// to the start of the minute, before something that happened a moment ago.
export function localInput(iso, seconds = false) {
  const d = iso ? new Date(iso) : new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const minute = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${minute}:${pad(d.getSeconds())}` : minute;
}
// A datetime-local input's value as RFC 3339, or null when empty.
export const isoFrom = (value) => (value ? new Date(value).toISOString() : null);

export { dueText };

// ---- Problems from the API, beside their field ----

export function clearProblem(form) {
  const out = form.querySelector(".form-error");
  if (out) out.textContent = "";
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll("[aria-describedby]").forEach((n) => {
    const ids = n.getAttribute("aria-describedby").split(" ").filter((id) => !id.endsWith("-problem"));
    if (ids.length) n.setAttribute("aria-describedby", ids.join(" "));
    else n.removeAttribute("aria-describedby");
  });
  form.querySelectorAll('[aria-invalid="true"]').forEach((n) => n.removeAttribute("aria-invalid"));
  if (outside) outside.removeAttribute("aria-invalid");
  outside = null;
}
let outside = null; // a control outside the form marked by its last problem

// The API's `field` ("rationale", "enquiries[<id>]", "flags.DOMESTIC_ABUSE") is matched to the
// control whose data-field is the whole name (anywhere on the page), or else its first part in
// the form; that control is marked and focused, and the message goes at the foot of the form,
// or, in a form marked `beside-errors`, right under the control it names. What was typed stays.
export function showProblem(form, error) {
  if (form.classList.contains("beside-errors")) return showBeside(form, error);
  clearProblem(form);
  const field = (error && error.field) || "";
  const key = field.split(/[.[]/)[0];
  const named = (name) => `[data-field="${CSS.escape(name)}"]`;
  // The field itself wherever it is on the page (an open enquiry's result, one flag), else
  // the form's control for the first part of its name.
  const control = field ? form.querySelector(named(field)) || document.querySelector(named(field)) || form.querySelector(named(key)) : null;
  const out = form.querySelector(".form-error");
  if (control) {
    control.setAttribute("aria-invalid", "true");
    if (!form.contains(control)) outside = control;
    const section = control.closest("details");
    if (section) section.open = true;
    control.focus();
  }
  if (out) out.textContent = error.message;
}

function showBeside(form, error) {
  clearProblem(form);
  const field = (error && error.field) || "";
  const key = field.split(/[.[]/)[0];
  const named = (name) => `[data-field="${CSS.escape(name)}"]`;
  const control = field ? form.querySelector(named(field)) || form.querySelector(named(key)) : null;
  if (!control) {
    const out = form.querySelector(".form-error");
    if (out) out.textContent = error.message;
    (form.querySelector("[aria-invalid=true], input:not([type=hidden]), select, textarea") || form).focus();
    return;
  }
  besideField(control, besideText(control, field, error.message));
}

// The API's message as said under its field: "owner: there is no user …" loses the field's
// name, and "reason: is required …" reads "Why it is reassigned is required …".
export function besideText(control, field, message) {
  const text = field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  if (!/^(is|must|are) /.test(text)) return text;
  const label = control.labels && control.labels[0] ? control.labels[0].textContent.trim() : "";
  return label ? `${label} ${text}` : text;
}

// Mark `control`, say `message` right under it and put the cursor there.
export function besideField(control, message) {
  const form = control.closest("form");
  const holder = control.closest(".field, fieldset") || control.parentElement;
  const id = `${control.id || control.dataset.field || "field"}-problem`;
  holder.querySelectorAll(`#${CSS.escape(id)}`).forEach((n) => n.remove());
  holder.append(el("p", { class: "field-error", id, role: "alert" }, message));
  control.setAttribute("aria-invalid", "true");
  const described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
  if (!described.includes(id)) control.setAttribute("aria-describedby", [...described, id].join(" "));
  const section = control.closest("details");
  if (section) section.open = true;
  // A group (the people found) takes the focus on its chosen or first choice.
  const target = control.matches("input, select, textarea, button") ? control : control.querySelector("input:checked, input, select, textarea, button");
  (target || control).focus();
  if (form && !form.contains(control)) outside = control;
}

// ---- The same request twice is recorded once (Idempotency-Key) ----

// The key to send with `body` from `form`: a retry of exactly the same request (after the
// network dropped, or a double Ctrl+Enter) gets the same key, so the server answers it with
// the first result; a changed request gets a new key. `keyUsed(form)` once it is recorded.
export function keyFor(form, body) {
  const text = JSON.stringify(body);
  if (form.dataset.keyFor !== text || !form.dataset.key) {
    form.dataset.key = crypto.randomUUID();
    form.dataset.keyFor = text;
  }
  return form.dataset.key;
}
export function keyUsed(form) {
  delete form.dataset.key;
  delete form.dataset.keyFor;
}

// A problem shown in a form goes once the user changes something in that form.
for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    const form = event.target.closest && event.target.closest("form");
    if (form && (form.querySelector(".form-error")?.textContent || form.querySelector(".field-error"))) clearProblem(form);
  });
}

// Send a decision on a crime to its desk; the crime as it now stands, or the problem shown in
// `form` and null.
// Every decision goes with an Idempotency-Key: `key` when given, else the form's own for
// this body (`keyFor`), so a retried request is answered once whichever page sends it.
export async function decide(crimeId, desk, body, form, key) {
  if (form) clearProblem(form);
  const idempotency = key ?? (form ? keyFor(form, body) : crypto.randomUUID());
  try {
    const changed = await api("POST", `/api/v1/crimes/${crimeId}/${desk}`, body, idempotency);
    if (form) keyUsed(form);
    return changed;
  } catch (e) {
    if (form) showProblem(form, e);
    else announce(e.message);
    return null;
  }
}

// ---- People's names: each look is audited by the server, so each is asked for once ----

const names = new Map();
export async function personName(id) {
  if (!names.has(id)) {
    names.set(
      id,
      api("GET", `/api/v1/records/person/${id}`)
        .then((r) => r.label)
        .catch(() => "a person on record"),
    );
  }
  return names.get(id);
}
export async function namesOf(ids) {
  const found = await Promise.all(ids.map((id) => personName(id)));
  return new Map(ids.map((id, i) => [id, found[i]]));
}

// ---- Other crimes, as a link shows them: asked for once each ----

const crimes = new Map();
// What a link needs of another crime (its reference, classification and place), or null when
// it cannot be read.
export function crimeSummary(id) {
  if (!crimes.has(id)) {
    crimes.set(
      id,
      api("GET", `/api/v1/crimes/${id}`)
        .then(summaryOf)
        .catch(() => null),
    );
  }
  return crimes.get(id);
}
const summaryOf = (c) => ({ id: c.id, reference: c.reference, classification: c.classification, classification_name: c.classification_name, location: c.location, stage: c.stage });
// A crime already read (found by its reference) is not asked for again.
export function knownCrime(c) {
  crimes.set(c.id, Promise.resolve(summaryOf(c)));
}
export async function crimesOf(ids) {
  const found = await Promise.all(ids.map((id) => crimeSummary(id)));
  return new Map(ids.map((id, i) => [id, found[i]]));
}
// "CR-2026-000123 · 56 Burglary – dwelling, at 4 Oak Road": the crime a reference names.
export function crimeLine(c) {
  return `${c.reference} · ${c.classification}${c.classification_name ? ` ${c.classification_name}` : ""}${c.location ? `, at ${c.location}` : ""}`;
}

// ---- Work lists ----

// The work item's `what` in words: "house_to_house: Ask the flats" → "House-to-house: Ask the flats".
export function whatText(what) {
  const m = /^([a-z_]+): (.*)$/.exec(what || "");
  if (m && kinds.has(m[1])) return `${kindText(m[1])}: ${m[2]}`;
  return what ? what.charAt(0).toUpperCase() + what.slice(1) : "";
}

// One table body from a work list: the crime by reference, what is waiting, when it is due
// and an Open button (Enter on a row opens it too; ↑/↓ move between rows). A column is a
// field's name or a function of the item giving its text.
export function workRows(tbody, items, { open, empty, columns = ["owner", "due"] }) {
  const width = 3 + columns.length;
  if (!items.length) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: String(width), class: "muted" }, empty)));
    return;
  }
  tbody.replaceChildren(
    ...items.map((w) => {
      const row = el(
        "tr",
        { tabindex: "0", class: w.overdue ? "overdue" : null, "data-crime": w.crime },
        el("th", { scope: "row" }, w.reference, el("div", { class: "meta" }, w.classification)),
        el("td", {}, whatText(w.what), w.overdue ? el("span", { class: "badge overdue" }, "Overdue") : null),
        ...columns.map((c) => el("td", {}, typeof c === "function" ? c(w) : c === "due" ? dueText(w.due) : c === "stage" ? stageText(w.stage) : w[c] || "")),
        el("td", {}, el("button", { type: "button", "aria-label": `Open crime ${w.reference}`, onclick: () => open(w) }, "Open")),
      );
      row.addEventListener("keydown", (event) => {
        if (event.target !== row) return;
        if (event.key === "Enter") {
          event.preventDefault();
          open(w);
        } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
          if (next) next.focus();
        }
      });
      return row;
    }),
  );
}

// ---- A crime as investigator and supervisor both read it ----

export function crimeHeading(crime) {
  return `Crime ${crime.reference} · ${crime.classification}${crime.classification_name ? ` ${crime.classification_name}` : ""}`;
}

export function factsList(crime, people) {
  const inv = crime.investigation;
  const byRole = (role) => crime.parties.filter((p) => p.role === role).map((p) => people.get(p.person) || "a person on record");
  const linked = (inv.people || []).filter((l) => !l.withdrawn);
  const roleNames = new Map();
  for (const l of linked) {
    const list = roleNames.get(l.link.role) || [];
    if (!list.includes(l.link.person)) list.push(l.link.person);
    roleNames.set(l.link.role, list);
  }
  const listed = (role) => (roleNames.get(role) || []).map((id) => people.get(id) || "a person on record");
  const victims = listed("victim").length ? listed("victim") : byRole("victim");
  const suspects = listed("suspect").length ? listed("suspect") : byRole("suspect");
  return [
    el("li", {}, `Happened from ${dateTime(crime.offence_from)}${crime.offence_to ? ` to ${dateTime(crime.offence_to)}` : ""}; recorded ${dateTime(crime.recorded_at)} by ${crime.recorded_by}`),
    crime.location ? el("li", {}, `Where: ${crime.location}`) : null,
    el("li", {}, `Victim: ${victims.length ? victims.join(", ") : "no individual victim"}`),
    el("li", {}, `Suspect: ${suspects.length ? suspects.join(", ") : "none identified"}`),
    crime.modus_operandi ? el("li", {}, `How: ${crime.modus_operandi}`) : null,
  ];
}

export function screeningText(inv) {
  const s = inv.current_screening === null || inv.current_screening === undefined ? null : inv.screenings[inv.current_screening];
  if (!s) return inv.screenings.length ? "To be screened again." : "Not yet screened.";
  const d = s.screening.decision;
  const to = d.allocation ? (d.allocation.to === "person" ? `allocated to ${d.allocation.investigator}` : `allocated to team ${d.allocation.team}`) : "";
  const what = d.decision === "screen_in" ? `Screened in, ${to}` : "Filed pending new information";
  return `${what} by ${s.by} ${dateTime(s.at)} (score ${s.screening.score}, policy ${s.screening.policy_version}): ${s.screening.rationale}`;
}

export function enquiryItems(inv, actions) {
  if (!inv.enquiries.length) return [el("li", { class: "muted" }, "No lines of enquiry yet.")];
  const now = Date.now();
  return inv.enquiries.map((e) => {
    const q = e.enquiry;
    const extra = q.kind === "cctv_request" ? ` · camera: ${q.location}; footage kept until ${dateTime(q.retention_until)}` : q.kind === "partner_enquiry" ? ` · ${q.agency}` : "";
    const state = e.result
      ? el("span", { class: "badge" }, `Done ${dateTime(e.result.at)}: ${e.result.text}`)
      : el("span", { class: new Date(q.due).getTime() < now ? "badge overdue" : "badge" }, `${q.owner}, ${dueText(q.due, now)}`);
    return el("li", { class: "enquiry", "data-enquiry": q.id }, el("strong", {}, `${kindText(q.kind)}: ${q.description}${extra}`), state, actions ? actions(e) : null);
  });
}

export function csiStatusText(status) {
  switch (status.status) {
    case "requested":
      return "Requested: not yet booked";
    case "booked":
      return `Booked for ${dateTime(status.diary_time)} by ${status.by}`;
    case "attended": {
      const r = status.result;
      const found = r.result === "exhibits" ? `exhibits ${r.exhibits.map((x) => `${x.reference} (${x.description})`).join(", ")}` : `no forensic opportunity: ${r.note}`;
      return `Attended ${dateTime(status.attended_at)} by ${status.by}: ${found}`;
    }
    case "cancelled":
      return `Cancelled by ${status.by}: ${status.reason}`;
    default:
      return status.status;
  }
}

export const csiPending = (c) => ["requested", "booked"].includes(c.status.status);

export function csiItems(inv, actions) {
  if (!inv.csi.length) return [el("li", { class: "muted" }, "No CSI requested.")];
  return inv.csi.map((c) =>
    el(
      "li",
      { "data-csi": c.request.id },
      el("strong", {}, `${c.request.what} at ${c.request.location}`),
      el("span", { class: c.status.status === "cancelled" ? "badge cancelled" : "badge" }, csiStatusText(c.status)),
      el("span", { class: "text meta" }, `Forensic opportunities: ${c.request.forensic_opportunities.join("; ") || "none listed"} · advice given: ${c.request.preservation_advice}`),
      actions ? actions(c) : null,
    ),
  );
}

// ---- Links ----

// The crimes this one is linked to, each a link to its own page; `summaries` maps a crime's
// id to what `crimeSummary` found (null when it could not be read).
export function linkedCrimeItems(inv, summaries, href) {
  const links = inv.crimes || [];
  if (!links.length) return [el("li", { class: "muted" }, "Not linked to any other crime.")];
  return links.map((l) => {
    const c = summaries.get(l.link.crime);
    const name = c ? c.reference : "a crime you cannot read";
    return el(
      "li",
      { class: l.withdrawn ? "link withdrawn" : "link", "data-linked-crime": c ? c.reference : "" },
      c ? el("a", { href: href(l.link.crime) }, name) : el("span", {}, name),
      el("span", { class: "badge" }, linkKindText(l.link.kind)),
      c ? el("span", {}, `${c.classification}${c.classification_name ? ` ${c.classification_name}` : ""}${c.location ? `, at ${c.location}` : ""}`) : null,
      l.link.note ? el("span", { class: "text meta" }, `Note: ${l.link.note}`) : null,
      l.withdrawn ? el("span", { class: "text meta" }, `Link withdrawn: ${l.withdrawn}`) : null,
    );
  });
}

// The people linked to the crime in a role, each a link to their record.
export function linkedPeopleItems(inv, people) {
  const links = inv.people || [];
  if (!links.length) return [el("li", { class: "muted" }, "Nobody linked to this crime.")];
  // Those in force first, then those withdrawn, each in the order linked.
  const ordered = [...links.filter((l) => !l.withdrawn), ...links.filter((l) => l.withdrawn)];
  return ordered.map((l) =>
    el(
      "li",
      { class: l.withdrawn ? "link withdrawn" : "link", "data-role": l.link.role },
      el("a", { href: `/console/records/person/${encodeURIComponent(l.link.person)}`, target: "_blank" }, people.get(l.link.person) || "a person on record"),
      el("span", { class: l.link.role === "suspect" ? "badge role-suspect" : "badge" }, roleText(l.link.role)),
      el("span", { class: "meta" }, l.recorded ? "named when the crime was recorded" : "linked during the investigation"),
      l.link.note ? el("span", { class: "text meta" }, `Note: ${l.link.note}`) : null,
      l.withdrawn ? el("span", { class: "text meta" }, `Withdrawn: ${l.withdrawn}`) : null,
    ),
  );
}

// The key events with, under each, the victims' update deadlines (Victims' Code Right 6).
export function keyEventItems(inv, people) {
  if (!inv.key_events.length) return [el("li", { class: "muted" }, "No key events yet.")];
  const now = Date.now();
  return inv.key_events.map((k) =>
    el(
      "li",
      { class: "key-event" },
      el("strong", {}, `${k.number}. ${eventText(k.kind)}`),
      el("span", { class: "meta" }, `${dateTime(k.occurred_at)} · ${k.by}`),
      k.note ? el("span", {}, k.note) : null,
      el(
        "ul",
        { class: "deadlines text" },
        ...inv.deadlines
          .filter((d) => d.deadline.key_event === k.number)
          .map((d) => deadlineItem(d, people, now)),
      ),
    ),
  );
}

export function deadlineItem(d, people, now = Date.now()) {
  const who = people.get(d.deadline.victim) || "the victim";
  const limit = `${d.deadline.working_days} working day${d.deadline.working_days === 1 ? "" : "s"}${d.deadline.enhanced ? ", enhanced rights" : ""}`;
  if (d.informed) {
    const onTime = new Date(d.informed.at) < new Date(d.deadline.due_before);
    return el(
      "li",
      { class: "deadline informed" },
      el("span", { class: "badge" }, onTime ? "Told on time" : "Told late"),
      `${who} told by ${methodText(d.informed.method).toLowerCase()} ${dateTime(d.informed.at)} (${d.informed.by})${d.informed.note ? `: ${d.informed.note}` : ""}`,
    );
  }
  const overdue = new Date(d.deadline.due_before).getTime() <= now;
  return el(
    "li",
    { class: overdue ? "deadline open overdue" : "deadline open" },
    el("span", { class: overdue ? "badge overdue" : "badge due-soon" }, overdue ? "Update overdue" : "Update the victim"),
    `Tell ${who}: ${dueText(d.deadline.due_before, now)} · ${limit}${d.deadline.calendar_known === false ? " · bank holidays not known for all these days" : ""}`,
  );
}

export function flagsText(inv, flags) {
  const answered = Object.entries(inv.flags || {});
  if (!answered.length) return "Crime flags not yet answered.";
  const yes = answered.filter(([, v]) => v).map(([code]) => (flags.find((f) => f.code === code) || { name: code }).name);
  const missing = flags.filter((f) => f.group !== "hate_strand" && !(f.code in inv.flags)).length;
  return `Flags answered: ${yes.length ? `yes to ${yes.join(", ")}` : "no to all"}${missing ? ` (${missing} still to answer)` : ""}.`;
}

export function finalisationText(f, outcomes) {
  if (!f) return "";
  const p = f.proposal;
  const name = (outcomes.find((o) => o.code === p.outcome) || { name: "" }).name;
  const extra = [p.admission ? "the offender admitted the offence" : null, p.cps_reference ? `CPS ${p.cps_reference}` : null, p.other_agency ? `by ${p.other_agency}` : null].filter(Boolean);
  let review = "awaiting the supervisor's review";
  if (f.review && f.review.Approved) review = `approved by ${f.review.Approved.by} ${dateTime(f.review.Approved.at)}`;
  if (f.review && f.review.Returned) review = `returned by ${f.review.Returned.by}: ${f.review.Returned.reasons.join("; ")}`;
  return `Outcome ${p.outcome} ${name}${extra.length ? ` (${extra.join(", ")})` : ""}: ${p.rationale} · proposed by ${f.proposed_by} ${dateTime(f.proposed_at)}, ${review}.`;
}

// The on-time share of victim updates, in words.
export function onTimeText(work) {
  if (!work.updates_given) return "No victim updates given yet on open crimes.";
  const share = Math.round((work.updates_on_time_share || 0) * 100);
  return `Victims told within the Code's time limit: ${share}% (${work.updates_on_time} of ${work.updates_given} updates on time).`;
}

// Alt+<key> actions and Ctrl+Enter to save the form in focus; `?` opens the shortcut list.
export function keys(actions, dialog) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.key === "Enter") {
      const form = event.target.closest && event.target.closest("form");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      if (actions[event.code]) {
        event.preventDefault();
        actions[event.code]();
      }
      return;
    }
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    if (event.key === "?" && !typing && dialog) {
      event.preventDefault();
      dialog.showModal();
    }
  });
}

// Open a <details> section (if shown) and focus its first control, or the one named.
export function openSection(id, focusId) {
  const section = $(id);
  if (!section || section.hidden || section.closest("[hidden]")) {
    announce("That is not available for this crime, or to your role.");
    return;
  }
  if (section.tagName === "DETAILS") section.open = true;
  const target = focusId ? $(focusId) : section.querySelector("input:not([type=hidden]), select, textarea, button");
  if (target) {
    target.focus();
    target.scrollIntoView({ block: "center" });
  }
}

export function options(select, pairs, placeholder) {
  select.replaceChildren(...(placeholder ? [el("option", { value: "" }, placeholder)] : []), ...pairs.map(([value, text]) => el("option", { value }, text)));
}
