// The dispatcher's board: incidents waiting for a unit (by grade, then age), units by status
// with the incident each is on, and both drawn on the map of the force area (map.js). Incidents and unit changes arrive over the live feed.
//
// Keyboard first: every redraw keeps the focus on the same row (and the same control in it),
// so a dispatcher working down the list never loses their place; ArrowUp/ArrowDown move
// between rows. What the server needs to know (why a unit arrived late, the result when the
// last unit clears) is asked for on the row itself, never in a browser dialog.
import { age, api, el, live, say, start } from "./common.js";
import { CRMap } from "./map.js";

const $ = (id) => document.getElementById(id);
const state = {
  incidents: new Map(),
  units: [],
  // Recommendations shown under an awaiting incident: incident id → { candidates } or { error }.
  recs: new Map(),
  // Questions open on a unit's row: unit id → { kind: "late" | "clear", ... }.
  forms: new Map(),
};
// Grade → place in the order a dispatcher works (most urgent first), for the grades that send
// a unit: the server's list (GET /api/v1/reference), read at start.
let rank = {};
// Where the focus goes at the next redraw, when an action decides it: { key, control }.
let wanted = null;

function announce(message) {
  $("status").textContent = message;
  $("status").hidden = false;
}

const awaiting = () =>
  [...state.incidents.values()]
    .filter((i) => i.awaiting_unit && (!i.grade || rank[i.grade] !== undefined))
    .sort((a, b) => (rank[a.grade] ?? Infinity) - (rank[b.grade] ?? Infinity) || a.opened_at.localeCompare(b.opened_at));

// Replace `container`'s rows, keeping the keyboard where it was: on the same row (its
// data-key) and the same control in it (data-focus), with the text cursor where it was. A
// row that has gone (an incident sent a unit) hands focus to the row now in its place.
function redraw(container, rows) {
  const active = document.activeElement;
  const row = active && container.contains(active) ? active.closest("[data-key]") : null;
  const memory = row
    ? {
        key: row.dataset.key,
        index: [...container.children].indexOf(row),
        control: active === row ? null : active.dataset.focus || null,
        selection: typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null,
      }
    : null;
  container.replaceChildren(...rows);
  const want = wanted && [...container.children].find((r) => r.dataset.key === wanted.key) ? wanted : null;
  if (want) wanted = null;
  const place = want || memory;
  if (!place) return;
  const same = [...container.children].find((r) => r.dataset.key === place.key);
  let target = null;
  if (same) {
    target = (place.control && same.querySelector(`[data-focus="${place.control}"]`)) || same;
  } else if (container.children.length) {
    target = container.children[Math.min(memory.index, container.children.length - 1)];
  } else {
    target = container.closest("section").querySelector("h2");
    target.setAttribute("tabindex", "-1");
  }
  target.focus({ preventScroll: true });
  if (!want && memory.selection && target.dataset.focus === memory.control && typeof target.setSelectionRange === "function") {
    try {
      target.setSelectionRange(...memory.selection);
    } catch (e) {
      // Not a text field: nothing to restore.
    }
  }
}

// ArrowUp/ArrowDown move between the rows of a list (not while typing in a field).
function arrows(container) {
  container.addEventListener("keydown", (event) => {
    if (!["ArrowDown", "ArrowUp"].includes(event.key) || event.target.matches("input, textarea, select")) return;
    const row = event.target.closest("[data-key]");
    if (!row) return;
    const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });
}
arrows($("awaiting"));
arrows($("units"));

async function recommend(incident) {
  try {
    const ranked = await api("GET", `/api/v1/incidents/${incident.id}/recommendations`);
    state.recs.set(incident.id, { candidates: ranked.slice(0, 5) });
    if (ranked.length) wanted = { key: `incident:${incident.id}`, control: `send-${ranked[0].unit}` };
  } catch (e) {
    state.recs.set(incident.id, { error: e.message });
  }
  renderAwaiting();
}

async function send(incident, candidate) {
  try {
    const changed = await api("POST", `/api/v1/incidents/${incident.id}/assign`, { unit: candidate.unit });
    state.recs.delete(incident.id);
    // The incident leaves the list now, not when the live feed says so.
    if (changed) state.incidents.set(incident.id, { ...incident, status: changed.status, awaiting_unit: false });
    announce(`${candidate.call_sign} sent to ${incident.reference}.`);
    renderAwaiting();
    await loadUnits();
  } catch (e) {
    announce(e.message);
  }
}

