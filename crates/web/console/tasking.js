// Safeguarding referrals and tasks (issue 17): the words, times and request keys the incident
// panel (referrals.js) and the task board (tasks.js) share. Our own code, no libraries.
import { dateTime, dueText, el } from "./common.js";

// What a task asks for and how soon: the API's own values (domain::tasking), in words.
export const TASK_KINDS = [
  ["call_back", "Call back"],
  ["visit", "Visit"],
  ["obtain_cctv", "Obtain CCTV"],
  ["pass_intelligence", "Pass intelligence"],
  ["other", "Other"],
];
export const PRIORITIES = [
  ["urgent", "Urgent"],
  ["high", "High"],
  ["normal", "Normal"],
  ["low", "Low"],
];
const kindWords = new Map(TASK_KINDS);
const priorityWords = new Map(PRIORITIES);
export const kindText = (code) => kindWords.get(code) || String(code || "").replace(/_/g, " ");
export const priorityText = (code) => priorityWords.get(code) || String(code || "");

export function priorityBadge(priority) {
  return el("span", { class: `badge priority-${priority}` }, priorityText(priority));
}

// "NPT_LS8" or "pc_ls8 (NPT_LS8)": whom a task is for.
export function assigneeText(to, teams) {
  const team = teams && teams.find((t) => t.code === to.team);
  const name = team ? `${team.name} (${team.code})` : to.team;
  return to.officer ? `${to.officer}, ${name}` : name;
}

export { dueText };

export const isLate = (iso, now = Date.now()) => Boolean(iso) && new Date(iso).getTime() < now;

// Where a task stands, in words, with who moved it there.
export function taskStatusText(status) {
  switch (status.status) {
    case "set":
      return "Not yet acknowledged";
    case "acknowledged":
      return `Acknowledged by ${status.by} ${dateTime(status.at)}${status.note ? `: ${status.note}` : ""}`;
    case "completed":
      return `Completed by ${status.by} ${dateTime(status.at)}: ${status.result}`;
    case "cancelled":
      return `Cancelled by ${status.by} ${dateTime(status.at)}: ${status.reason}`;
    default:
      return String(status.status || "");
  }
}
export const taskOpen = (task) => ["set", "acknowledged"].includes(task.status.status);

// The incident a task or referral belongs to, from its id ({belongs_to: {incident: …}, id}).
export const incidentOf = (id) => (id && id.belongs_to && id.belongs_to.incident) || null;

// An ISO time as a datetime-local input's value (to the second), in the browser's time zone.
export function localInput(iso) {
  const d = iso ? new Date(iso) : new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
// A datetime-local value as RFC 3339, or null when empty.
export const isoFrom = (value) => (value ? new Date(value).toISOString() : null);

// One Idempotency-Key per distinct request, the same one on a retry of exactly that request
// (the network dropped, or Ctrl+Enter twice): keyed by the path and the body, forgotten once
// the server has answered it.
const keys = new Map();
export function requestKey(path, body) {
  const text = `${path} ${JSON.stringify(body)}`;
  if (!keys.has(text)) keys.set(text, crypto.randomUUID());
  return keys.get(text);
}
export function requestDone(path, body) {
  keys.delete(`${path} ${JSON.stringify(body)}`);
}
