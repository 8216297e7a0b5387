// The contact handler's console: call card, incident panel and the live incident list.
import { age, api, dateTime, el, live, may as permitted, say, start as startSession, time } from "./common.js";
import { CRMap } from "./map.js";
import { unreadLink } from "./messages.js";
import { incidentWork } from "./referrals.js";

const $ = (id) => document.getElementById(id);

const state = {
  me: null,
  incidents: new Map(), // id -> summary row as listed
  reference: null, // code lists from the server
  current: null, // the incident open in the incident panel
  joining: null, // the incident a new contact will join
  sort: { key: "opened_at", descending: true },
};

// Page-level choices only (whether to offer a new call, the crime list), from the
// permissions the server lists in the session; what a user may do to an incident comes from
// the server with the incident (`actions`). The server checks every action again.
const may = {
  contact: (me) => permitted(me, "take_contact"),
  reviewCrime: (me) => permitted(me, "review_crime_recording"),
};

// With nothing in the work column (a dispatcher before opening an incident), the live
// list takes the whole width.
function updateLayout() {
  document.querySelector(".layout").classList.toggle("list-only", $("call-card").hidden && $("incident").hidden);
}

function announce(message) {
  const status = $("status");
  status.textContent = message;
  status.hidden = false;
}

// ---- Errors next to the fields ------------------------------------------------------

function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  });
  const formError = form.querySelector(".form-error");
  if (formError) formError.hidden = true;
  const list = form.querySelector(".problems");
  if (list) list.hidden = true;
}

// Put the message next to the field it is about and move the cursor there; nothing the
// handler typed is cleared.
function showError(form, field, message) {
  const input = field && form.querySelector(`[data-field="${CSS.escape(field)}"]`);
  const text = message.replace(/^[a-z_.\[\]0-9]+: /, "");
  // A field error sits beside a labelled input; anything else is said for the whole form.
  if (input && input.id && input.labels && input.closest(".field, .check")) {
    const id = `error-${input.id}`;
    const note = el("p", { class: "field-error", id, text: `${input.labels[0] ? input.labels[0].childNodes[0].textContent.trim() : field}: ${text}` });
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    input.closest(".field, .check").append(note);
    input.focus();
  } else {
    const formError = form.querySelector(".form-error");
    formError.textContent = message;
    formError.hidden = false;
    (form.querySelector("input, select, textarea") || form).focus();
  }
}