const committed = (u) => ["assigned", "en_route", "at_scene"].includes(u.status);

// A status the unit reports. Arriving after the attendance target asks, on the row, why.
async function setStatus(unit, status) {
  if (status === "available" && committed(unit) && unit.incident) {
    const others = state.units.filter((u) => u.id !== unit.id && committed(u) && u.incident === unit.incident);
    if (!others.length) {
      // The last unit on the incident: ask for the result, and offer to resolve it.
      state.forms.set(unit.id, { kind: "clear", incident: unit.incident, reference: unit.incident_reference, value: "", resolve: true, error: "" });
      wanted = { key: `unit:${unit.id}`, control: "result" };
      renderUnits();
      return;
    }
  }
  try {
    await api("POST", `/api/v1/units/${unit.id}/status`, { status });
    announce(`${unit.call_sign} ${say(status).toLowerCase()}.`);
    await loadUnits();
  } catch (e) {
    if (status === "at_scene" && e.field === "reason") {
      state.forms.set(unit.id, { kind: "late", message: e.message, value: "", error: "" });
      wanted = { key: `unit:${unit.id}`, control: "reason" };
      renderUnits();
    } else {
      announce(e.message);
    }
  }
}

function closeForm(unit) {
  state.forms.delete(unit.id);
  wanted = { key: `unit:${unit.id}`, control: "action" };
  renderUnits();
}

async function arriveLate(unit, form) {
  try {
    await api("POST", `/api/v1/units/${unit.id}/status`, { status: "at_scene", reason: form.value });
    state.forms.delete(unit.id);
    wanted = { key: `unit:${unit.id}`, control: "action" };
    announce(`${unit.call_sign} at scene; the reason the target was missed is on the incident's log.`);
    await loadUnits();
  } catch (e) {
    form.error = e.message;
    wanted = { key: `unit:${unit.id}`, control: "reason" };
    renderUnits();
  }
}

async function clearLast(unit, form) {
  const result = form.value.trim();
  if (!result) {
    form.error = `Say what the result was at ${form.reference || "the incident"}: it goes on the incident's log.`;
    wanted = { key: `unit:${unit.id}`, control: "result" };
    renderUnits();
    return;
  }
  try {
    await api("POST", `/api/v1/units/${unit.id}/status`, { status: "available", reason: result });
  } catch (e) {
    form.error = e.message;
    wanted = { key: `unit:${unit.id}`, control: "result" };
    renderUnits();
    return;
  }
  state.forms.delete(unit.id);
  wanted = { key: `unit:${unit.id}`, control: "action" };
  let message = `${unit.call_sign} clear: ${result}.`;
  if (form.resolve) {
    try {
      await api("POST", `/api/v1/incidents/${form.incident}/resolve`, { resolution: result }, crypto.randomUUID());
      message = `${unit.call_sign} clear. Incident ${form.reference} resolved: ${result}.`;
    } catch (e) {
      message = `${unit.call_sign} clear, but incident ${form.reference} is not resolved: ${e.message}`;
    }
  }
  announce(message);
  await loadUnits();
}

// ---- Warning markers beside incidents and the units sent there (issue 12) ----------
// The server answers, per incident, the standing markers on what its intelligence checks
// found and on the people, vehicles and locations linked to it (read from the records, so
// a withdrawn marker drops off). Asked again when the incident changes (a new check is a
// change) or the board reconnects; one request for every incident that needs it.
state.warnings = new Map(); // incident id -> { version, list }
const warningsInFlight = new Set();
let warningsQueued = false;

function boardIncidentIds() {
  const ids = new Set(awaiting().map((i) => i.id));
  for (const u of state.units) if (committed(u) && u.incident) ids.add(u.incident);
  return [...ids];
}

function queueWarnings() {
  if (warningsQueued) return;
  warningsQueued = true;
  queueMicrotask(loadWarnings);
}

