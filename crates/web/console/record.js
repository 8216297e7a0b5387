// A person, vehicle or location page: details, warning markers (current, expired and
// withdrawn, each shown as such), links and history. Opening it is recorded in the audit
// trail by the server.
//
// Markers are added here (reason, source, review date) and withdrawn here, with the reason
// asked on the marker's own row (never in a browser dialog). Nothing is deleted: a withdrawn
// marker stays on the list, saying who withdrew it, when and why.
import { api, dateTime, el, may, say, start } from "./common.js";

const $ = (id) => document.getElementById(id);
const [, , , kind, id] = location.pathname.split("/");
const status = $("status");
// The marker whose withdrawal is being asked for: { number, value, error }.
let withdrawing = null;
let markers = [];
let mayWrite = false;

function announce(message) {
  status.textContent = message;
  status.hidden = false;
}

// Current first, then expired, then withdrawn; by number within each.
const standing = (m) => (m.withdrawn ? 2 : m.expired ? 1 : 0);
const heading = (m) => (m.withdrawn ? "Withdrawn: " : m.expired ? "Expired: " : "⚠ ");

function markerItem(m) {
  const name = say(m.kind).toUpperCase();
  const item = el(
    "li",
    { class: m.withdrawn ? "marker withdrawn" : m.expired ? "marker expired" : "marker", id: `marker-${m.number}`, tabindex: "-1", "data-number": m.number },
    el("strong", {}, `${heading(m)}${name}`),
    ` ${m.reason} (source ${m.source}, added by ${m.added_by}, review by ${m.review_by})`,
    m.withdrawn ? el("span", { class: "withdrawal" }, ` — withdrawn by ${m.withdrawn.by} ${dateTime(m.withdrawn.at)}: ${m.withdrawn.reason}`) : null,
  );
  if (!mayWrite || m.withdrawn) return item;
  if (!withdrawing || withdrawing.number !== m.number) {
    item.append(" ", el("button", { type: "button", class: "withdraw", onclick: () => ask(m) }, `Withdraw ${name.toLowerCase()} marker…`));
    return item;
  }
  const form = withdrawing;
  const input = `withdraw-reason-${m.number}`;
  item.append(
    el(
      "form",
      {
        class: "row-question",
        novalidate: true,
        onsubmit: (e) => (e.preventDefault(), withdraw(m)),
        onkeydown: (e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            cancel(m);
          }
        },
      },
      el("label", { for: input }, `Why is the ${name.toLowerCase()} marker withdrawn?`),
      el("input", { id: input, autocomplete: "off", value: form.value, "aria-describedby": `${input}-error`, "aria-invalid": form.error ? "true" : null, oninput: (e) => (form.value = e.target.value) }),
      el("button", { type: "submit", class: "primary" }, "Withdraw marker"),
      el("button", { type: "button", onclick: () => cancel(m) }, "Cancel"),
      el("p", { class: "form-error", role: "alert", id: `${input}-error` }, form.error || ""),
    ),
  );
  return item;
}

function renderMarkers(focus) {
  const sorted = [...markers].sort((a, b) => standing(a) - standing(b) || a.number - b.number);
  $("markers").replaceChildren(...(sorted.length ? sorted.map(markerItem) : [el("li", { class: "muted" }, "No warning markers.")]));
  if (focus) {
    const target = $(focus);
    if (target) target.focus();
  }
}

function ask(m) {
  withdrawing = { number: m.number, value: "", error: "" };
  renderMarkers(`withdraw-reason-${m.number}`);
}

function cancel(m) {
  withdrawing = null;
  renderMarkers(`marker-${m.number}`);
}

async function withdraw(m) {
  const form = withdrawing;
  if (!form.value.trim()) {
    form.error = `Give the reason the ${say(m.kind)} marker no longer applies: it is kept with the marker.`;
    renderMarkers(`withdraw-reason-${m.number}`);
    return;
  }
  try {
    const changed = await api("POST", `/api/v1/records/${kind}/${id}/markers/${m.number}/withdraw`, { reason: form.value.trim() });
    markers = changed.markers;
    withdrawing = null;
    renderMarkers(`marker-${m.number}`);
    announce(`The ${say(m.kind)} marker is withdrawn; it stays on this record as withdrawn.`);
  } catch (e) {
    form.error = e.message;
    renderMarkers(`withdraw-reason-${m.number}`);
  }
}

// ---- Adding a marker ----
function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((n) => n.remove());
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  const general = form.querySelector(".form-error");
  general.hidden = true;
  general.textContent = "";
}

function showProblem(form, error) {
  const input = error.field && form.querySelector(`[data-field="${error.field}"]`);
  if (input) {
    const note = el("p", { class: "field-error", id: `${input.id}-error` }, error.message);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    input.closest(".field").append(note);
    input.focus();
  } else {
    const general = form.querySelector(".form-error");
    general.textContent = error.message;
    general.hidden = false;
  }
}

$("marker-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const f = form.elements;
  try {
    const changed = await api("POST", `/api/v1/records/${kind}/${id}/markers`, {
      kind: f.kind.value,
      reason: f.reason.value,
      source: f.source.value,
      review_by: f.review_by.value,
    });
    markers = changed.markers;
    form.reset();
    renderMarkers(`marker-${markers.length}`);
    announce(`${say(markers[markers.length - 1].kind)} marker added.`);
  } catch (e) {
    showProblem(form, e);
  }
});
$("marker-form").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.ctrlKey) {
    event.preventDefault();
    $("marker-form").requestSubmit();
  }
});

try {
  const me = await start();
  const [record, reference] = await Promise.all([api("GET", `/api/v1/records/${kind}/${id}`), api("GET", "/api/v1/reference")]);
  // The kinds of marker are the server's list, in its order.
  $("marker-kind").append(...reference.marker_kinds.map((m) => el("option", { value: m.code }, m.name)));
  $("record-title").textContent = `${say(record.kind)}: ${record.label}`;
  document.title = `${record.label} · Control Room`;
  const details = $("details");
  for (const [key, value] of Object.entries(record.details || {})) {
    if (value === null || (Array.isArray(value) && !value.length)) continue;
    details.append(el("dt", {}, say(key)), el("dd", {}, Array.isArray(value) ? value.join("; ") : String(value)));
  }
  if (record.merged_into) details.append(el("dt", {}, "Merged into"), el("dd", {}, el("a", { href: `/console/records/person/${record.merged_into}` }, record.merged_into)));
  if (record.merged.length) details.append(el("dt", {}, "Also known as records"), el("dd", {}, record.merged.join(", ")));
  markers = record.markers;
  // Markers go on people, vehicles and locations, by a user the server says may manage them.
  mayWrite = may(me, "manage_markers") && ["person", "vehicle", "location"].includes(record.kind);
  $("marker-form").hidden = !mayWrite;
  renderMarkers();
  const line = (h) => el("li", {}, el("span", { class: "meta" }, h.at ? dateTime(h.at) : ""), h.role ? `${h.role}: ` : "", h.label || h.to || h.id, h.reasons && h.reasons.length ? el("span", { class: "muted" }, ` — ${h.reasons.join("; ")}`) : null);
  $("history").replaceChildren(...(record.history.length ? record.history.map(line) : [el("li", { class: "muted" }, "No incidents.")]));
  $("links").replaceChildren(...(record.links.length ? record.links.map(line) : [el("li", { class: "muted" }, "No links.")]));
} catch (e) {
  announce(e.message);
}
