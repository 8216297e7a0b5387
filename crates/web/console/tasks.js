// The task board (issue 17): the open tasks of the user's teams and those set to them by name,
// most pressing first, overdue ones marked in words; for supervisors also the tasks escalated
// to a supervisor and to the duty inspector, and the incidents whose promised call-back is
// late. Tasks are acknowledged and completed from here. The board is read again when the live
// feed says a task changed (`task` events), when a task shown falls due, and every 30 s (a
// task escalates by the clock, with no event). Above the tasks, the user's messages and
// their teams' (messages.js), arriving live (`message` events). Our own code, no libraries.
import { api, el, live, may, start, time } from "./common.js";
import { $, announce, keys } from "./casework.js";
import { messagesPanel } from "./messages.js";
import {
  assigneeText,
  dueText,
  incidentOf,
  isLate,
  kindText,
  priorityBadge,
  requestDone,
  requestKey,
  taskOpen,
  taskStatusText,
} from "./tasking.js";

const me = await start();
const supervisor = may(me, "supervise_tasks");
const state = {
  board: null,
  teams: [],
  incidents: new Map(), // incident id -> { reference, where } once read
  asked: new Map(), // incident id -> the read under way
  selected: null, // { id, where }: the task row last on
  completing: null, // { id, where, value }: the result being typed
};

const ESCALATION = {
  none: "",
  overdue: "Late: in the team's queue",
  supervisor: "Escalated to a supervisor",
  duty_inspector: "Escalated to the duty inspector",
};

// What a task's incident is called (its reference and place): each read once, and audited.
function incidentInfo(id) {
  if (!id) return Promise.resolve(null);
  if (!state.asked.has(id)) {
    state.asked.set(
      id,
      api("GET", `/api/v1/incidents/${id}`)
        .then((i) => {
          const first = i.contacts[0];
          const info = { reference: i.reference, where: first ? first.location.text : "", status: i.status };
          state.incidents.set(id, info);
          return info;
        })
        .catch(() => {
          const info = { reference: "an incident you cannot open", where: "", status: "" };
          state.incidents.set(id, info);
          return info;
        }),
    );
  }
  return state.asked.get(id);
}

const pathOf = (line) => `/api/v1/incidents/${incidentOf(line.id)}/tasks/${line.id.id}`;
// The incident on the console, its tasks section open.
const incidentHref = (id) => `/console?incident=${encodeURIComponent(id)}#tasks`;
const openIncident = (id) => location.assign(incidentHref(id));

function incidentCell(incidentId) {
  const info = state.incidents.get(incidentId);
  if (!incidentId) return el("td", {}, "");
  return el(
    "td",
    {},
    el("a", { href: incidentHref(incidentId) }, info ? info.reference : "the incident"),
    info && info.where ? el("div", { class: "meta" }, info.where) : null,
  );
}

function statusCell(line) {
  const words = ESCALATION[line.escalation] || "";
  return el(
    "td",
    {},
    taskStatusText(line.status),
    words ? el("div", {}, el("span", { class: line.escalation === "overdue" ? "badge due-soon" : "badge overdue" }, words)) : null,
    line.reassignments && line.reassignments.length ? el("div", { class: "meta" }, `Reassigned ${line.reassignments.length}×: ${line.reassignments[line.reassignments.length - 1].reason}`) : null,
  );
}

function actionsCell(line, where) {
  if (!taskOpen(line)) return el("td", { class: "actions" });
  const what = `${kindText(line.kind)} task: ${line.details}`;
  return el(
    "td",
    { class: "actions" },
    line.status.status === "set"
      ? el("button", { type: "button", class: "acknowledge", "aria-label": `Acknowledge the ${what}`, onclick: () => acknowledge(line) }, "Acknowledge")
      : null,
    " ",
    el("button", { type: "button", class: "complete", "aria-label": `Complete the ${what}`, onclick: () => startComplete(line, where) }, "Complete"),
  );
}