async function loadWarnings() {
  warningsQueued = false;
  const stale = boardIncidentIds().filter((id) => {
    if (warningsInFlight.has(id)) return false;
    const known = state.warnings.get(id);
    const row = state.incidents.get(id);
    return !known || (row && known.version !== row.version);
  });
  if (!stale.length) return;
  stale.forEach((id) => warningsInFlight.add(id));
  let changed = false;
  for (let i = 0; i < stale.length; i += 100) {
    const batch = stale.slice(i, i + 100);
    const versions = new Map(batch.map((id) => [id, state.incidents.get(id) ? state.incidents.get(id).version : undefined]));
    try {
      const answer = await api("GET", `/api/v1/warnings?incidents=${batch.join(",")}`);
      for (const a of answer) {
        const before = state.warnings.get(a.incident);
        if (!before || JSON.stringify(before.list) !== JSON.stringify(a.warnings)) changed = true;
        state.warnings.set(a.incident, { version: versions.get(a.incident), list: a.warnings });
      }
    } catch (e) {
      // Not asked again until the incident changes: the board stays usable meanwhile.
      for (const id of batch) state.warnings.set(id, { version: versions.get(id), list: (state.warnings.get(id) || { list: [] }).list });
      announce(`Warning markers could not be checked: ${e.message}`);
    } finally {
      batch.forEach((id) => warningsInFlight.delete(id));
    }
  }
  if (changed) {
    renderAwaiting();
    renderUnits();
  }
}

// The markers that concern an incident, in words (not colour alone), or nothing.
function concerns(incidentId, reference) {
  const known = state.warnings.get(incidentId);
  if (!known || !known.list.length) return null;
  return el(
    "ul",
    { class: "markers concern", "aria-label": `Warning markers for ${reference || "this incident"}` },
    ...known.list.map((w) =>
      el(
        "li",
        { class: "marker" },
        el("strong", {}, `⚠ ${say(w.kind).toUpperCase()}`),
        ` on ${w.on}: ${w.reason} `,
        el("span", { class: "meta" }, `(${w.why}; source ${w.source}; review by ${w.review_by})`),
      ),
    ),
  );
}
// ---- end of warning markers ----

function renderAwaiting() {
  const now = Date.now();
  const list = awaiting();
  for (const id of state.recs.keys()) if (!list.some((i) => i.id === id)) state.recs.delete(id);
  const items = list.map((i) => {
    const recs = state.recs.get(i.id);
    let candidates = null;
    if (recs && recs.error) candidates = el("p", { class: "candidates form-error", role: "alert" }, recs.error);
    else if (recs && !recs.candidates.length) candidates = el("p", { class: "candidates muted" }, "No available unit with a position.");
    else if (recs) {
      // With no position for the incident the server lists units unranked, with the time to
      // attend unknown and the reason first in each: said once, above the list.
      const unranked = recs.candidates.find((c) => c.eta_seconds === null || c.eta_seconds === undefined);
      const list = el(
        "ul",
        { class: "candidates" },
        ...recs.candidates.map((c) => {
          const known = c.eta_seconds !== null && c.eta_seconds !== undefined;
          const reasons = known ? c.reasons : c.reasons.slice(1);
          return el(
            "li",
            {},
            el("button", { type: "button", class: "primary", "data-focus": `send-${c.unit}`, onclick: () => send(i, c) }, `Send ${c.call_sign}`),
            ` ${known ? `${Math.ceil(c.eta_seconds / 60)} min` : "ETA unknown"}, ${c.suitable ? "suitable" : "not suitable"}${reasons.length ? ` — ${reasons.join("; ")}` : ""}`,
          );
        }),
      );
      candidates = unranked ? el("div", {}, el("p", { class: "notice unranked" }, `${unranked.reasons[0]}.`), list) : list;
    }
    return el(
      "li",
      { class: i.grade === "emergency" ? "emergency" : null, "data-id": i.id, "data-key": `incident:${i.id}`, tabindex: "-1" },
      el("strong", {}, i.reference),
      " ",
      i.grade ? el("span", { class: `badge grade-${i.grade}` }, i.grade === "emergency" ? "⚠ Emergency" : say(i.grade)) : el("span", { class: "badge" }, "Not graded"),
      ` ${age(i.opened_at, now)} · ${i.incident_type || "type not yet known"} · ${i.location} `,
      el("button", { type: "button", "data-focus": "recommend", onclick: () => recommend(i) }, "Recommend units"),
      concerns(i.id, i.reference),
      candidates,
    );
  });
  redraw($("awaiting"), items);
  $("awaiting-empty").hidden = items.length > 0;
  drawMap();
  queueWarnings();
}