// A refused close lists every rule it breaks; each field at fault is marked too.
function problemIn(form, error) {
  const problems = (error.problem && error.problem.problems) || [];
  const list = form.querySelector(".problems");
  if (!problems.length || !list) {
    showError(form, error.field, error.message);
    return;
  }
  // A referral still to send (issue 17) is done in the referrals section: one key away.
  const referrals = problems.some((p) => p.field === "referrals");
  list.replaceChildren(
    ...problems.map((p) =>
      el(
        "li",
        { "data-rule": p.rule },
        el("strong", {}, p.rule),
        " ",
        p.message,
        p.field === "referrals"
          ? el("span", {}, " ", el("button", { type: "button", class: "link", onclick: () => work.openReferrals() }, "Open the referrals"), " ", el("kbd", {}, "Alt+P"))
          : null,
      ),
    ),
  );
  list.hidden = false;
  let first = null;
  for (const p of problems) {
    const input = form.querySelector(`[data-field="${CSS.escape(p.field)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  (first || form.querySelector("input, select, textarea")).focus();
  // Every rule broken stays in sight, whatever the focus scrolled to.
  list.scrollIntoView({ block: "nearest" });
  if (referrals) work.refreshReferrals();
}

// Safeguarding referrals and tasks on the incident panel (issue 17): referrals.js.
const work = incidentWork({
  me: () => state.me,
  reference: () => state.reference,
  current: () => state.current,
  announce,
  showError,
  clearErrors,
});

// ---- The call card ------------------------------------------------------------------

const contactForm = $("contact-form");

function newIdempotencyKey(form) {
  form.dataset.key = crypto.randomUUID();
}

function newCall(join) {
  if (!may.contact(state.me)) return;
  state.joining = join || null;
  contactForm.reset();
  clearErrors(contactForm);
  newIdempotencyKey(contactForm);
  $("call-card").hidden = false;
  resetWhere();
  // A new call gets the handler's whole attention: the previous incident stays in the list.
  if (!join) $("incident").hidden = true;
  $("call-card-title").textContent = join ? `Another caller for ${join.reference}` : "New call";
  const joining = $("joining");
  joining.hidden = !join;
  joining.textContent = join ? `This contact will join incident ${join.reference} instead of opening a new one.` : "";
  $("create-incident").firstChild.textContent = join ? "Add caller to incident " : "Create incident ";
  updateLayout();
  $("channel").focus();
}

// ---- Where: address search as the handler types, the map, the handset location --------

// What places the call: the suggestion picked (kind, key, position, precision), a pin
// dropped or dragged on the map, and the handset location from the network.
const where = { chosen: null, pin: null, handset: null, suggestions: [], active: -1, timer: null, asked: 0 };
let callMap = null;
const whereInput = $("location-text");
const suggestionList = $("location-suggestions");

function startCallMap() {
  if (callMap) return;
  callMap = CRMap.create($("call-map"), {
    label: "Map for placing the call: click to drop a pin at the caller's location",
    follow: false,
    zoom: 13,
    streets: (b) =>
      api("GET", `/api/v1/map/streets?min_lat=${b.minLat.toFixed(6)}&min_lon=${b.minLon.toFixed(6)}&max_lat=${b.maxLat.toFixed(6)}&max_lon=${b.maxLon.toFixed(6)}`),
    onPick: (lat, lon) => {
      where.pin = { lat, lon };
      callMap.setPin(where.pin);
      showPrecision();
    },
  });
  api("GET", "/api/v1/map")
    .then((config) => callMap.setTiles(config.tiles, config.attribution))
    .catch(() => {});
}

// The precision line says how far the position can be trusted, as the server will record it.
function showPrecision() {
  const line = $("location-precision");
  let kind = "callers_words";
  let text = "Caller's words only: not on the map. Pick a suggestion, or click the map to drop a pin.";
  const moved = where.chosen && where.pin && (Math.abs(where.pin.lat - where.chosen.lat) > 1e-5 || Math.abs(where.pin.lon - where.chosen.lon) > 1e-5);
  if (where.chosen && !moved) {
    kind = where.chosen.precision.kind;
    text = `Placed: ${where.chosen.precision.label}${where.chosen.uprn ? ` (UPRN ${where.chosen.uprn})` : ""}: ${where.chosen.address}`;
  } else if (where.pin) {
    kind = "map_pin";
    text = `Placed: map pin at ${where.pin.lat.toFixed(5)}, ${where.pin.lon.toFixed(5)}${moved ? ` (moved from ${where.chosen.address})` : ""}`;
  } else if (where.handset) {
    kind = "handset";
    text = `Placed: handset location within ${Math.ceil(where.handset.radius_metres)} m (${where.handset.source}). Pick an address inside the circle if the caller confirms one.`;
  }
  line.className = `precision precision-${kind}`;
  line.dataset.precision = kind;
  line.textContent = text;
}

function closeSuggestions() {
  suggestionList.hidden = true;
  whereInput.setAttribute("aria-expanded", "false");
  whereInput.removeAttribute("aria-activedescendant");
  where.active = -1;
}

function renderSuggestions() {
  const list = where.suggestions;
  if (!list.length) {
    suggestionList.replaceChildren(el("li", { class: "muted", role: "option", "aria-disabled": "true" }, "No match in the gazetteer: keep the caller's words, or drop a pin on the map."));
  } else {
    suggestionList.replaceChildren(
      ...list.map((s, i) =>
        el(
          "li",
          { id: `suggestion-${i}`, role: "option", class: "suggestion", "aria-selected": i === where.active ? "true" : "false", "data-index": String(i) },
          el("span", { class: "address" }, s.address),
          el("span", { class: `kind precision-${s.precision.kind}` }, s.precision.label),
          el("span", { class: "why" }, s.reasons.join("; ")),
        ),
      ),
    );
  }
  suggestionList.hidden = false;
  whereInput.setAttribute("aria-expanded", "true");
  if (where.active >= 0) whereInput.setAttribute("aria-activedescendant", `suggestion-${where.active}`);
  else whereInput.removeAttribute("aria-activedescendant");
}

async function lookUp(text) {
  const asked = ++where.asked;
  try {
    const answer = await api("GET", `/api/v1/addresses?q=${encodeURIComponent(text)}&limit=8`);
    if (asked !== where.asked) return; // the handler has typed on
    where.suggestions = answer.suggestions;
    where.active = -1;
    renderSuggestions();
    suggestionList.dataset.query = text; // what the list answers, for anyone reading it
  } catch (e) {
    if (asked === where.asked) closeSuggestions();
  }
}

function choose(s) {
  where.chosen = { ...s };
  where.pin = null;
  whereInput.value = s.address;
  closeSuggestions();
  if (callMap) {
    callMap.setPin({ lat: s.lat, lon: s.lon });
    callMap.setView(s.lat, s.lon, s.kind === "address" ? 16 : 15);
  }
  showPrecision();
  announce(`Placed at ${s.address}, ${s.precision.label}.`);
}

whereInput.addEventListener("input", () => {
  // Typing after a pick means the caller said something else: the pick no longer holds.
  if (where.chosen && whereInput.value !== where.chosen.address) {
    where.chosen = null;
    if (callMap) callMap.setPin(where.pin);
    showPrecision();
  }
  clearTimeout(where.timer);
  const text = whereInput.value;
  if (text.trim().length < 2) {
    where.asked++;
    closeSuggestions();
    return;
  }
  where.timer = setTimeout(() => lookUp(text), 120);
});
whereInput.addEventListener("keydown", (e) => {
  if (suggestionList.hidden) {
    if (e.key === "ArrowDown" && whereInput.value.trim().length >= 2) {
      e.preventDefault();
      lookUp(whereInput.value);
    }
    return;
  }
  const n = where.suggestions.length;
  if (e.key === "ArrowDown" && n) {
    where.active = (where.active + 1) % n;
    renderSuggestions();
  } else if (e.key === "ArrowUp" && n) {
    where.active = (where.active - 1 + n) % n;
    renderSuggestions();
  } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && where.active >= 0) {
    choose(where.suggestions[where.active]);
  } else if (e.key === "Escape") {
    closeSuggestions();
  } else return;
  e.preventDefault();
});
suggestionList.addEventListener("mousedown", (e) => {
  const item = e.target.closest("[data-index]");
  if (!item) return;
  e.preventDefault(); // keep the cursor in the box
  choose(where.suggestions[Number(item.dataset.index)]);
});
whereInput.addEventListener("blur", () => setTimeout(closeSuggestions, 150));

// The handset location: its circle on the map and the addresses inside it.
async function showHandset() {
  const f = contactForm.elements;
  const lat = Number(f.handset_lat.value.trim());
  const lon = Number(f.handset_lon.value.trim());
  const radius = Number(f.handset_radius.value.trim() || "50");
  const given = f.handset_lat.value.trim() && f.handset_lon.value.trim();
  if (!given || !Number.isFinite(lat) || !Number.isFinite(lon) || !Number.isFinite(radius)) {
    where.handset = null;
    if (callMap) callMap.setCircle(null);
    $("handset-addresses").replaceChildren();
    $("handset-summary").textContent = "";
    showPrecision();
    return;
  }
  where.handset = { lat, lon, radius_metres: radius, source: "AML" };
  showPrecision();
  if (callMap) {
    callMap.setCircle({ lat, lon, radius, label: `Handset location within ${Math.ceil(radius)} m` });
    callMap.fit();
  }
  try {
    const answer = await api("GET", `/api/v1/addresses/near?lat=${lat}&lon=${lon}&radius_metres=${Math.min(Math.max(radius, 1), 2000)}&limit=10`);
    $("handset-summary").textContent = answer.addresses.length
      ? `${answer.addresses.length} address${answer.addresses.length === 1 ? "" : "es"} inside the circle, nearest first:`
      : "No gazetteer address inside the circle.";
    $("handset-addresses").replaceChildren(
      ...answer.addresses.map((a) =>
        el("li", {}, el("button", { type: "button", class: "link", "data-key": a.key }, `${a.address} (${Math.round(a.metres)} m)`)),
      ),
    );
    for (const button of $("handset-addresses").querySelectorAll("button")) {
      const a = answer.addresses.find((x) => x.key === button.dataset.key);
      button.addEventListener("click", () => choose(a));
    }
  } catch (e) {
    $("handset-summary").textContent = `Addresses inside the circle could not be listed: ${e.message}`;
  }
}
for (const name of ["handset-lat", "handset-lon", "handset-radius"]) $(name).addEventListener("change", showHandset);

function resetWhere() {
  where.chosen = null;
  where.pin = null;
  where.handset = null;
  where.suggestions = [];
  where.asked++;
  closeSuggestions();
  startCallMap();
  if (callMap) {
    callMap.setPin(null);
    callMap.setCircle(null);
  }
  $("handset-addresses").replaceChildren();
  $("handset-summary").textContent = "";
  showPrecision();
}

function numberOrNull(form, field, raw) {
  const text = raw.trim();
  if (!text) return null;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    showError(form, field, `'${text}' is not a number (use decimal degrees, e.g. 53.7965)`);
    throw new Error("invalid number");
  }
  return value;
}

contactForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(contactForm);
  const f = contactForm.elements;
  let handset = null;
  try {
    const hlat = numberOrNull(contactForm, "location.handset", f.handset_lat.value);
    const hlon = numberOrNull(contactForm, "location.handset", f.handset_lon.value);
    const radius = numberOrNull(contactForm, "location.handset.radius_metres", f.handset_radius.value);
    if (hlat !== null || hlon !== null) handset = { lat: hlat, lon: hlon, radius_metres: radius === null ? 50 : radius, source: "AML" };
  } catch (e) {
    return;
  }
  const location = { text: f.location_text.value };
  if (where.chosen) location.gazetteer = { kind: where.chosen.kind, key: where.chosen.key };
  if (where.pin) {
    location.lat = where.pin.lat;
    location.lon = where.pin.lon;
  }
  if (handset) location.handset = handset;
  const body = {
    channel: f.channel.value,
    caller: {
      name: f.caller_name.value,
      phone: f.caller_phone.value.trim() || null,
      callback: f.caller_callback.value.trim() || null,
      is_victim: f.caller_is_victim.checked,
    },
    location,
    summary: f.summary.value,
    incident_type: f.incident_type.value.trim() || null,
  };
  if (state.joining) body.incident_id = state.joining.id;
  const button = $("create-incident");
  button.disabled = true;
  try {
    const answer = await api("POST", "/api/v1/contacts", body, contactForm.dataset.key);
    const incident = answer.incident;
    announce(state.joining ? `Caller added to incident ${incident.reference}.` : `Incident ${incident.reference} created.`);
    upsertFromIncident(incident);
    state.joining = null;
    newIdempotencyKey(contactForm);
    $("call-card").hidden = true;
    showIncident(incident);
    $("log-text").focus();
  } catch (e) {
    problemIn(contactForm, e);
  } finally {
    button.disabled = false;
  }
});

// ---- The incident panel -------------------------------------------------------------

function badge(kind, code) {
  const label = say(code);
  return el("span", { class: `badge ${kind} ${kind}-${code}` }, code === "emergency" ? "⚠ " : "", label);
}

const gradeRankOf = { emergency: 4, priority: 3, scheduled: 2, resolution_without_deployment: 1, signposted: 0 };

// Show the override box when the chosen grade is below the recommendation.
function updateOverride() {
  const chosen = $("grade").value;
  const recommended = state.current && state.current.recommendation.grade;
  const below = chosen && recommended && gradeRankOf[chosen] < gradeRankOf[recommended];
  $("override-field").hidden = !below;
}
$("grade").addEventListener("input", updateOverride);

function renderAssessment(incident) {
  const r = incident.recommendation;
  const rec = $("recommendation");
  rec.classList.toggle("not-assessed", !r.assessed);
  if (!r.grade) {
    // Never a low grade before the facts are in: say what is still to establish.
    rec.replaceChildren(
      el("strong", {}, "Not yet assessed. "),
      "Still to do: ",
      el("ul", { class: "missing" }, ...r.missing.map((m) => el("li", {}, m))),
    );
  } else {
    rec.replaceChildren(
      el("strong", {}, r.assessed ? "Recommended: " : "At least: "),
      badge("grade", r.grade),
      " because: ",
      r.reasons.join("; "),
      r.signpost_to ? el("span", { class: "signpost-to" }, ` — signpost to ${agencyName(r.signpost_to)}`) : null,
      r.assessed ? null : el("ul", { class: "missing" }, ...r.missing.map((m) => el("li", {}, m))),
    );
  }
  renderQuestions(incident);
  const c = incident.clocks;
  const parts = [];
  if (c.answer_seconds !== null && c.answer_seconds !== undefined) parts.push(`answered in ${c.answer_seconds} s`);
  if (c.to_grade_seconds !== null && c.to_grade_seconds !== undefined) parts.push(`graded after ${Math.round(c.to_grade_seconds / 60)} min`);
  if (c.attendance) {
    const a = c.attendance;
    if (a.arrived_at) parts.push(`arrived ${time(a.arrived_at)}: target ${a.met ? "met" : "missed"}`);
    else parts.push(`attend by ${time(a.due_at)} (${a.target_minutes} min target)${a.overdue ? " — OVERDUE" : ""}`);
  }
  $("incident-clocks").textContent = parts.length ? `Service: ${parts.join(" · ")}` : "";
  $("incident-clocks").classList.toggle("overdue-text", Boolean(c.attendance && c.attendance.overdue));

  const items = [];
  const thrive = incident.thrive[incident.thrive.length - 1];
  if (thrive) {
    const levels = ["threat", "harm", "risk", "investigation", "vulnerability", "engagement"]
      .map((f) => `${f[0].toUpperCase()}:${thrive[f].level}`)
      .join(" ");
    items.push(el("li", {}, el("span", { class: "meta" }, `THRIVE ${time(thrive.at)} ${thrive.by}`), levels, el("span", { class: "text", text: thrive.ndm.assessment })));
  }
  for (const v of incident.vulnerabilities) {
    items.push(el("li", {}, el("span", { class: "meta" }, `Vulnerability ${time(v.at)} ${v.by}`), `${say(v.subject)}: ${v.flags.map(say).join(", ")}`, v.note ? el("span", { class: "text", text: v.note }) : null));
  }
  const dash = incident.dash[incident.dash.length - 1];
  if (dash) {
    items.push(el("li", {}, el("span", { class: "meta" }, `DASH ${time(dash.at)} ${dash.by}`), badge("dash", dash.risk), ` risk (${dash.yes_count} yes) · refer to ${dash.referrals.join(", ")}`, el("span", { class: "text", text: dash.reasons.join("; ") })));
  }
  for (const sp of incident.signposts) {
    items.push(el("li", {}, el("span", { class: "meta" }, `Signposted ${time(sp.at)} ${sp.by}`), sp.agency, el("span", { class: "text", text: sp.advice })));
  }
  $("incident-assessment").replaceChildren(...(items.length ? items : [el("li", { class: "empty", text: "No assessment recorded yet." })]));
}

function agencyName(code) {
  const found = state.reference && state.reference.agencies.find((a) => a.code === code);
  return found ? found.name : code;
}

// An explicit answer: starts "not asked"; Y, N or K on the group chooses yes, no or not
// known (a letter never picks by first letter, so "n" is always "No"), then moves on.
const ANSWERS = [
  ["not_asked", "Not asked", ""],
  ["yes", "Yes", "Y"],
  ["no", "No", "N"],
  ["not_known", "Not known", "K"],
];
const ANSWER_KEYS = { y: "yes", n: "no", k: "not_known" };
function answerGroup(name, labelText, labelId, value) {
  const group = el(
    "div",
    { class: "answer-group", role: "radiogroup", "aria-labelledby": labelId, "data-name": name },
    ...ANSWERS.map(([v, text, key]) =>
      el(
        "label",
        { class: `answer answer-${v}` },
        el("input", { type: "radio", name, value: v, checked: v === (value || "not_asked") ? "" : null }),
        ` ${text}`,
        key ? el("kbd", {}, key) : null,
      ),
    ),
  );
  return el("li", { class: "question" }, el("span", { id: labelId, class: "question-text" }, labelText), group);
}
function chosen(group) {
  const checked = group.querySelector("input:checked");
  return checked ? checked.value : "not_asked";
}
document.addEventListener("keydown", (event) => {
  const group = event.target.closest && event.target.closest(".answer-group");
  if (!group || event.altKey || event.ctrlKey || event.metaKey) return;
  const value = ANSWER_KEYS[event.key.toLowerCase()];
  if (!value) return;
  event.preventDefault();
  const input = group.querySelector(`input[value="${value}"]`);
  input.checked = true;
  input.dispatchEvent(new Event("change", { bubbles: true }));
  // On to the next question in the same list.
  const groups = [...group.closest("ol").querySelectorAll(".answer-group")];
  const next = groups[groups.indexOf(group) + 1];
  (next ? next.querySelector("input:checked") || next.querySelector("input") : group.closest("form").querySelector("button[type=submit]")).focus();
});

// A refusal is about the answers as they were: choosing one clears it.
for (const id of ["dash-form", "questions-form"]) $(id).addEventListener("change", () => clearErrors($(id)));

// The question set for the incident type, with the answers recorded so far.
function renderQuestions(incident) {
  const list = $("question-list");
  const sameIncident = list.dataset.incident === incident.id && list.dataset.type === (incident.incident_type || "");
  const pending = sameIncident ? new Map([...list.querySelectorAll(".answer-group")].map((g) => [g.dataset.name, chosen(g)])) : new Map();
  list.dataset.incident = incident.id;
  list.dataset.type = incident.incident_type || "";
  if (!incident.questions.length) {
    list.replaceChildren(el("li", { class: "empty", text: "Give the incident a type (Alt+Q) to see its questions." }));
    return;
  }
  list.replaceChildren(
    ...incident.questions.map((q, i) => {
      const name = `fact-${q.fact}`;
      // What the handler has chosen but not saved survives a redraw; saved answers show as recorded.
      const value = q.answer !== "not_asked" ? q.answer : pending.get(name) || "not_asked";
      return answerGroup(name, q.question, `question-${i}`, value);
    }),
  );
}

// Put the incident's classification back into the forms (on opening it, or after saving).
function resetAssessmentForms(incident) {
  $("classify-type").value = incident.incident_type || "";
  document.querySelectorAll("#qualifier-boxes input").forEach((box) => {
    box.checked = incident.qualifiers.includes(box.value);
  });
  // Crimes already recorded from this incident: their numbers are the closure's crime
  // reference, so the handler does not retype them.
  const crimes = incident.crime_recording.crimes.map((c) => c.reference);
  $("crime-reference-list").replaceChildren(...crimes.map((c) => el("option", { value: c })));
  if (crimes.length && !$("crime-reference").value) $("crime-reference").value = crimes[0];
  // The qualifiers recorded on the call (chosen, or a "yes" to a question) are ticked.
  const yes = incident.questions.filter((q) => q.answer === "yes").map((q) => q.fact);
  const recordedQualifiers = new Set([...incident.qualifiers, ...yes]);
  document.querySelectorAll("#close-qualifier-boxes input").forEach((box) => {
    box.checked = recordedQualifiers.has(box.value);
  });
}

function showIncident(incident, resetForms) {
  const changedIncident = !state.current || state.current.id !== incident.id;
  state.current = incident;
  renderAssessment(incident);
  if (changedIncident || resetForms) resetAssessmentForms(incident);
  if (changedIncident) prefillIntel(incident);
  updateOverride();
  $("incident").hidden = false;
  updateLayout();
  $("incident-title").textContent = `Incident ${incident.reference}`;
  const badges = $("incident-badges");
  badges.replaceChildren(
    badge("status", incident.status),
    incident.grade ? badge("grade", incident.grade) : el("span", { class: "badge grade-none", text: "Not graded" }),
    incident.incident_type ? el("span", { class: "badge", text: incident.incident_type }) : null,
  );
  const first = incident.contacts[0];
  const placed = first && first.location.precision ? ` (${first.location.precision.label})` : "";
  $("incident-summary").textContent = first ? `${first.location.text}${placed} — ${first.summary}` : "";
  // Every number to call back on, newest caller first; said plainly when there is none.
  const callers = [...incident.contacts].reverse().filter((c) => c.caller.phone);
  $("incident-callback").textContent = callers.length
    ? `Callback: ${callers.map((c) => `${c.caller.phone} (${c.caller.name})`).join(" · ")}`
    : "Callback: no number given";

  const closure = $("incident-closure");
  closure.hidden = !incident.closure;
  if (incident.closure) {
    const c = incident.closure;
    const qualifiers = c.qualifiers.length ? ` (${c.qualifiers.join(", ")})` : "";
    closure.textContent = `Closed as ${c.closing_code}${qualifiers} by ${c.by} at ${time(c.at)}: ${c.resolution}`;
  }

  // What this user may do to this incident now is the server's decision (their roles and
  // the incident's state); the console only shows it.
  const a = incident.actions || {};
  const show = {
    log: !!a.log,
    grade: !!a.grade,
    close: !!a.close,
    reopen: !!a.reopen,
    contact: !!a.contact,
    appointment: !!a.appointment,
    approve: !!a.approve_unattended_closure,
  };
  const unattended = $("unattended-notice");
  unattended.hidden = !incident.needs_unattended_approval && !incident.unattended_closure;
  unattended.textContent = incident.unattended_closure
    ? `Closing without attendance approved by ${incident.unattended_closure.by} at ${time(incident.unattended_closure.at)}: ${incident.unattended_closure.reason}`
    : `Graded ${say(incident.grade || "").toLowerCase()} and no unit attended: a supervisor must approve closing it, with the reason.`;
  document.querySelectorAll("#incident-actions [data-needs]").forEach((node) => {
    node.hidden = !show[node.dataset.needs];
  });

  $("incident-log").replaceChildren(...incident.log.map(logEntry));
  if (!incident.log.length) $("incident-log").append(el("li", { class: "empty", text: "No log entries yet." }));
  earlierLogButton(incident.id, incident.log, incident.log_total);

  renderCrimeRecording(incident);

  $("incident-contacts").replaceChildren(
    ...incident.contacts.map((c) =>
      el(
        "li",
        {},
        el("span", { class: "meta" }, `${time(c.answered_at)} ${say(c.channel)} · taken by ${c.handler}`),
        el("span", {}, `${c.caller.name}${c.caller.phone ? ` · ${c.caller.phone}` : ""}${c.caller.is_victim ? " · victim" : ""}`),
        el("span", { class: "text" }, `${c.location.text}: ${c.summary}`),
      ),
    ),
  );
  $("incident-history").replaceChildren(
    ...incident.history.map((h) =>
      el(
        "li",
        {},
        el("span", { class: "meta" }, `${dateTime(h.at)} ${h.by}`),
        `${h.from ? `${say(h.from)} → ` : ""}${say(h.to)}`,
        h.reason ? el("span", { class: "text", text: h.reason }) : null,
      ),
    ),
  );
  if (changedIncident || resetForms) loadLinked(incident); // issue 12: linked people and vehicles
  work.show(incident, changedIncident || resetForms); // issue 17: referrals and tasks
}

// NCRS: the recording clock, the crimes recorded from this incident and any non-crime
// decision. Shown when the incident is a report of crime or something was decided.
function renderCrimeRecording(incident) {
  const r = incident.crime_recording;
  const shown = r.crime_report || r.crimes.length > 0 || !!r.non_crime || r.indicators.length > 0;
  $("incident-crime").hidden = !shown;
  if (!shown) return;
  const c = r.clock;
  const clockText = !c
    ? "Not a report of crime by its codes."
    : c.state === "running"
      ? `Recording decision due by ${dateTime(c.due_at)}`
      : c.state === "overdue"
        ? `Recording decision OVERDUE since ${dateTime(c.due_at)}`
        : c.state === "decided_on_time"
          ? "Recording decision made on time"
          : "Recording decision made late";
  $("incident-crime-clock").textContent = clockText;
  const items = r.crimes.map((crime) =>
    el("li", {}, `Crime ${crime.reference}: ${crime.classification}${crime.classification_name ? ` ${crime.classification_name}` : ""} · ${crime.by} ${dateTime(crime.at)}`),
  );
  if (r.non_crime) items.push(el("li", {}, `No crime: ${r.non_crime.reason_label} · ${r.non_crime.rationale}`));
  if (!items.length) items.push(el("li", { class: "empty" }, "No crime recorded and no non-crime decision yet."));
  $("incident-crimes").replaceChildren(...items);
  const decide = $("incident-crime-decide");
  decide.href = `/console/crimes?incident=${encodeURIComponent(incident.id)}`;
  decide.hidden = !(incident.actions && incident.actions.record_crime);
}

// Someone else changed the incident on screen: show the new state without moving the
// cursor or touching anything being typed.
async function refreshIncident(id) {
  try {
    const incident = await api("GET", `/api/v1/incidents/${id}`);
    if (state.current && state.current.id === id && incident.version > state.current.version) showIncident(incident);
  } catch (e) {
    announce(e.message);
  }
}

async function openIncident(id) {
  try {
    const incident = await api("GET", `/api/v1/incidents/${id}`);
    $("call-card").hidden = true;
    showIncident(incident, true);
    $("incident-title").setAttribute("tabindex", "-1");
    $("incident-title").focus();
  } catch (e) {
    announce(e.message);
  }
}

// Each action form posts its fields and keeps the cursor where the handler is working.
// The form `<path>-form` unless named: it posts to the incident's `<path>`.
function actionForm(path, toBody, done, id = `${path}-form`) {
  const form = $(id);
  newIdempotencyKey(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!state.current) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await api("POST", `/api/v1/incidents/${state.current.id}/${path}`, toBody(form.elements), form.dataset.key);
      newIdempotencyKey(form);
      form.reset();
      showIncident(answer.incident, true);
      upsertFromIncident(answer.incident);
      announce(done(answer.incident));
      const next = form.hidden ? $("log-text") : form.querySelector("input, select, textarea");
      if (next && !next.closest("form").hidden) next.focus();
      else $("incident-title").focus();
    } catch (e) {
      problemIn(form, e);
    } finally {
      button.disabled = false;
    }
  });
}

actionForm("log", (f) => ({ text: f.text.value }), (i) => `Log entry added to ${i.reference}.`);
actionForm(
  "grade",
  (f) => ({ grade: f.grade.value, rationale: f.rationale.value, override_reason: f.override_reason.value.trim() || null }),
  (i) => `${i.reference} graded ${say(i.grade).toLowerCase()}.`,
);
actionForm(
  "close",
  (f) => ({
    closing_code: f.closing_code.value.trim() || null,
    qualifiers: [...document.querySelectorAll("#close-qualifier-boxes input:checked")].map((b) => b.value),
    resolution: f.resolution.value,
    final_incident_type: f.final_incident_type.value.trim() || null,
    crime_reference: f.crime_reference.value.trim() || null,
    non_crime_rationale: f.non_crime_rationale.value.trim() || null,
    outcome: f.outcome.value || null,
  }),
  (i) => `${i.reference} closed.`,
);
actionForm(
  "appointment",
  (f) => ({ area: f.area.value, date: f.date.value, time: f.time.value }),
  (i) => `Appointment booked for ${i.reference}: ${i.appointment}.`,
);
$("appointment-next").addEventListener("click", async () => {
  const form = $("appointment-form");
  clearErrors(form);
  const f = form.elements;
  const today = new Date().toISOString().slice(0, 10);
  try {
    const slot = await api("GET", `/api/v1/diary/next?area=${encodeURIComponent(f.area.value)}&date=${encodeURIComponent(f.date.value || today)}`);
    if (!slot) {
      announce("No free slot in that area this week.");
      return;
    }
    f.date.value = slot.date;
    f.time.value = slot.time;
    announce(`Next free slot: ${slot.area} ${slot.date} ${slot.time} (${slot.free} free).`);
    form.querySelector("button[type=submit]").focus();
  } catch (e) {
    problemIn(form, e);
  }
});
actionForm(
  "classify",
  (f) => ({
    incident_type: f.incident_type.value.trim() || null,
    qualifiers: [...document.querySelectorAll("#qualifier-boxes input:checked")].map((b) => b.value),
  }),
  (i) => `${i.reference} classified.`,
);
const FACTORS = ["threat", "harm", "risk", "investigation", "vulnerability", "engagement"];
actionForm(
  "thrive",
  (f) => {
    const body = { ndm: {} };
    for (const factor of FACTORS) body[factor] = { level: f[`${factor}_level`].value, reason: f[`${factor}_reason`].value };
    for (const step of ["information", "assessment", "powers_and_policy", "options", "action"]) body.ndm[step] = f[step].value;
    return body;
  },
  (i) => `THRIVE recorded for ${i.reference}. Recommended grade: ${say(i.recommendation.grade)}.`,
);
actionForm(
  "vulnerability",
  (f) => ({
    subject: f.subject.value,
    flags: [...document.querySelectorAll("#flag-boxes input:checked")].map((b) => b.value),
    note: f.note.value.trim() || null,
  }),
  (i) => `Vulnerability recorded for ${i.reference}.`,
);
actionForm(
  "dash",
  (f) => ({
    answers: [...document.querySelectorAll("#dash-questions .answer-group")].map(chosen),
    professional_judgement: f.professional_judgement.value || null,
    incidents_last_12_months: Number(f.incidents_last_12_months.value) || 0,
  }),
  (i) => {
    const d = i.dash[i.dash.length - 1];
    return `DASH recorded: ${d.risk} risk. Refer to ${d.referrals.join(", ")}.`;
  },
);
actionForm(
  "answers",
  () => ({
    answers: Object.fromEntries(
      [...document.querySelectorAll("#question-list .answer-group")].map((g) => [g.dataset.name.replace(/^fact-/, ""), chosen(g)]),
    ),
  }),
  (i) => (i.recommendation.grade ? `Answers saved. ${i.recommendation.explanation}.` : `Answers saved. ${i.reference} is not yet assessed.`),
  "questions-form",
);
actionForm(
  "unattended-closure-approval",
  (f) => ({ reason: f.reason.value }),
  (i) => `Closing ${i.reference} without attendance approved.`,
  "approve-unattended-form",
);
actionForm(
  "signpost",
  (f) => ({ agency: f.agency.value, advice: f.advice.value }),
  (i) => `Signposting recorded for ${i.reference}.`,
);

// ---- Intelligence check --------------------------------------------------------------

// Fill the check from what the caller gave, when an incident is opened.
function prefillIntel(incident) {
  const c = incident.contacts[0];
  if (!c) return;
  $("intel-name").value = c.caller.name || "";
  $("intel-phone").value = c.caller.phone || "";
  $("intel-location").value = c.location.text || "";
  $("intel-dob").value = "";
  $("intel-vrm").value = "";
  $("intel-results").replaceChildren();
}

function recordLink(hit) {
  if (["person", "vehicle", "location"].includes(hit.kind)) {
    return el("a", { href: `/console/records/${hit.kind}/${hit.id}`, target: "_blank" }, hit.label || hit.id);
  }
  if (hit.kind === "incident") {
    return el("button", { type: "button", class: "link", onclick: () => openIncident(hit.id) }, hit.label || hit.id);
  }
  if (hit.kind === "crime") {
    const label = `Crime ${hit.label || hit.id}`;
    return may.reviewCrime(state.me)
      ? el("a", { href: `/console/crimes?crime=${encodeURIComponent(hit.id)}`, target: "_blank" }, label)
      : el("span", {}, label);
  }
  return el("span", {}, hit.label || hit.id);
}

function hitList(title, hits, empty) {
  return el(
    "section",
    { class: "intel-group" },
    el("h4", {}, `${title} (${hits.length})`),
    hits.length
      ? el(
          "ul",
          {},
          ...hits.slice(0, 10).map((h) =>
            el(
              "li",
              {},
              recordLink(h),
              h.at ? el("span", { class: "meta" }, ` ${dateTime(h.at)}`) : null,
              h.role ? el("span", { class: "meta" }, ` ${h.role}`) : null,
              h.reasons && h.reasons.length ? el("span", { class: "muted" }, ` — ${h.reasons.join("; ")}`) : null,
              linkControls(h), // issue 12: see "People and vehicles linked to the incident"
            ),
          ),
        )
      : el("p", { class: "muted" }, empty),
  );
}

// Open incidents nearby in the last hour: offer to join this call to one, so one event is
// counted once.
function duplicateList(hits) {
  return el(
    "section",
    { class: "intel-group" },
    el("h4", {}, `Possible duplicates open nearby (${hits.length})`),
    el(
      "ul",
      {},
      ...hits.slice(0, 5).map((h) =>
        el(
          "li",
          {},
          recordLink(h),
          h.reasons && h.reasons.length ? el("span", { class: "muted" }, ` — ${h.reasons.join("; ")} `) : " ",
          el("button", { type: "button", class: "join-duplicate", onclick: () => joinDuplicate(h) }, `Same event: join this call to ${h.label.split(" ")[0]}`),
        ),
      ),
    ),
  );
}

async function joinDuplicate(hit) {
  if (!state.current) return;
  try {
    const answer = await api("POST", `/api/v1/incidents/${state.current.id}/duplicate`, { of: hit.id }, crypto.randomUUID());
    upsertFromIncident(answer.incident);
    announce(`${answer.incident.reference} closed as a duplicate; its caller joined ${hit.label.split(" ")[0]}.`);
    await openIncident(hit.id);
  } catch (e) {
    announce(e.message);
  }
}

function showIntel(result) {
  const markers = result.markers.map((m) =>
    el(
      "li",
      { class: m.expired ? "marker expired" : "marker" },
      el("strong", {}, `${m.expired ? "Expired: " : "⚠ "}${say(m.kind).toUpperCase()}`),
      ` on ${m.on}: ${m.reason} (source ${m.source}, review by ${m.review_by})`,
    ),
  );
  const repeats = [
    result.repeat_caller ? `repeat caller: ${result.repeat_caller} in 12 months` : null,
    result.repeat_location ? `repeat location: ${result.repeat_location}` : null,
    result.repeat_victim ? `repeat victim: ${result.repeat_victim}` : null,
  ].filter(Boolean);
  const parts = [
    el("p", { class: "muted" }, `Searched ${result.searched.join(", ") || "nothing"}.`),
    markers.length ? el("ul", { class: "markers", "aria-label": "Warning markers" }, ...markers) : el("p", {}, "No warning markers on what was found."),
    repeats.length ? el("p", { class: "notice" }, repeats.join(" · ")) : null,
    result.possible_duplicates.length ? duplicateList(result.possible_duplicates) : null,
    hitList("People", result.people, "No person found."),
    hitList("By phone", result.phone, "Nothing on this number."),
    result.vehicles.length ? hitList("Vehicles", result.vehicles, "") : null,
    hitList("Locations", result.locations, "No location found."),
    hitList("History (12 months)", result.history, "No previous incidents."),
  ];
  $("intel-results").replaceChildren(...parts.filter(Boolean));
}

$("intel-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("intel-form");
  clearErrors(form);
  if (!state.current) return;
  const f = form.elements;
  const value = (name) => f[name].value.trim() || null;
  const first = state.current.contacts[0];
  const coords = first && first.location.lat !== null && first.location.lat !== undefined ? { near_lat: first.location.lat, near_lon: first.location.lon, near_metres: 100 } : {};
  try {
    const result = await api("POST", `/api/v1/incidents/${state.current.id}/intelligence`, {
      name: value("name"),
      date_of_birth: value("date_of_birth"),
      phone: value("phone"),
      vrm: value("vrm"),
      location: value("location"),
      ...coords,
    });
    showIntel(result);
    announce(`Intelligence check done for ${state.current.reference}: ${result.people.length} people, ${result.markers.length} markers.`);
    refreshIncident(state.current.id);
  } catch (e) {
    problemIn(form, e);
  }
});

// The lists the forms offer come from the reference data the server runs with.
function fillReference(reference) {
  $("incident-type-list").replaceChildren(...reference.incident_types.map((t) => el("option", { value: t.code }, `${t.name} (${t.category})`)));
  $("closing-code-list").replaceChildren(...reference.closing_codes.map((c) => el("option", { value: c.code }, `${c.name} (${c.category})`)));
  const boxes = (container, name, items) =>
    $(container).replaceChildren(
      ...items.map((item) =>
        el("label", { class: "box" }, el("input", { type: "checkbox", name, value: item.code }), ` ${item.name}`),
      ),
    );
  boxes("qualifier-boxes", "qualifier", reference.qualifiers);
  boxes("close-qualifier-boxes", "close_qualifier", reference.qualifiers);
  boxes("flag-boxes", "flag", reference.vulnerability_flags);
  $("signpost-agency").replaceChildren(...reference.agencies.map((a) => el("option", { value: a.code }, a.name)));
  const when = () => {
    const agency = reference.agencies.find((a) => a.code === $("signpost-agency").value);
    $("signpost-when").textContent = agency ? `When: ${agency.when_to_use}. Contact: ${agency.contact}.` : "";
  };
  $("signpost-agency").addEventListener("input", when);
  when();
  $("thrive-rows").replaceChildren(
    ...FACTORS.map((factor) =>
      el(
        "tr",
        {},
        el("th", { scope: "row" }, say(factor)),
        el(
          "td",
          {},
          el(
            "select",
            { name: `${factor}_level`, id: `thrive-${factor}-level`, "data-field": `${factor}.level`, "aria-label": `${say(factor)} level` },
            el("option", { value: "" }, "Not assessed"),
            el("option", { value: "low" }, "Low"),
            el("option", { value: "medium" }, "Medium"),
            el("option", { value: "high" }, "High"),
          ),
        ),
        el("td", { class: "field" }, el("input", { name: `${factor}_reason`, id: `thrive-${factor}-reason`, "data-field": `${factor}.reason`, "aria-label": `${say(factor)} reason`, autocomplete: "off" })),
      ),
    ),
  );
  $("dash-questions").replaceChildren(
    ...reference.dash_questions.map((q) => answerGroup(`dash-q${q.number}`, q.question, `dash-label-${q.number}`, "not_asked")),
  );
}
actionForm("reopen", (f) => ({ reason: f.reason.value }), (i) => `${i.reference} reopened: grade it again.`);

$("join-caller").addEventListener("click", () => {
  if (state.current) newCall(state.current);
});

// ---- People and vehicles linked to the incident (issue 12) ---------------------------
// Each person or vehicle found by the intelligence check can be linked to the incident on
// screen as victim, suspect, witness or caller (buttons, so Tab and Enter reach them); the
// incident panel lists who is linked, with the role. The link is kept on the person's or
// vehicle's record (POST /records/{kind}/{id}/links); the list comes from
// GET /incidents/{id}/links, an audited read, asked for when an incident is opened and
// after each link, not on every refresh.
const linkRoles = ["victim", "suspect", "witness", "caller"];
const roleName = (role) => ({ victim: "Victim", suspect: "Suspect", witness: "Witness", caller: "Caller" })[role] || say(role);

function linkControls(hit) {
  if (!["person", "vehicle"].includes(hit.kind) || !state.current || !(state.current.actions && state.current.actions.log)) return null;
  const name = hit.label || hit.id;
  return el(
    "span",
    { class: "link-as", role: "group", "aria-label": `Link ${name} to this incident as` },
    el("span", { class: "meta" }, "Link to this incident as:"),
    ...linkRoles.map((role) =>
      el("button", { type: "button", "data-role": role, "aria-label": `Link ${name} as ${role}`, onclick: (e) => linkTo(hit, role, e.currentTarget) }, roleName(role)),
    ),
  );
}

async function linkTo(hit, role, button) {
  const incident = state.current;
  if (!incident) return;
  const name = hit.label || hit.id;
  try {
    await api("POST", `/api/v1/records/${hit.kind}/${hit.id}/links`, { to_kind: "incident", to_id: incident.id, role });
    button.setAttribute("aria-pressed", "true");
    button.textContent = `✓ ${roleName(role)}`;
    announce(`${name} linked to ${incident.reference} as ${role}.`);
    await loadLinked(incident);
  } catch (e) {
    announce(`${name} was not linked to ${incident.reference}: ${e.message}`);
  }
}

async function loadLinked(incident) {
  const list = $("incident-links");
  try {
    const linked = await api("GET", `/api/v1/incidents/${incident.id}/links`);
    if (!state.current || state.current.id !== incident.id) return;
    list.replaceChildren(
      ...(linked.length
        ? linked.map((l) =>
            el(
              "li",
              {},
              el("span", { class: "badge" }, roleName(l.role)),
              el("a", { href: `/console/records/${l.kind}/${l.id}`, target: "_blank" }, l.label),
              el("span", { class: "meta" }, `${say(l.kind)}${l.born ? ` · born ${l.born}` : ""}`),
            ),
          )
        : [el("li", { class: "empty" }, "No person or vehicle linked yet. Link them from the intelligence check.")]),
    );
  } catch (e) {
    list.replaceChildren(el("li", { class: "form-error" }, `The linked people and vehicles cannot be shown: ${e.message}`));
  }
}
// ---- end of linked people and vehicles ----

// ---- The live list ------------------------------------------------------------------

function upsert(row) {
  const known = state.incidents.get(row.id);
  if (known && known.version > row.version) return false;
  state.incidents.set(row.id, row);
  return true;
}

function upsertFromIncident(incident) {
  const first = incident.contacts[0] || { channel: "", location: { text: "" }, summary: "" };
  upsert({
    id: incident.id,
    reference: incident.reference,
    status: incident.status,
    grade: incident.grade,
    incident_type: incident.incident_type,
    channel: first.channel,
    location: first.location.text,
    summary: first.summary,
    contact_count: incident.contacts.length,
    opened_at: incident.opened_at,
    last_changed_at: incident.last_changed_at,
    version: incident.version,
    attend_by:
      incident.clocks.attendance && !incident.clocks.attendance.arrived_at && ["graded", "dispatched"].includes(incident.status)
        ? incident.clocks.attendance.due_at
        : null,
  });
  renderList(incident.id);
}

const gradeRank = { emergency: 0, priority: 1, scheduled: 2, resolution_without_deployment: 3, signposted: 4 };

function visibleRows() {
  const status = $("filter-status").value;
  const grade = $("filter-grade").value;
  const text = $("filter-text").value.trim().toLowerCase();
  const rows = [...state.incidents.values()].filter((row) => {
    if (status === "active" && row.status === "closed") return false;
    if (status && status !== "active" && row.status !== status) return false;
    if (grade === "none" && row.grade) return false;
    if (grade && grade !== "none" && row.grade !== grade) return false;
    if (text) {
      const haystack = `${row.reference} ${row.location} ${row.incident_type || ""} ${row.summary}`.toLowerCase();
      if (!haystack.includes(text)) return false;
    }
    return true;
  });
  const { key, descending } = state.sort;
  const value = (row) => (key === "grade" ? gradeRank[row.grade] ?? 9 : String(row[key] || ""));
  rows.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  return rows;
}

// The incident type's name from the reference list (codes do not wrap or read well).
function typeName(code) {
  if (!code) return "";
  const known = state.reference && state.reference.incident_types.find((t) => t.code === code);
  return known ? known.name : code;
}

// Minutes left before the attendance target runs out, while nobody is there yet.
function minutesLeft(row, now) {
  if (!row.attend_by || !["graded", "dispatched"].includes(row.status)) return null;
  return Math.ceil((Date.parse(row.attend_by) - now) / 60000);
}

// A warning before the target is missed: five minutes or less to go.
const WARN_MINUTES = 5;

// A deployed grade whose attendance target has run out with nobody there.
function isOverdue(row, now) {
  return Boolean(row.attend_by) && ["graded", "dispatched"].includes(row.status) && now > Date.parse(row.attend_by);
}

// ---- Promised call-backs that are late (issue 17) ------------------------------------
// The task board's `overdue_call_backs` (GET /api/v1/tasks): each incident whose promised
// call-back is past its time, with the earliest time missed. Read at the start, when the live
// feed says a task changed, just after a call-back we know of falls due, and every minute. A
// user the board is not for (403) sees no marker and the board is not asked for again.
const callBacks = {
  overdue: new Map(), // incident id -> the earliest promised time missed (ms)
  coming: new Map(), // open task id -> its due time (ms), still to come: a read is due then
  refused: false,
  timer: null,
  soon: null,
  reading: Promise.resolve(),
};
const CALL_BACK_EVERY_MS = 60_000;

async function readCallBacks() {
  if (callBacks.refused) return;
  let board;
  try {
    board = await api("GET", "/api/v1/tasks");
  } catch (e) {
    if (e.status === 403) {
      callBacks.refused = true;
      callBacks.overdue.clear();
      callBacks.coming.clear();
      clearTimeout(callBacks.timer);
      renderList();
    }
    return; // anything else: what was known stays until the next minute's read
  }
  const now = Date.now();
  const shown = Boolean(state.current) && callBacks.overdue.has(state.current.id);
  callBacks.overdue = new Map(
    (board.overdue_call_backs || []).filter((c) => c && c.incident && c.due).map((c) => [c.incident, Date.parse(c.due)]),
  );
  // The call-backs the board shows that are still to fall due (the user's teams' queue).
  for (const line of [...(board.queue || []), ...(board.escalated || []), ...(board.duty_inspector || [])]) {
    if (line.kind === "call_back" && line.id && line.due) callBacks.coming.set(line.id.id, Date.parse(line.due));
  }
  for (const [task, due] of callBacks.coming) if (!(due > now)) callBacks.coming.delete(task);
  renderList();
  // The open incident's own call-back fell due: its tasks say so too.
  if (state.current && callBacks.overdue.has(state.current.id) !== shown) work.onTask({ incident: state.current.id });
  watchCallBacksDue();
}

// One read at a time; a burst of task events is one read.
function refreshCallBacks() {
  if (callBacks.refused) return;
  clearTimeout(callBacks.soon);
  callBacks.soon = setTimeout(() => {
    callBacks.reading = callBacks.reading.then(readCallBacks).catch(() => {});
  }, 200);
}

// Read again just after the next call-back we know of falls due, so its marker comes on time.
function watchCallBacksDue() {
  clearTimeout(callBacks.timer);
  const now = Date.now();
  const next = Math.min(...[...callBacks.coming.values()].filter((due) => due > now));
  if (Number.isFinite(next) && next - now < 2 ** 31 - 5000) callBacks.timer = setTimeout(refreshCallBacks, next - now + 1500);
}

// The live feed's `task` event ({task, incident, team, officer, status, priority, due}): an
// open task's due time is remembered (the event does not say its kind; a read at a time that
// was not a call-back's costs one read), a closed one's forgotten; the board is read again.
function taskChanged(data) {
  if (callBacks.refused) return;
  if (data && data.task) {
    const due = Date.parse(data.due);
    if (["set", "acknowledged"].includes(data.status) && due > Date.now()) callBacks.coming.set(data.task, due);
    else callBacks.coming.delete(data.task);
  }
  watchCallBacksDue();
  refreshCallBacks();
}

// "12 min", "1 h 05 min": how long a promised call-back is late.
function lateBy(due, now) {
  const minutes = Math.floor((now - due) / 60000);
  if (minutes < 1) return "under 1 min";
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function callBackMarker(row, now) {
  const due = callBacks.overdue.get(row.id);
  if (due === undefined) return null;
  return el(
    "span",
    { class: "badge callback-overdue", title: `The call-back promised by ${dateTime(new Date(due).toISOString())} has not been made` },
    `CALL-BACK OVERDUE ${lateBy(due, now)}`,
  );
}

function renderList(changedId) {
  const now = Date.now();
  const rows = visibleRows().map((row) =>
    el(
      "tr",
      {
        "data-id": row.id,
        class:
          [
            row.grade === "emergency" ? "emergency" : "",
            isOverdue(row, now) ? "overdue" : "",
            callBacks.overdue.has(row.id) ? "callback-overdue" : "",
            row.id === changedId ? "changed" : "",
          ]
            .join(" ")
            .trim() || null,
      },
      el("th", { scope: "row" }, el("button", { type: "button", class: "link", onclick: () => openIncident(row.id) }, row.reference)),
      el("td", { class: "age" }, age(row.opened_at, now)),
      el("td", { class: "grade" }, row.grade ? badge("grade", row.grade) : el("span", { class: "muted", text: "Not graded" })),
      el("td", {}, typeName(row.incident_type)),
      el("td", { class: "location", title: row.summary }, row.location),
      el(
        "td",
        {},
        badge("status", row.status),
        isOverdue(row, now)
          ? el("span", { class: "badge overdue" }, "Overdue")
          : minutesLeft(row, now) !== null && minutesLeft(row, now) <= WARN_MINUTES
            ? el("span", { class: "badge due-soon" }, `Due in ${minutesLeft(row, now)} min`)
            : null,
        callBackMarker(row, now),
      ),
    ),
  );
  $("incident-rows").replaceChildren(...rows);
  $("live-empty").hidden = rows.length > 0;
}

async function loadList() {
  const list = await api("GET", "/api/v1/incidents?limit=500");
  state.incidents.clear();
  list.incidents.forEach(upsert);
  renderList();
}

document.querySelectorAll("#incident-table [data-sort]").forEach((button) => {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    state.sort = { key, descending: state.sort.key === key ? !state.sort.descending : key === "opened_at" };
    document.querySelectorAll("#incident-table th").forEach((th) => th.setAttribute("aria-sort", "none"));
    button.closest("th").setAttribute("aria-sort", state.sort.descending ? "descending" : "ascending");
    renderList();
  });
});
["filter-status", "filter-grade", "filter-text"].forEach((id) => $(id).addEventListener("input", () => renderList()));

// Unread messages beside the live list (those who may open the task board, where they are read).
let messages = null;

function connectLive() {
  const reload = () => loadList().catch(() => {});
  live(
    $("live-state"),
    {
      incident: (row) => {
        if (upsert(row)) renderList(row.id);
        if (state.current && state.current.id === row.id && row.version > state.current.version) refreshIncident(row.id);
      },
      // issue 17: a task set or moved on; the open incident's list is read again if it is this one's.
      // and the promised call-backs that are late are read again (the list's markers).
      task: (data) => {
        work.onTask(data);
        taskChanged(data);
      },
      // issue 17: a message to this user or their team, sent or read: the unread count.
      message: (data) => messages && messages.onMessage(data),
      resync: () => {
        reload();
        refreshCallBacks();
        if (messages) messages.refresh();
      },
    },
    () => {
      reload();
      refreshCallBacks();
      if (messages) messages.refresh();
    },
  );
}

// ---- Keyboard -----------------------------------------------------------------------

function focusAction(formId, fieldId) {
  const form = $(formId);
  if (!state.current || $("incident").hidden || form.hidden) {
    announce(state.current ? "That action is not available for this incident." : "Open an incident first.");
    return;
  }
  $(fieldId).focus();
}

function openSection(sectionId, fieldId, selector) {
  const section = $(sectionId);
  if (!state.current || $("incident").hidden || section.hidden) {
    announce(state.current ? "That is not available for this incident." : "Open an incident first.");
    return;
  }
  section.open = true;
  const target = fieldId ? $(fieldId) : section.querySelector(selector);
  if (target) target.focus();
}

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
    const actions = {
      KeyN: () => newCall(null),
      KeyL: () => focusAction("log-form", "log-text"),
      KeyG: () => focusAction("grade-form", "grade"),
      KeyC: () => focusAction("close-form", "closing-code"),
      KeyR: () => focusAction("reopen-form", "reopen-reason"),
      KeyQ: () => openSection("classify-section", "classify-type"),
      KeyK: () => openSection("intel-section", "intel-name"),
      KeyA: () => openSection("appointment-section", "appointment-area"),
      KeyT: () => openSection("thrive-section", "thrive-threat-level"),
      KeyV: () => openSection("vulnerability-section", "vulnerability-subject"),
      KeyD: () => openSection("dash-section", null, "#dash-questions input:checked"),
      KeyW: () => openSection("questions-section", null, "#question-list input:checked"),
      KeyS: () => openSection("signpost-section", "signpost-agency"),
      KeyP: () => work.openReferrals(),
      KeyO: () => work.openTasks(),
      KeyB: () => work.promiseCallBack(),
      KeyJ: () => state.current && !$("join-caller").hidden && newCall(state.current),
      KeyI: () => $("filter-text").focus(),
      KeyM: () => (messages ? messages.focus() : announce("Messages are read on the task board, which your role does not open.")),
    };
    if (actions[event.code]) {
      event.preventDefault();
      actions[event.code]();
    }
    return;
  }
  const typing = event.target.closest && event.target.closest("input, textarea, select");
  if (event.key === "?" && !typing) {
    event.preventDefault();
    $("shortcuts").showModal();
  }
});
$("new-call").addEventListener("click", () => newCall(null));
$("shortcuts-button").addEventListener("click", () => $("shortcuts").showModal());

// ---- Start --------------------------------------------------------------------------

async function start() {
  // The server sends an administrator (no incidents) to the accounts page instead, and lists
  // in the header only the pages this user may open.
  state.me = await startSession();
  state.reference = await api("GET", "/api/v1/reference");
  fillReference(state.reference);
  $("new-call").hidden = !may.contact(state.me);
  if (may.contact(state.me)) newCall(null);
  else $("call-card").hidden = true;
  updateLayout();
  newIdempotencyKey(contactForm);
  setInterval(() => renderList(), 15_000);
  await loadList();
  if (permitted(state.me, "set_tasks")) messages = unreadLink(state.me, $("messages-link"));
  connectLive();
  refreshCallBacks();
  setInterval(refreshCallBacks, CALL_BACK_EVERY_MS);
  // Opened from another page (the task board) on one incident: /console?incident=<id>, and
  // #tasks for its tasks.
  const wanted = new URLSearchParams(location.search).get("incident");
  if (wanted) {
    await openIncident(wanted);
    if (location.hash === "#tasks" && state.current) work.openTasks();
  }
}

start().catch((e) => announce(`The console could not start: ${e.message}`));

// One log entry as the incident page lists it.
function logEntry(entry) {
  return el(
    "li",
    { id: `log-${entry.number}` },
    el("span", { class: "meta" }, `#${entry.number} ${time(entry.at)} ${entry.author}`),
    entry.corrects ? el("span", { class: "corrects", text: `corrects #${entry.corrects}` }) : null,
    el("span", { class: "text", text: entry.text }),
  );
}

// A long log comes a page at a time (the latest 100 entries): the button above the list
// fetches the page before the first entry shown, as often as there are earlier entries.
function earlierLogButton(id, shown, total) {
  const list = $("incident-log");
  list.previousElementSibling?.classList.contains("earlier-log") && list.previousElementSibling.remove();
  const earlier = total - shown.length;
  if (earlier <= 0 || !shown.length) return;
  const button = el("button", { type: "button", class: "earlier-log", id: "incident-log-earlier" },
    `Show earlier log entries (${earlier} more)`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const page = await api("GET", `/api/v1/incidents/${id}?log_before=${shown[0].number}&log_limit=100`);
      list.prepend(...page.log.map(logEntry));
      earlierLogButton(id, [...page.log, ...shown], total);
    } catch (e) {
      button.disabled = false;
      button.textContent = `Could not load earlier entries (${e.message}): try again`;
    }
  });
  list.before(button);
}