function taskRow(line, where) {
  const late = line.overdue || (taskOpen(line) && isLate(line.due));
  const row = el(
    "tr",
    { tabindex: "0", class: late ? "overdue" : null, "data-task": line.id.id, "data-where": where, "aria-label": `${kindText(line.kind)}, ${line.priority}${late ? ", overdue" : ""}` },
    el("th", { scope: "row" }, priorityBadge(line.priority)),
    el("td", { class: "task-what" }, el("strong", {}, kindText(line.kind)), el("div", {}, line.details), el("div", { class: "meta" }, `Set by ${line.set_by}`)),
    incidentCell(incidentOf(line.id)),
    el("td", {}, assigneeText(line.to, state.teams)),
    el("td", { class: "due" }, dueText(line.due)),
    statusCell(line),
    actionsCell(line, where),
  );
  row.addEventListener("focusin", () => {
    state.selected = { id: line.id.id, where };
  });
  row.addEventListener("keydown", (event) => {
    if (event.target !== row) return;
    if (event.key === "Enter") {
      event.preventDefault();
      const incident = incidentOf(line.id);
      if (incident) openIncident(incident);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const rows = [...row.parentElement.querySelectorAll("tr[data-task]")];
      const next = rows[rows.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) next.focus();
    }
  });
  return row;
}

// The result of a task being completed, typed under its row; kept through every redraw.
function completeRow(line, where) {
  const id = `complete-${where}-${line.id.id}`;
  const input = el("input", { id, name: "result", "data-field": "result", autocomplete: "off", value: state.completing.value });
  input.addEventListener("input", () => {
    state.completing.value = input.value;
  });
  const form = el(
    "form",
    { class: "inline-form", novalidate: true, "aria-label": `Complete the ${kindText(line.kind)} task` },
    el("label", { for: id }, "Result of the task"),
    input,
    el("button", { type: "submit", class: "primary" }, "Record it completed ", el("kbd", {}, "Ctrl+Enter")),
    el("button", { type: "button", onclick: () => stopComplete(line, where) }, "Not now"),
    el("p", { class: "form-error", role: "alert" }, state.completing.error || ""),
  );
  if (state.completing.error) input.setAttribute("aria-invalid", "true");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    complete(line, where, form);
  });
  return el("tr", { class: "complete-row", "data-completing": line.id.id }, el("td", { colspan: "7" }, form));
}

function rows(tbody, lines, where, empty) {
  if (!lines.length) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "7", class: "muted" }, empty)));
    return;
  }
  const out = [];
  for (const line of lines) {
    out.push(taskRow(line, where));
    if (state.completing && state.completing.id === line.id.id && state.completing.where === where) out.push(completeRow(line, where));
  }
  tbody.replaceChildren(...out);
}

function callBackRows(list) {
  const tbody = $("callback-rows");
  if (!list.length) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "No promised call-back is overdue.")));
    return;
  }
  tbody.replaceChildren(
    ...list.map((c) => {
      const info = state.incidents.get(c.incident);
      return el(
        "tr",
        { class: "overdue" },
        el("th", { scope: "row" }, info ? info.reference : "an incident", info && info.where ? el("div", { class: "meta" }, info.where) : null),
        el("td", { class: "due" }, dueText(c.due)),
        el("td", {}, el("button", { type: "button", onclick: () => openIncident(c.incident) }, "Open the incident")),
      );
    }),
  );
}

// Referrals the supervisor must chase: not sent by their due time, or sent and not yet
// acknowledged by the agency.
function lateReferralRows(list) {
  const tbody = $("late-referral-rows");
  if (!list.length) {
    tbody.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No safeguarding referral is late.")));
    return;
  }
  tbody.replaceChildren(
    ...list.map((r) => {
      const incident = incidentOf(r.id);
      const info = state.incidents.get(incident);
      const what = r.chase === "send_overdue" ? "Not sent" : "Not acknowledged by the agency";
      return el(
        "tr",
        { class: "overdue" },
        el("th", { scope: "row" }, info ? info.reference : "an incident", info && info.where ? el("div", { class: "meta" }, info.where) : null),
        el("td", {}, `${r.referral_type} referral to ${r.agency}`, el("div", { class: "meta" }, `Drafted by ${r.drafted_by}`)),
        el("td", { class: "due" }, `${what}: ${dueText(r.chase_due)}`),
        el("td", {}, el("button", { type: "button", onclick: () => openIncident(incident) }, "Open the incident")),
      );
    }),
  );
}

