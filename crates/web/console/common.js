// Control Room console: what every page shares, as an ES module. Our own code, no libraries.
// The server lays out every page (header, navigation, banners); `start` does what every
// signed-in page does once loaded.

let csrf = "";
// When the server last answered: typing after that keeps the session alive.
let lastServerContact = Date.now();

export function setCsrf(token) {
  csrf = token || "";
}

// Turn an API problem into an Error the page can show next to a field.
export class ApiProblem extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `The server answered ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.field = this.problem.field || null;
  }
}

// Every API call goes through here: JSON in and out, the CSRF token on changes, and a
// session that has ended sends the user back to the sign-in page with the reason.
// `key`, when given, is sent as Idempotency-Key: a retry of the same save is answered with
// the first result instead of recording the call twice.
export async function api(method, path, body, key) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  if (key) headers["Idempotency-Key"] = key;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (e) {
    throw new ApiProblem(0, { detail: "The server cannot be reached. Check the network; nothing was saved." });
  }
  lastServerContact = Date.now();
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (response.status === 401 && path !== "/api/v1/session") {
    leave("/signin?expired=1");
    throw new ApiProblem(401, data);
  }
  if (!response.ok) throw new ApiProblem(response.status, data);
  return data;
}

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const timeFormat = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZone: "Europe/London",
});
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  day: "2-digit",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "Europe/London",
});

export function time(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "";
}

// A stretch of time as a handler says it: "under a minute", "25 min", "3 h 05 min", "2 days 4 h".
function span(ms) {
  const minutes = Math.max(0, Math.round(ms / 60000));
  if (minutes < 1) return "under a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(hours / 24)} days ${hours % 24} h`;
}

// "due by 3 Dec 23:59 (in 5 h 10 min)", or "OVERDUE by 2 h 05 min (was due …)".
export function dueText(iso, now = Date.now()) {
  if (!iso) return "";
  const left = new Date(iso).getTime() - now;
  return left >= 0 ? `due by ${dateTime(iso)} (in ${span(left)})` : `OVERDUE by ${span(-left)} (was due ${dateTime(iso)})`;
}

