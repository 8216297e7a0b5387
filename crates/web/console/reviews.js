// Investigation reviews (issue 15): the supervisor's lists (outcomes to review and filings to
// approve, victims awaiting an update under the Victims' Code with the on-time share, overdue
// lines of enquiry) and the decision on one crime: the finalisation quality check (every
// checklist item confirmed, then approve; or return with reasons), or approving or returning
// the filing of a vulnerable or repeat victim's crime. The reviewer may not be the one who
// proposed: the API refuses it, and says so beside the form.
import { api, dateTime, el, start } from "./common.js";
import {
  $,
  announce,
  CHECKLIST,
  crimeHeading,
  csiItems,
  decide,
  enquiryItems,
  factsList,
  finalisationText,
  flagsText,
  keyEventItems,
  keys,
  namesOf,
  onTimeText,
  referenceLists,
  screeningText,
  stageText,
  workRows,
} from "./casework.js";

await start();
const lists = referenceLists(await api("GET", "/api/v1/reference").catch(() => null));
let crime = null;
let people = new Map();

async function loadLists() {
  try {
    const work = await api("GET", "/api/v1/investigation/work");
    const open = (w) => openCrime(w.crime);
    workRows($("awaiting-review"), work.awaiting_review, { open, empty: "Nothing waiting for a review.", columns: [] });
    workRows($("victims-waiting"), work.victims_awaiting_update, { open, empty: "No victim is waiting for an update.", columns: ["due"] });
    workRows($("overdue-enquiries"), work.overdue_enquiries, { open, empty: "No line of enquiry is overdue.", columns: ["owner", "due"] });
    $("on-time").textContent = onTimeText(work);
    $("queue-seen").textContent = `As at ${dateTime(work.seen.at)}.`;
  } catch (e) {
    $("awaiting-review").replaceChildren(el("tr", {}, el("td", { colspan: "3" }, e.message)));
  }
}

async function openCrime(id) {
  try {
    const found = await api("GET", `/api/v1/crimes/${id}`);
    await show(found);
    history.replaceState(null, "", `/console/reviews?crime=${encodeURIComponent(found.id)}`);
    $("crime-title").scrollIntoView();
  } catch (e) {
    announce(e.message);
  }
}

async function show(c) {
  crime = c;
  const ids = [...new Set([...c.parties.map((p) => p.person), ...(c.investigation.people || []).map((l) => l.link.person)])];
  people = await namesOf(ids);
  const i = c.investigation;
  $("crime").hidden = false;
  $("crime-title").textContent = crimeHeading(c);
  $("crime-stage").textContent = stageText(c.stage);
  $("crime-stage").className = `badge stage-${c.stage}`;
  $("investigation-link").href = `/console/investigations?crime=${encodeURIComponent(c.id)}`;
  $("crime-facts").replaceChildren(...factsList(c, people));
  $("screening-now").textContent = screeningText(i);
  $("enquiries").replaceChildren(...enquiryItems(i));
  $("csi-requests").replaceChildren(...csiItems(i));
  $("key-events").replaceChildren(...keyEventItems(i, people));
  $("flags-now").textContent = flagsText(i, lists.flags);
  $("outcome-now").textContent = finalisationText(i.finalisation, lists.outcomes);
  $("finalisation-review").hidden = c.stage !== "finalisation_awaiting_review";
  $("filing-review").hidden = c.stage !== "filing_awaiting_approval";
  $("nothing-to-decide").hidden = ["finalisation_awaiting_review", "filing_awaiting_approval"].includes(c.stage);
  if (c.stage === "finalised" && i.finalisation) {
    $("nothing-to-decide").textContent = `Finalised: ${finalisationText(i.finalisation, lists.outcomes)}`;
  } else {
    $("nothing-to-decide").textContent = "Nothing on this crime waits for a supervisor.";
  }
  for (const form of document.querySelectorAll("#crime form")) form.reset();
}

$("checklist").replaceChildren(
  ...CHECKLIST.map(([code, text]) => el("label", { class: "check" }, el("input", { type: "checkbox", id: `check-${code}`, value: code, "data-check": code, "data-field": `checklist.${code}` }), text)),
);

async function supervise(form, body, done) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const changed = await decide(crime.id, "supervision", body, form);
  button.disabled = false;
  if (!changed) return;
  await show(changed);
  announce(done);
  loadLists();
}

$("approve-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const checklist = [...document.querySelectorAll("[data-check]:checked")].map((b) => b.value);
  supervise($("approve-form"), { action: "review_finalisation", decision: "approve", checklist }, `Crime ${crime.reference} finalised: the victim is owed word of the outcome.`);
});
$("return-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const reasons = $("return-reasons").value.split("\n").map((s) => s.trim()).filter(Boolean);
  supervise($("return-form"), { action: "review_finalisation", decision: "return", reasons }, `Crime ${crime.reference} returned to the investigator.`);
});
$("approve-filing-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const note = $("filing-note").value.trim();
  supervise($("approve-filing-form"), { action: "approve_screening", note: note || null }, `Filing of ${crime.reference} approved.`);
});
$("return-filing-form").addEventListener("submit", (event) => {
  event.preventDefault();
  supervise($("return-filing-form"), { action: "return_screening", reason: $("filing-reason").value }, `Screening of ${crime.reference} returned.`);
});

const focusFirst = (ids) => {
  const target = ids.map((id) => $(id)).find((n) => n && !n.closest("[hidden]"));
  if (target) {
    target.focus();
    target.scrollIntoView({ block: "center" });
  } else announce(crime ? "Nothing on this crime waits for that decision." : "Open a crime from the list first.");
};
keys(
  {
    KeyI: () => {
      const row = document.querySelector("#awaiting-review tr[tabindex]");
      (row || $("queue-title")).focus();
      $("queue").scrollIntoView();
    },
    KeyV: () => {
      const row = document.querySelector("#victims-waiting tr[tabindex]");
      (row || $("victims-title")).focus();
    },
    KeyA: () => focusFirst([`check-${CHECKLIST[0][0]}`, "filing-note"]),
    KeyR: () => focusFirst(["return-reasons", "filing-reason"]),
  },
  $("shortcuts"),
);
$("shortcuts-button").addEventListener("click", () => $("shortcuts").showModal());
$("queue-title").tabIndex = -1;

await loadLists();
const wanted = new URLSearchParams(location.search).get("crime");
if (wanted) await openCrime(wanted);