const next = { assigned: "en_route", en_route: "at_scene", at_scene: "available" };
const label = { en_route: "En route", at_scene: "At scene", available: "Clear" };

// The question open on a unit's row, if any: why it arrived late, or the result at the
// incident its last unit is leaving.
function question(u, form) {
  const id = `${form.kind}-${u.id}`;
  const keys = (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      closeForm(u);
    }
  };
  const cancel = el("button", { type: "button", "data-focus": "cancel", onclick: () => closeForm(u) }, "Cancel");
  const error = el("p", { class: "form-error", role: "alert" }, form.error || "");
  if (form.kind === "late") {
    return el(
      "form",
      { class: "row-question", novalidate: true, onkeydown: keys, onsubmit: (e) => (e.preventDefault(), arriveLate(u, form)) },
      el("p", { class: "meta" }, `${u.call_sign} is late: ${form.message}.`),
      el("label", { for: id }, "Reason the attendance target was missed"),
      el("input", { id, "data-focus": "reason", autocomplete: "off", value: form.value, oninput: (e) => (form.value = e.target.value) }),
      el("button", { type: "submit", class: "primary", "data-focus": "submit" }, "Mark at scene"),
      cancel,
      error,
    );
  }
  const where = form.reference || "the incident";
  return el(
    "form",
    { class: "row-question", novalidate: true, onkeydown: keys, onsubmit: (e) => (e.preventDefault(), clearLast(u, form)) },
    el("p", { class: "meta" }, `${u.call_sign} is the last unit on ${where}.`),
    el("label", { for: id }, `Result at ${where}`),
    el("input", { id, "data-focus": "result", autocomplete: "off", value: form.value, oninput: (e) => (form.value = e.target.value) }),
    el(
      "label",
      { class: "check" },
      el("input", { type: "checkbox", "data-focus": "resolve", checked: form.resolve, onchange: (e) => (form.resolve = e.target.checked) }),
      ` Resolve incident ${where} with this result`,
    ),
    el("button", { type: "submit", class: "primary", "data-focus": "submit" }, `Clear ${u.call_sign}`),
    cancel,
    error,
  );
}

function renderUnits() {
  for (const [id, form] of state.forms) {
    const u = state.units.find((x) => x.id === id);
    // A question that no longer applies (the unit moved on, here or elsewhere) is dropped;
    // if it held the focus, the focus goes to the row's next step.
    if (!u || (form.kind === "late" && u.status !== "en_route" && u.status !== "assigned") || (form.kind === "clear" && !committed(u))) {
      state.forms.delete(id);
      const row = document.activeElement && document.activeElement.closest("[data-key]");
      if (row && row.dataset.key === `unit:${id}`) wanted = { key: `unit:${id}`, control: "action" };
    }
  }
  const rows = state.units.map((u) => {
    const form = state.forms.get(u.id);
    const step = next[u.status];
    const actions = form
      ? question(u, form)
      : [
          step ? el("button", { type: "button", "data-focus": "action", onclick: () => setStatus(u, step) }, label[step]) : null,
          step && step !== "available" ? el("button", { type: "button", "data-focus": "clear", onclick: () => setStatus(u, "available") }, "Clear") : null,
        ];
    return el(
      "tr",
      { "data-unit": u.call_sign, "data-key": `unit:${u.id}`, tabindex: "-1" },
      el("th", { scope: "row" }, u.call_sign),
      el("td", {}, say(u.unit_type)),
      el("td", { class: "unit-status" }, el("span", { class: `badge unit-${u.status}` }, say(u.status))),
      el("td", { class: "unit-incident" }, committed(u) && u.incident ? [el("span", { class: "unit-incident-ref" }, u.incident_reference || "an incident (reference not known yet)"), concerns(u.incident, u.incident_reference)] : ""),
      el("td", { class: "unit-action" }, actions),
    );
  });
  redraw($("units"), rows);
  drawMap();
  queueWarnings();
}

