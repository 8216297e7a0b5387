// Scenes of crime (issue 15): the CSI team's queue (requests to book, then booked ones by
// diary time) and one request: what to examine, where, the forensic opportunities and the
// preservation advice given; booked into the diary, attended with its result (exhibits, or no
// forensic opportunity), or cancelled with a reason.
import { api, dateTime, el, start } from "./common.js";
import { $, announce, csiStatusText, decide, isoFrom, keys, localInput, openSection, workRows } from "./casework.js";

await start();
let crime = null;
let request = null; // the CsiState open

async function loadQueue() {
  try {
    const work = await api("GET", "/api/v1/investigation/scenes");
    workRows($("csi-queue"), work.csi_queue, {
      open: (w) => openRequest(w.crime, w.what),
      empty: "No scene examination waiting.",
      // On this queue `due` is the diary time booked, not a deadline.
      columns: [(w) => (w.due ? dateTime(w.due) : "Not yet booked")],
    });
    $("queue-seen").textContent = `As at ${dateTime(work.seen.at)}.`;
  } catch (e) {
    $("csi-queue").replaceChildren(el("tr", {}, el("td", { colspan: "4" }, e.message)));
  }
}

const pending = () => crime.investigation.csi.filter((c) => ["requested", "booked"].includes(c.status.status));

async function openRequest(crimeId, what) {
  try {
    crime = await api("GET", `/api/v1/crimes/${crimeId}`);
  } catch (e) {
    announce(e.message);
    return;
  }
  const open = pending();
  request = open.find((c) => `${c.request.what} at ${c.request.location}` === what) || open[0] || crime.investigation.csi[0] || null;
  render();
  $("request-title").scrollIntoView();
}

function render() {
  $("request").hidden = !request;
  if (!request) return;
  const r = request.request;
  $("request-title").textContent = `CSI for crime ${crime.reference} · ${crime.classification}${crime.classification_name ? ` ${crime.classification_name}` : ""}`;
  $("request-status").textContent = csiStatusText(request.status);
  const open = pending();
  $("request-choice-field").hidden = open.length < 2;
  $("request-choice").replaceChildren(...open.map((c) => el("option", { value: c.request.id, selected: c.request.id === r.id }, `${c.request.what} at ${c.request.location}`)));
  $("request-facts").replaceChildren(
    el("li", {}, el("strong", {}, "Examine: "), r.what),
    el("li", {}, el("strong", {}, "Where: "), r.location),
    el("li", {}, el("strong", {}, "Forensic opportunities: "), r.forensic_opportunities.join("; ") || "none listed"),
    el("li", {}, el("strong", {}, "Preservation advice given: "), r.preservation_advice),
    el("li", {}, `Requested by ${request.requested_by} ${dateTime(request.requested_at)}${crime.incident_references && crime.incident_references.length ? ` · incident ${crime.incident_references.join(", ")}` : ""}`),
    crime.modus_operandi ? el("li", {}, `The crime: ${crime.modus_operandi}`) : null,
  );
  const status = request.status.status;
  $("book-section").hidden = status !== "requested" && status !== "booked";
  $("book-section").querySelector("summary").firstChild.textContent = status === "booked" ? "Move the booking " : "Book into the diary ";
  $("attend-section").hidden = status !== "booked" && status !== "requested";
  $("cancel-section").hidden = !["requested", "booked"].includes(status);
  if (status === "requested" || status === "booked") loadSlots();
  $("attend-time").value = localInput(null, true);
  resetExhibits();
}

$("request-choice").addEventListener("change", () => {
  request = crime.investigation.csi.find((c) => c.request.id === $("request-choice").value) || request;
  render();
});

async function scene(form, body, done) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const changed = await decide(crime.id, "scenes", { ...body, request: request.request.id }, form);
  button.disabled = false;
  if (!changed) return;
  crime = changed;
  request = crime.investigation.csi.find((c) => c.request.id === request.request.id) || request;
  form.reset();
  render();
  announce(done);
  loadQueue();
}