function render() {
  const b = state.board;
  // Where the cursor was, to put it back after the redraw.
  const active = document.activeElement;
  const onRow = active && active.matches && active.matches("tr[data-task]") ? { id: active.dataset.task, where: active.dataset.where } : null;
  const inResult = active && active.closest && active.closest("tr.complete-row") ? { start: active.selectionStart, end: active.selectionEnd } : null;

  const names = b.teams.map((code) => {
    const team = state.teams.find((t) => t.code === code);
    return team ? `${team.name} (${code})` : code;
  });
  $("teams-line").textContent = [
    names.length ? `Your teams: ${names.join(", ")}.` : "You are not in a team yet: a supervisor adds you to one. Tasks set to you by name show here.",
    supervisor ? "As a supervisor you see every team's open tasks." : "",
  ]
    .filter(Boolean)
    .join(" ");
  rows($("queue-rows"), b.queue, "queue", "No open task for your teams or for you.");
  $("escalations").hidden = !supervisor;
  if (supervisor) {
    rows($("escalated-rows"), b.escalated, "escalated", "Nothing has escalated to a supervisor.");
    rows($("inspector-rows"), b.duty_inspector, "inspector", "Nothing has escalated to the duty inspector.");
    callBackRows(b.overdue_call_backs);
    lateReferralRows(b.late_referrals || []);
  }

  if (onRow) {
    const again = document.querySelector(`tr[data-task="${CSS.escape(onRow.id)}"][data-where="${onRow.where}"]`);
    if (again) again.focus();
  } else if (inResult && state.completing) {
    const input = document.getElementById(`complete-${state.completing.where}-${state.completing.id}`);
    if (input) {
      input.focus();
      input.setSelectionRange(inResult.start, inResult.end);
    }
  }
}

// ---- Reading the board --------------------------------------------------------------

const LIVE = "after a task changed";
let dueTimer = null;
let reading = Promise.resolve();

async function load(reason) {
  const board = await api("GET", "/api/v1/tasks");
  const lines = [...board.queue, ...board.escalated, ...board.duty_inspector];
  const ids = new Set(
    [...lines.map((l) => incidentOf(l.id)), ...board.overdue_call_backs.map((c) => c.incident), ...(board.late_referrals || []).map((r) => incidentOf(r.id))].filter(Boolean),
  );
  await Promise.all([...ids].map(incidentInfo));
  const before = state.board ? new Set(state.board.queue.map((l) => l.id.id)) : null;
  state.board = board;
  // A task being completed that is no longer open (done elsewhere) is let go.
  if (state.completing && !lines.some((l) => l.id.id === state.completing.id)) state.completing = null;
  render();
  $("board-seen").textContent = `Updated ${time(new Date().toISOString())}${reason ? ` ${reason}` : ""}.`;
  // How many reads the live feed asked for: a change seen without reloading the page.
  if (reason === LIVE) $("board-seen").dataset.liveReads = String(Number($("board-seen").dataset.liveReads || 0) + 1);
  if (before) {
    const fresh = board.queue.filter((l) => !before.has(l.id.id));
    if (fresh.length) {
      announce(
        `New task${fresh.length === 1 ? "" : "s"}: ${fresh
          .map((l) => `${kindText(l.kind)} (${l.priority}) for ${assigneeText(l.to, state.teams)}${state.incidents.get(incidentOf(l.id)) ? ` on ${state.incidents.get(incidentOf(l.id)).reference}` : ""}`)
          .join("; ")}.`,
      );
    }
  }
  // Read again just after the next task shown falls due: it is marked overdue on time, and
  // an urgent one reaches the supervisor's list at once.
  clearTimeout(dueTimer);
  const now = Date.now();
  const next = lines.map((l) => new Date(l.due).getTime()).filter((t) => t > now).sort((a, b) => a - b)[0];
  if (next && next - now < 2 ** 31 - 2000) dueTimer = setTimeout(() => reload("as a task fell due"), next - now + 1500);
}

