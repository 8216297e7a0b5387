// The supervisor's page: incidents by status and grade, crime-recording compliance and the
// audit-trail check.
import { api, dateTime, el, say, start } from "./common.js";

// The button works from the moment the page is shown, not only once the figures below have
// loaded (a click before then used to do nothing).
const result = document.getElementById("verify-result");
document.getElementById("verify").addEventListener("click", async () => {
  result.textContent = "Checking…";
  try {
    const verified = await api("GET", "/api/v1/audit/verify");
    result.textContent = `Intact: ${verified.records} records, ${verified.incidents} incidents agree with their events.`;
  } catch (e) {
    result.textContent = `Problem found: ${e.message}`;
  }
});
await start();

const count = (rows, key) =>
  rows.reduce((acc, row) => acc.set(row[key] || "none", (acc.get(row[key] || "none") || 0) + 1), new Map());
const fill = (id, counts) =>
  document.getElementById(id).replaceChildren(
    ...[...counts.entries()].map(([code, n]) => el("tr", {}, el("td", {}, code === "none" ? "Not graded" : say(code)), el("td", {}, String(n)))),
  );
try {
  const list = await api("GET", "/api/v1/incidents?limit=500");
  fill("by-status", count(list.incidents, "status"));
  fill("by-grade", count(list.incidents.filter((r) => r.status !== "closed"), "grade"));
} catch (e) {
  document.getElementById("by-status").replaceChildren(el("tr", {}, el("td", { colspan: "2" }, e.message)));
}

// NCRS compliance: decisions within 24 hours out of decisions made, and what is overdue now.
try {
  const c = await api("GET", "/api/v1/crime-recording/compliance");
  const share = c.on_time_percent === null ? "no decisions yet" : `${c.on_time_percent}% decided within 24 hours`;
  document.getElementById("recording-share").textContent =
    `${c.reports} reports of crime: ${share} (${c.decided_on_time} on time, ${c.decided_late} late); ${c.awaiting} awaiting a decision, ${c.overdue} overdue.`;
  document.getElementById("recording-overdue").replaceChildren(
    ...c.overdue_reports.map((r) =>
      el("tr", {}, el("td", {}, r.incident.reference), el("td", {}, dateTime(r.clock.due_at)), el("td", {}, r.incident.summary)),
    ),
  );
  if (!c.overdue_reports.length) {
    document.getElementById("recording-overdue").append(el("tr", {}, el("td", { colspan: "3" }, "Nothing overdue.")));
  }
} catch (e) {
  document.getElementById("recording-share").textContent = e.message;
}