// The CSI diary's slots with a free place from now over the next seven days (the area the
// server books CSI attendance in). A slot's value is its start as a moment, which is what a
// booking names.
const CSI_DIARY = "CSI";
async function loadSlots() {
  const select = $("book-slot");
  const booked = request.status.status === "booked" ? request.status.diary_time : null;
  select.replaceChildren(el("option", { value: "", disabled: true, selected: true }, "Reading the CSI diary…"));
  const days = [...Array(7).keys()].map((n) => {
    const d = new Date(Date.now() + n * 86400e3);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  });
  let slots = [];
  try {
    for (const day of days) slots = slots.concat(await api("GET", `/api/v1/diary?area=${CSI_DIARY}&date=${day}`));
  } catch (e) {
    select.replaceChildren(el("option", { value: "", disabled: true, selected: true }, `The diary could not be read: ${e.message}`));
    return;
  }
  const now = Date.now();
  const free = slots.filter((s) => s.starts_at && Date.parse(s.starts_at) > now && s.free > 0 && s.starts_at !== booked);
  const options = free.map((s) => el("option", { value: s.starts_at }, `${dateTime(s.starts_at)} · ${s.free} of ${s.capacity} free`));
  if (!options.length) {
    options.push(el("option", { value: "", disabled: true }, "No free CSI slot in the next seven days: ask the resource desk to open slots"));
  }
  select.replaceChildren(...options);
  select.selectedIndex = 0;
}

$("book-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const diary_time = $("book-slot").value;
  if (!diary_time) return announce("Choose a slot in the CSI diary.");
  scene($("book-form"), { action: "book_csi", diary_time }, `Booked for ${dateTime(diary_time)}: ${request.request.what}.`);
});

function exhibitRow() {
  const row = el(
    "tr",
    { class: "exhibit" },
    el("td", {}, el("input", { class: "exhibit-reference", "aria-label": "Exhibit reference", placeholder: "e.g. JJ/1", autocomplete: "off" })),
    el("td", {}, el("input", { class: "exhibit-description", "aria-label": "Exhibit description", autocomplete: "off" })),
    el("td", {}, el("button", { type: "button", "aria-label": "Remove this exhibit", onclick: () => row.remove() }, "Remove")),
  );
  return row;
}
function resetExhibits() {
  $("exhibit-rows").replaceChildren(exhibitRow());
  syncResult();
}
const syncResult = () => {
  const exhibits = $("result-exhibits").checked;
  $("exhibits-fields").hidden = !exhibits;
  $("none-fields").hidden = exhibits;
};
$("result-exhibits").addEventListener("change", syncResult);
$("result-none").addEventListener("change", syncResult);
$("add-exhibit").addEventListener("click", () => {
  const row = exhibitRow();
  $("exhibit-rows").append(row);
  row.querySelector("input").focus();
});

$("attend-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const attended_at = isoFrom($("attend-time").value);
  if (!attended_at) return announce("Say when the scene was attended.");
  const result = $("result-exhibits").checked
    ? {
        result: "exhibits",
        exhibits: [...$("exhibit-rows").querySelectorAll("tr")]
          .map((row) => ({ reference: row.querySelector(".exhibit-reference").value.trim(), description: row.querySelector(".exhibit-description").value.trim() }))
          .filter((x) => x.reference || x.description),
      }
    : { result: "no_forensic_opportunity", note: $("none-note").value };
  scene($("attend-form"), { action: "record_csi_attendance", attended_at, result }, `Result recorded for crime ${crime.reference}.`);
});

$("cancel-form").addEventListener("submit", (event) => {
  event.preventDefault();
  scene($("cancel-form"), { action: "cancel_csi", reason: $("cancel-reason").value }, `Request cancelled for crime ${crime.reference}.`);
});

const needRequest = (fn) => () => (request ? fn() : announce("Open a request from the queue first."));
keys(
  {
    KeyI: () => {
      const row = document.querySelector("#csi-queue tr[tabindex]");
      (row || $("queue-title")).focus();
      $("queue").scrollIntoView();
    },
    KeyB: needRequest(() => openSection("book-section", "book-slot")),
    KeyA: needRequest(() => openSection("attend-section", "attend-time")),
    KeyX: needRequest(() => openSection("cancel-section", "cancel-reason")),
  },
  $("shortcuts"),
);
$("shortcuts-button").addEventListener("click", () => $("shortcuts").showModal());
$("queue-title").tabIndex = -1;

await loadQueue();
const wanted = new URLSearchParams(location.search);
if (wanted.get("crime")) await openRequest(wanted.get("crime"), null);