// One read at a time, in order; a burst of events is one read (said for its first reason).
let soon = null;
let pending = null;
function reload(reason) {
  clearTimeout(soon);
  pending = pending || reason;
  soon = setTimeout(() => {
    const why = pending;
    pending = null;
    reading = reading
      .then(() => load(why))
      .catch((e) => announce(`The task board could not be read: ${e.message}`));
  }, 150);
}

// ---- Acting on a task ---------------------------------------------------------------

async function post(line, body) {
  const path = pathOf(line);
  const changed = await api("POST", path, body, requestKey(path, body));
  requestDone(path, body);
  return changed;
}

async function acknowledge(line) {
  try {
    await post(line, { action: "acknowledge" });
    announce(`${kindText(line.kind)} task acknowledged: it is yours.`);
    reload("after your change");
  } catch (e) {
    announce(`The task was not acknowledged: ${e.message}`);
  }
}

function startComplete(line, where) {
  if (!state.completing || state.completing.id !== line.id.id || state.completing.where !== where) {
    state.completing = { id: line.id.id, where, value: "", error: "" };
  }
  render();
  const input = document.getElementById(`complete-${where}-${line.id.id}`);
  if (input) input.focus();
}

function stopComplete(line, where) {
  state.completing = null;
  render();
  const row = document.querySelector(`tr[data-task="${CSS.escape(line.id.id)}"][data-where="${where}"]`);
  if (row) row.focus();
}

async function complete(line, where, form) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await post(line, { action: "complete", result: state.completing.value });
    state.completing = null;
    announce(`${kindText(line.kind)} task completed.`);
    reload("after your change");
    $("queue-title").focus();
  } catch (e) {
    state.completing.error = e.message;
    const out = form.querySelector(".form-error");
    out.textContent = e.message;
    const input = form.querySelector("input");
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } finally {
    button.disabled = false;
  }
}

// The task row the user is on (or was last on), with its line.
function selected() {
  const s = state.selected;
  if (!s || !state.board) return null;
  const list = s.where === "queue" ? state.board.queue : s.where === "escalated" ? state.board.escalated : state.board.duty_inspector;
  const line = list.find((l) => l.id.id === s.id);
  return line ? { line, where: s.where } : null;
}

// Messages: the inbox, what was sent from here, and their keys (Alt+M, Alt+R, Alt+S).
const messages = messagesPanel({
  me,
  incidentInfo,
  incidentKnown: (id) => state.incidents.get(id),
  announce,
});

keys(
  {
    ...messages.keys,
    KeyI: () => {
      const row = document.querySelector("#queue-rows tr[data-task]");
      (row || $("queue-title")).focus();
    },
    KeyU: () => {
      if (!supervisor) return announce("The escalated lists are for supervisors.");
      const row = document.querySelector("#escalated-rows tr[data-task]");
      (row || $("escalated-title")).focus();
    },
    KeyA: () => {
      const s = selected();
      if (!s) return announce("Move to a task first (Alt+I, then ↑/↓).");
      if (s.line.status.status !== "set") return announce("That task is already acknowledged.");
      acknowledge(s.line);
    },
    KeyC: () => {
      const s = selected();
      if (!s) return announce("Move to a task first (Alt+I, then ↑/↓).");
      startComplete(s.line, s.where);
    },
  },
  $("shortcuts"),
);
const shortcutsButton = $("shortcuts-button");
if (shortcutsButton) shortcutsButton.addEventListener("click", () => $("shortcuts").showModal());

// ---- Start --------------------------------------------------------------------------

state.teams = await api("GET", "/api/v1/teams").catch(() => []);
try {
  await load("");
} catch (e) {
  $("queue-rows").replaceChildren(el("tr", {}, el("td", { colspan: "7", class: "form-error" }, `The task board could not be read: ${e.message}`)));
}
live(
  $("live-state"),
  {
    task: () => reload(LIVE),
    message: (data) => messages.onMessage(data),
    resync: () => {
      reload("");
      messages.refresh();
    },
  },
  () => {
    reload("");
    messages.refresh();
  },
);
setInterval(() => reload(""), 30_000);