// The map (map.js): units and incidents awaiting a unit at their positions, on the force's
// tiles or, with none, the gazetteer's streets. It follows the markers until the dispatcher
// moves it. A click places a pin (shown in words below the map).
let map = null;
function drawMap() {
  if (!map) return;
  map.setMarkers([
    ...state.units
      .filter((u) => u.lat !== null && u.lat !== undefined)
      .map((u) => ({ id: `unit:${u.id}`, kind: "unit", lat: u.lat, lon: u.lon, label: `${u.call_sign} (${say(u.status)})`, status: u.status })),
    ...awaiting()
      .filter((i) => i.lat !== undefined && i.lat !== null)
      .map((i) => ({
        id: `incident:${i.id}`,
        kind: "incident",
        lat: i.lat,
        lon: i.lon,
        label: i.reference.slice(4),
        title: `${i.reference}: ${i.grade ? say(i.grade) : "not graded"}, ${i.location}`,
        status: i.grade || "open",
      })),
  ]);
}

async function startMap() {
  let config = { tiles: null, attribution: null, streets_max_span: 0.5 };
  try {
    config = await api("GET", "/api/v1/map");
  } catch (e) {
    announce(`The map's settings could not be read (${e.message}); drawing the gazetteer's streets.`);
  }
  map = CRMap.create($("map"), {
    label: "Map of the force area: units and incidents awaiting a unit",
    tiles: config.tiles,
    attribution: config.attribution,
    streetsMaxSpan: config.streets_max_span,
    streets: (b) =>
      api("GET", `/api/v1/map/streets?min_lat=${b.minLat.toFixed(6)}&min_lon=${b.minLon.toFixed(6)}&max_lat=${b.maxLat.toFixed(6)}&max_lon=${b.maxLon.toFixed(6)}`),
    onPick: (lat, lon) => {
      $("map-pin").textContent = `Pin placed at ${lat.toFixed(5)}, ${lon.toFixed(5)}.`;
      $("map-pin").hidden = false;
    },
  });
  drawMap();
}

async function loadIncidents() {
  const list = await api("GET", "/api/v1/incidents?status=open,graded&limit=500");
  state.incidents.clear();
  for (const i of list.incidents) state.incidents.set(i.id, i);
  renderAwaiting();
}

async function loadUnits() {
  state.units = await api("GET", "/api/v1/units");
  renderUnits();
}

// The resource allocation desk's view of a day: each slot, its bookings and free places.
async function showDiary() {
  const f = $("diary-form").elements;
  if (!f.date.value) f.date.value = new Date().toISOString().slice(0, 10);
  try {
    const slots = await api("GET", `/api/v1/diary?area=${encodeURIComponent(f.area.value)}&date=${encodeURIComponent(f.date.value)}`);
    $("diary").replaceChildren(
      ...(slots.length
        ? slots.map((s) =>
            el(
              "li",
              { class: s.free ? null : "full" },
              el("strong", {}, s.time),
              ` ${s.free} of ${s.capacity} free`,
              s.bookings.length ? ` · booked: ${s.bookings.map((b) => b.reference).join(", ")}` : "",
              s.missed.length ? ` · missed: ${s.missed.map((b) => b.reference).join(", ")}` : "",
            ),
          )
        : [el("li", { class: "muted" }, "No slots open for this area and day.")]),
    );
  } catch (e) {
    announce(e.message);
  }
}
$("diary-form").addEventListener("submit", (event) => {
  event.preventDefault();
  showDiary();
});

try {
  await start();
  const reference = await api("GET", "/api/v1/reference");
  rank = Object.fromEntries(reference.grades.filter((g) => g.deploys).map((g, i) => [g.code, i]));
  await startMap();
  await Promise.all([loadIncidents(), loadUnits(), showDiary()]);
  const reload = () => {
    state.warnings.clear(); // changes missed while disconnected: ask for every incident again
    return Promise.all([loadIncidents(), loadUnits()]).catch(() => {});
  };
  live(
    $("live-state"),
    {
      incident: (row) => {
        state.incidents.set(row.id, row);
        renderAwaiting();
      },
      unit: (unit) => {
        const i = state.units.findIndex((u) => u.id === unit.id);
        if (i >= 0) state.units[i] = unit;
        else state.units.push(unit);
        state.units.sort((a, b) => a.call_sign.localeCompare(b.call_sign));
        renderUnits();
      },
      resync: reload,
    },
    reload,
  );
} catch (e) {
  announce(e.message);
}