// A person's date of birth as a handler reads it ("born 3 Mar 1990"; an estimate as typed).
const bornFormat = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
export function bornText(born) {
  if (!born) return "date of birth not recorded";
  if (born.startsWith("age ")) return `${born} (estimated)`;
  const date = new Date(`${born}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? `born ${born}` : `born ${bornFormat.format(date)}`;
}

export function dateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

// "4 min", "2 h 05 min": how long an incident has been open.
export function age(iso, now) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}

const words = {
  emergency: "Emergency",
  priority: "Priority",
  scheduled: "Scheduled",
  resolution_without_deployment: "Resolved without deployment",
  signposted: "Signposted",
  open: "Open",
  graded: "Graded",
  dispatched: "Dispatched",
  at_scene: "At scene",
  resolved: "Resolved",
  closed: "Closed",
  threat: "Threat",
  harm: "Harm",
  risk: "Risk",
  investigation: "Investigation",
  vulnerability: "Vulnerability",
  engagement: "Engagement",
  standard: "Standard",
  medium: "Medium",
  high: "High",
  victim: "Victim",
  caller: "Caller",
  other: "Someone else",
  child: "child",
  older_person: "older person",
  disability: "disability",
  mental_health: "mental health",
  domestic_abuse: "domestic abuse",
  repeat_victim: "repeat victim",
  hate_crime: "hate crime",
  exploitation: "exploitation",
  alone_isolated: "alone or isolated",
};

export function say(code) {
  return words[code] || (code ? String(code).replace(/_/g, " ") : "");
}

// What the signed-in user may do, by the permission names the server lists in the session
// (`take_contact`, `record_crime`, …): the console offers only those tools. The server checks
// every action again; no role is named here.
export function may(me, permission) {
  return Boolean(me && Array.isArray(me.permissions) && me.permissions.includes(permission));
}
export function rolesOf(me) {
  return me ? (Array.isArray(me.roles) && me.roles.length ? me.roles : [me.role]) : [];
}
// "operator · Contact handler, Crime recorder" for the page header, in the server's words.
export function whoami(me) {
  return `${me.username} · ${(me.role_names || rolesOf(me)).join(", ")}`;
}

// Dark by default (control rooms work at night); the choice is remembered.
export function initTheme() {
  const saved = localStorage.getItem("controlroom-theme");
  document.documentElement.dataset.theme = saved || "dark";
  const button = document.getElementById("theme-toggle");
  if (!button) return;
  const label = () => {
    button.textContent = document.documentElement.dataset.theme === "dark" ? "Light theme" : "Dark theme";
  };
  label();
  button.addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("controlroom-theme", next);
    label();
  });
}

// The live feed (Server-Sent Events): shows its state in `indicator`, hands each named
// event's data to its handler, and calls `onReconnect` after a drop. The browser reconnects
// by itself with the last event's id, and the server (any of them) first sends what changed
// meanwhile; reloading as well costs one request and covers a feed too far behind (`resync`).
// A session that ends sends the user to sign in again.
export function live(indicator, handlers, onReconnect) {
  const source = new EventSource("/api/v1/events");
  let connectedBefore = false;
  source.addEventListener("open", () => {
    indicator.textContent = "● Live";
    indicator.className = "live-state on";
    if (connectedBefore && onReconnect) onReconnect();
    connectedBefore = true;
  });
  source.addEventListener("error", () => {
    indicator.textContent = "○ Reconnecting…";
    indicator.className = "live-state off";
  });
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => handle(event.data ? JSON.parse(event.data) : null));
  }
  // Our own sign-out also ends this feed; that path chooses where to go.
  source.addEventListener("signed_out", () => {
    if (!signingOut) leave("/signin?expired=1");
  });
  return source;
}

// Every page warns a minute before the idle sign-out (the server ends the session after
// `idle_timeout_seconds` without a request); a key or click keeps it, and typing keeps the
// server's session alive too, even before anything is saved.
const WARN_BEFORE_MS = 60_000;
const KEEPALIVE_MS = 60_000;
// The idle timer, the live feed's "signed_out" and a 401 can all decide to leave at once;
// a second navigation would abort the first, so only the first one goes.
let leaving = false;
function leave(url) {
  if (leaving) return;
  leaving = true;
  location.assign(url);
}
let signingOut = null;
export function signOut(reason) {
  if (!signingOut) {
    const url = reason === "expired" ? "/signin?expired=1" : "/signin?signed_out=1";
    signingOut = api("DELETE", "/api/v1/session")
      .catch(() => {})
      .then(() => leave(url));
  }
  return signingOut;
}
export function watchIdle(me) {
  let lastActivity = Date.now();
  const mark = () => {
    lastActivity = Date.now();
  };
  ["keydown", "mousedown", "input", "touchstart"].forEach((type) => document.addEventListener(type, mark, { passive: true }));
  let warning = document.getElementById("session-warning");
  if (!warning) {
    warning = el("div", { id: "session-warning", class: "banner warning", role: "alert", hidden: true });
    document.body.prepend(warning);
  }
  const timeout = me.idle_timeout_seconds * 1000;
  setInterval(() => {
    const now = Date.now();
    const idle = now - lastActivity;
    if (idle >= timeout) {
      signOut("expired");
      return;
    }
    if (idle >= timeout - WARN_BEFORE_MS) {
      const seconds = Math.ceil((timeout - idle) / 1000);
      warning.textContent = `You will be signed out in ${seconds} seconds because this page has been idle. Press any key to stay signed in.`;
      warning.hidden = false;
    } else {
      warning.hidden = true;
    }
    if (lastActivity > lastServerContact && now - lastServerContact > KEEPALIVE_MS) {
      api("GET", "/api/v1/session").catch(() => {});
    }
  }, 1000);
}

// What every signed-in page does first: the theme, the sign-out button, the session (its
// CSRF token, the idle warning), who is signed in, and the clock. Returns the session.
export async function start() {
  initTheme();
  const signOutButton = document.getElementById("sign-out");
  if (signOutButton) signOutButton.addEventListener("click", () => signOut("signed_out"));
  const me = await api("GET", "/api/v1/session");
  setCsrf(me.csrf_token);
  watchIdle(me);
  const who = document.getElementById("whoami");
  if (who) who.textContent = whoami(me);
  const clock = document.getElementById("clock");
  if (clock) {
    const tick = () => {
      clock.textContent = time(new Date().toISOString());
    };
    tick();
    setInterval(tick, 1000);
  }
  return me;
}
