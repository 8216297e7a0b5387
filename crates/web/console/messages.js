// Messages to a person or a team (issue 17): the inbox on the task board (/console/tasks,
// `messagesPanel`) and the unread count beside the live list on the console (`unreadLink`).
// The inbox is the signed-in user's own messages and their teams' (GET /api/v1/messages,
// an audited read), read again when the live feed's `message` event names one of them:
// sent to them or to one of their teams, or one already shown being read. A message is
// marked read by each person separately (POST /api/v1/messages/read). Sending makes the
// message's id here, so a retried send (the same words to the same recipient) sends one.
// Our own code, no libraries.
import { api, dateTime, el } from "./common.js";
import { requestDone, requestKey } from "./tasking.js";

const $ = (id) => document.getElementById(id);

// ---- Shared words and rules -----------------------------------------------------------

const unreadBy = (message, who) => !message.reads.some((r) => r.by === who);
const key = (to) => (to.person ? `person/${to.person}` : `team/${to.team}`);

// The teams (codes) of the directory the user is a member of.
const teamsOf = (teams, me) => teams.filter((t) => (t.members || []).includes(me.username)).map((t) => t.code);

// "you", "your team NPT_LS8", or "the team CID (Criminal Investigation Department)".
function toText(to, teams, me) {
  if (to.person) return to.person === me.username ? "you" : to.person;
  const team = teams.find((t) => t.code === to.team);
  if (team && (team.members || []).includes(me.username)) return `your team ${to.team}`;
  return `the team ${to.team}${team ? ` (${team.name})` : ""}`;
}

// "3 min ago", "2 h 05 min ago", "just now".
function ago(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${String(minutes % 60).padStart(2, "0")} min ago` : `${Math.floor(hours / 24)} days ago`;
}

const shorten = (text, most = 90) => (text.length > most ? `${text.slice(0, most - 1)}…` : text);

// Unread by `who` first, then newest first: the server's order, kept after a local change.
function ordered(messages, who) {
  return [...messages].sort((a, b) => Number(!unreadBy(a, who)) - Number(!unreadBy(b, who)) || new Date(b.sent_at) - new Date(a.sent_at));
}

// The inbox, read once at a time: a burst of live events is one read, and a read asked
// for while one is under way runs after it.
function inbox(me, onRead, onError) {
  const watch = { messages: null, teams: [], mine: new Set() };
  let timer = null;
  let chain = Promise.resolve();
  async function read(withTeams) {
    if (withTeams || !watch.teams.length) {
      watch.teams = await api("GET", "/api/v1/teams").catch(() => watch.teams);
      watch.mine = new Set(teamsOf(watch.teams, me).map((c) => `team/${c}`));
    }
    const found = await api("GET", "/api/v1/messages");
    const before = watch.messages;
    watch.messages = ordered(found.messages, me.username);
    onRead(watch.messages, before);
  }
  watch.refresh = (withTeams = false) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(() => read(withTeams)).catch((e) => onError(e));
    }, 150);
  };
  // Whether a `message` event concerns this user: to them, to one of their teams, or one
  // of theirs being read (from another tab, or by a team-mate).
  watch.concerns = (data) =>
    Boolean(data) &&
    (data.to === `person/${me.username}` || watch.mine.has(data.to) || (watch.messages || []).some((m) => m.id.id === data.message));
  watch.onMessage = (data) => {
    if (watch.concerns(data)) watch.refresh();
  };
  return watch;
}

// ---- The console: how many unread, beside the live list --------------------------------

// `link`: the <a> to the task board's messages; it says how many are unread and from whom,
// inside an aria-live region so a new one is heard. Returns { onMessage, refresh, focus }.
export function unreadLink(me, link) {
  const render = (messages) => {
    const unread = messages.filter((m) => unreadBy(m, me.username));
    const latest = unread.length ? `${unread.length}/${unread[0].id.id}` : "0";
    if (link.dataset.latest === latest) return; // said already: the live region stays quiet
    link.dataset.latest = latest;
    link.classList.toggle("unread", unread.length > 0);
    link.replaceChildren(
      unread.length ? el("strong", {}, `✉ ${unread.length} unread message${unread.length === 1 ? "" : "s"}`) : "✉ No unread messages",
      unread.length ? el("span", { class: "from" }, ` latest from ${unread[0].from}`) : null,
    );
    link.title = unread.length
      ? `${unread.length} unread: the latest from ${unread[0].from}, ${dateTime(unread[0].sent_at)}. Opens your messages on the task board in another tab.`
      : "Your messages, on the task board (opens in another tab)";
    link.dataset.unread = String(unread.length);
    document.title = `${unread.length ? `(${unread.length}) ` : ""}${document.title.replace(/^\(\d+\) /, "")}`;
  };
  const watch = inbox(me, render, () => {
    link.dataset.latest = "";
    link.replaceChildren("✉ Messages cannot be read just now");
  });
  link.textContent = "✉ Reading your messages…";
  link.hidden = false;
  watch.refresh(true);
  return {
    onMessage: watch.onMessage,
    refresh: () => watch.refresh(true),
    focus: () => link.focus(),
  };
}

// ---- The task board: the inbox and a short send form -----------------------------------

// `ctx`: { me, incidentInfo(id) → Promise<{reference, where}> (each read once, audited),
// incidentKnown(id) → what that read found, announce(text) } from tasks.js. Returns
// { onMessage, refresh, keys } for its live feed and its Alt keys.
export function messagesPanel(ctx) {
  const { me } = ctx;
  const form = $("message-form");
  const list = $("message-list");
  const news = $("messages-news");
  const state = { selected: null, showAll: false, sent: [], incidents: null };
  const READ_SHOWN = 5; // read messages listed before "Show earlier"

  const watch = inbox(
    me,
    async (messages, before) => {
      const ids = messages.map((m) => m.about && m.about.incident).filter(Boolean);
      await Promise.all([...new Set(ids)].map((id) => ctx.incidentInfo(id)));
      render();
      fillDirectory();
      // Opened from the console's unread link (/console/tasks#messages): on the first unread.
      if (!before && location.hash === "#messages") keys.KeyM();
      if (before) {
        const seen = new Set(before.map((m) => m.id.id));
        const fresh = messages.filter((m) => !seen.has(m.id.id) && unreadBy(m, me.username));
        if (fresh.length) say(fresh.map((m) => `New message from ${m.from} to ${toText(m.id.to, watch.teams, me)}: ${shorten(m.text)}`).join(" "));
      }
    },
    (e) => list.replaceChildren(el("li", { class: "form-error" }, `Your messages cannot be read: ${e.message}`)),
  );

  // Said in the panel's own live region (heard by a screen reader, and seen).
  function say(text) {
    news.textContent = text;
  }

  function aboutLine(m) {
    if (!m.about) return null;
    if (m.about.incident) {
      const info = ctx.incidentKnown(m.about.incident);
      return el(
        "div",
        { class: "about" },
        "About incident ",
        el("a", { href: `/console?incident=${encodeURIComponent(m.about.incident)}` }, info ? info.reference : "the incident"),
        info && info.where ? el("span", { class: "meta" }, ` ${info.where}`) : null,
      );
    }
    if (m.about.crime) return el("div", { class: "about" }, "About ", el("a", { href: `/console/crimes?crime=${encodeURIComponent(m.about.crime)}` }, "a crime"));
    return null;
  }

  function readsLine(m) {
    const mine = m.reads.find((r) => r.by === me.username);
    const others = m.reads.filter((r) => r.by !== me.username).map((r) => r.by);
    return el(
      "div",
      { class: "meta reads" },
      mine ? `Read by you ${dateTime(mine.at)}.` : "Not yet read by you.",
      others.length ? ` Also read by ${others.join(", ")}.` : "",
    );
  }

  function item(m) {
    const unread = unreadBy(m, me.username);
    const li = el(
      "li",
      { tabindex: "0", class: unread ? "message unread" : "message", "data-message": m.id.id },
      el(
        "div",
        { class: "message-head" },
        unread ? el("span", { class: "badge unread" }, "Unread") : null,
        unread ? " " : null,
        el("strong", {}, `From ${m.from}`),
        ` to ${toText(m.id.to, watch.teams, me)} `,
        el("span", { class: "meta when" }, `${dateTime(m.sent_at)} (${ago(m.sent_at)})`),
      ),
      el("div", { class: "message-text" }, m.text),
      aboutLine(m),
      el(
        "div",
        { class: "message-foot" },
        readsLine(m),
        unread ? el("button", { type: "button", class: "mark-read", "aria-label": `Mark the message from ${m.from} read`, onclick: () => markRead(m) }, "Mark read ", el("kbd", {}, "Alt+R")) : null,
      ),
    );
    li.addEventListener("focusin", () => {
      state.selected = m.id.id;
    });
    li.addEventListener("keydown", (event) => {
      if (event.target !== li) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const items = [...list.querySelectorAll("li[data-message]")];
        const next = items[items.indexOf(li) + (event.key === "ArrowDown" ? 1 : -1)];
        if (next) next.focus();
      } else if (event.key === "Enter" && m.about && m.about.incident) {
        // Opening its incident: it has been read.
        event.preventDefault();
        const go = () => location.assign(`/console?incident=${encodeURIComponent(m.about.incident)}`);
        if (unread) markRead(m).finally(go);
        else go();
      }
    });
    return li;
  }

  function render() {
    const messages = watch.messages || [];
    const active = document.activeElement;
    const on = active && active.closest && active.closest("#message-list li[data-message]");
    const unread = messages.filter((m) => unreadBy(m, me.username));
    const read = messages.filter((m) => !unreadBy(m, me.username));
    const shown = state.showAll ? messages : [...unread, ...read.slice(0, READ_SHOWN)];
    const count = $("messages-unread");
    count.textContent = unread.length ? `${unread.length} unread` : "none unread";
    count.classList.toggle("unread", unread.length > 0);
    count.dataset.unread = String(unread.length);
    document.title = `${unread.length ? `(${unread.length}) ` : ""}${document.title.replace(/^\(\d+\) /, "")}`;
    if (!messages.length) {
      list.replaceChildren(el("li", { class: "muted" }, "No messages to you or your teams yet."));
    } else {
      list.replaceChildren(...shown.map(item));
    }
    const earlier = $("messages-earlier");
    earlier.hidden = state.showAll || read.length <= READ_SHOWN;
    if (!earlier.hidden) earlier.textContent = `Show ${read.length - READ_SHOWN} earlier read message${read.length - READ_SHOWN === 1 ? "" : "s"}`;
    if (on) {
      const again = list.querySelector(`li[data-message="${CSS.escape(on.dataset.message)}"]`);
      if (again) again.focus();
    }
  }
  $("messages-earlier").addEventListener("click", () => {
    state.showAll = true;
    render();
    const first = list.querySelector("li.message:not(.unread)");
    if (first) first.focus();
  });

  async function markRead(m) {
    const path = "/api/v1/messages/read";
    const body = { id: m.id.id, to: m.id.to };
    try {
      const changed = await api("POST", path, body, requestKey(path, body));
      requestDone(path, body);
      // Shown read at once (the live feed's read follows), the cursor on to the next unread.
      const at = (watch.messages || []).findIndex((x) => x.id.id === m.id.id);
      if (at >= 0) watch.messages[at] = changed;
      watch.messages = ordered(watch.messages || [], me.username);
      const wasOn = document.activeElement && document.activeElement.closest && document.activeElement.closest("#message-list");
      render();
      say(`Message from ${m.from} marked read.`);
      if (wasOn) {
        const next =
          list.querySelector("li.message.unread") || list.querySelector(`li[data-message="${CSS.escape(m.id.id)}"]`) || list.querySelector("li[data-message]");
        if (next) next.focus();
      }
    } catch (e) {
      say(`The message was not marked read: ${e.message}`);
    }
  }

  // ---- Sending ----------------------------------------------------------------------

  const toInput = $("message-to");
  const aboutInput = $("message-about");
  const textInput = $("message-text");

  // Teams, and the people of each team, as choices for "To".
  function people() {
    const found = new Map();
    for (const t of watch.teams) for (const m of t.members || []) found.set(m, [...(found.get(m) || []), t.code]);
    return found;
  }
  function fillDirectory() {
    const list = $("message-to-list");
    if (list.dataset.filled === String(watch.teams.length)) return;
    list.dataset.filled = String(watch.teams.length);
    list.replaceChildren(
      ...watch.teams.map((t) => el("option", { value: t.code }, `${t.kind === "department" ? "Department" : "Team"}: ${t.name}`)),
      ...[...people()].map(([who, teams]) => el("option", { value: who }, `Person, in ${teams.join(", ")}`)),
    );
    showTo();
  }

  // What "To" is read as: a team of the directory (by code, any case), a person in one, or
  // else a code in capitals is a team and anything else a username; the server says when
  // there is no such team or person.
  function recipient(raw) {
    const value = raw.trim();
    if (!value) return null;
    const team = watch.teams.find((t) => t.code.toLowerCase() === value.toLowerCase());
    if (team) return { team: team.code };
    if (people().has(value.toLowerCase())) return { person: value.toLowerCase() };
    return /[A-Z]/.test(value) && value === value.toUpperCase() ? { team: value } : { person: value.toLowerCase() };
  }
  function showTo() {
    const to = recipient(toInput.value);
    const hint = $("message-to-hint");
    if (!to) {
      hint.textContent = ""; // the label and the placeholder say what to type
      return;
    }
    if (to.team) {
      const team = watch.teams.find((t) => t.code === to.team);
      hint.textContent = team
        ? `The team ${team.name} (${team.code}): ${team.members.length ? `seen by ${team.members.join(", ")}` : "no members listed yet"}.`
        : `The team ${to.team}: not a team in the directory.`;
    } else {
      const teams = people().get(to.person);
      hint.textContent = teams ? `${to.person}, in ${teams.join(", ")}: only they see it.` : `The person ${to.person}: only they see it.`;
    }
  }
  toInput.addEventListener("input", showTo);

  // Recent incidents by reference, for "About": read when the field is first used.
  async function incidents() {
    if (!state.incidents) {
      state.incidents = api("GET", "/api/v1/incidents?limit=200")
        .then((found) => {
          $("message-about-list").replaceChildren(
            ...found.incidents.map((i) => el("option", { value: i.reference }, [i.location, i.incident_type, i.status].filter(Boolean).join(" · "))),
          );
          return found.incidents;
        })
        .catch(() => {
          state.incidents = null;
          return [];
        });
    }
    return state.incidents;
  }
  aboutInput.addEventListener("focus", () => incidents());
  aboutInput.addEventListener("input", async () => {
    const value = aboutInput.value.trim();
    const found = (await incidents()).find((i) => i.reference === value);
    $("message-about-hint").textContent = found ? `${found.reference}: ${[found.location, found.incident_type].filter(Boolean).join(", ")}` : "";
  });

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  async function about() {
    const value = aboutInput.value.trim();
    if (!value) return { about: null };
    if (UUID.test(value)) return { about: { incident: value.toLowerCase() } };
    const found = (await incidents()).find((i) => i.reference === value);
    return found ? { about: { incident: found.id } } : { error: `No recent incident has the reference ${value}: type it as the live list shows it (e.g. 20261202-0005), or leave this empty.` };
  }

  function besideField(control, message) {
    clearErrors();
    // The cursor first: leaving a changed field fires "change", which clears a form's
    // problems (casework.js) and would take this one away as it is said.
    control.focus();
    const holder = control.closest(".field");
    const id = `${control.id}-problem`;
    holder.append(el("p", { class: "field-error", id, role: "alert" }, message));
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", [...(control.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id), id].join(" "));
  }
  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((n) => n.remove());
    form.querySelector(".form-error").textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach((n) => {
      n.removeAttribute("aria-invalid");
      const ids = (n.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && !x.endsWith("-problem"));
      if (ids.length) n.setAttribute("aria-describedby", ids.join(" "));
      else n.removeAttribute("aria-describedby");
    });
  }
  // The API's field (`to.team`, `to.person`, `text`, `about`) to the control beside which
  // its message is said; what was typed stays.
  function problem(error) {
    const field = error.field || "";
    const control = field.startsWith("to") ? toInput : field.startsWith("about") ? aboutInput : field === "text" ? textInput : null;
    const words = field && error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
    if (!control) {
      clearErrors();
      textInput.focus();
      form.querySelector(".form-error").textContent = error.message;
      return;
    }
    const label = control.labels && control.labels[0] ? control.labels[0].dataset.name || "" : "";
    besideField(control, /^(is|must|are) /.test(words) && label ? `${label} ${words}` : words);
  }
  form.addEventListener("input", () => {
    if (form.querySelector(".field-error") || form.querySelector(".form-error").textContent) clearErrors();
  });

  // The message's id, the same for a retry of the same words to the same recipient.
  let pending = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const to = recipient(toInput.value);
    if (!to) return besideField(toInput, "Say who it is for: a team code (e.g. NPT_LS8) or a username.");
    const found = await about();
    if (found.error) return besideField(aboutInput, found.error);
    const content = JSON.stringify({ to, text: textInput.value, about: found.about });
    if (!pending || pending.content !== content) pending = { content, id: crypto.randomUUID() };
    const path = "/api/v1/messages";
    const body = { id: pending.id, to, text: textInput.value, about: found.about };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const sent = await api("POST", path, body, requestKey(path, body));
      requestDone(path, body);
      pending = null;
      state.sent.unshift(sent);
      renderSent();
      textInput.value = "";
      aboutInput.value = "";
      $("message-about-hint").textContent = "";
      const words = `Message sent to ${toText(sent.id.to, watch.teams, me)}.`;
      say(words);
      ctx.announce(words);
      textInput.focus();
    } catch (e) {
      // A refusal is final for this id and key; a dropped network keeps both for the retry.
      if (e.status && e.status < 500) {
        requestDone(path, body);
        pending = null;
      }
      problem(e);
    } finally {
      button.disabled = false;
    }
  });

  // What was sent from this page, and who has read it since (the live feed says).
  function renderSent() {
    $("messages-sent").replaceChildren(
      ...state.sent.slice(0, 3).map((m) =>
        el(
          "li",
          { "data-sent": m.id.id },
          el("span", { class: "meta" }, `${dateTime(m.sent_at)} to ${m.id.to.team || m.id.to.person}: `),
          shorten(m.text, 60),
          " ",
          el("span", { class: m.reads.length ? "badge read" : "badge" }, m.reads.length ? `Read by ${m.reads.map((r) => r.by).join(", ")}` : "Not read yet"),
        ),
      ),
    );
  }

  function onMessage(data) {
    const sent = data && state.sent.find((m) => m.id.id === data.message);
    if (sent) {
      const had = new Set(sent.reads.map((r) => r.by));
      sent.reads = [...sent.reads, ...data.read_by.filter((by) => !had.has(by)).map((by) => ({ by, at: null }))];
      renderSent();
    }
    watch.onMessage(data);
  }

  // The message the cursor is on (or was last on).
  const selected = () => (watch.messages || []).find((m) => m.id.id === state.selected) || null;

  const keys = {
    KeyM: () => {
      const first = list.querySelector("li.message.unread") || list.querySelector("li[data-message]");
      (first || $("messages-title")).focus();
      $("messages").scrollIntoView({ block: "start" });
    },
    KeyS: () => {
      toInput.focus();
    },
    KeyR: () => {
      const m = selected();
      if (!m) return say("Move to a message first (Alt+M, then ↑/↓).");
      if (!unreadBy(m, me.username)) return say("You have read that message already.");
      markRead(m);
    },
  };

  setInterval(render, 60_000); // "3 min ago" moves on
  showTo();
  watch.refresh(true);
  return { onMessage, refresh: () => watch.refresh(true), keys };
}
