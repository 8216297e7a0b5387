// A person, vehicle or location page: details, warning markers (expired ones shown as such),
// links and history. Opening it is recorded in the audit trail by the server.
"use strict";

(async () => {
  const { api, el, say } = CR;
  CR.initTheme();
  const [, , , kind, id] = location.pathname.split("/");
  const status = document.getElementById("status");
  try {
    const me = await api("GET", "/api/v1/session");
    CR.watchIdle(me);
    document.getElementById("whoami").textContent = CR.whoami(me);
    const record = await api("GET", `/api/v1/records/${kind}/${id}`);
    document.getElementById("record-title").textContent = `${say(record.kind)}: ${record.label}`;
    document.title = `${record.label} · Control Room`;
    const details = document.getElementById("details");
    for (const [key, value] of Object.entries(record.details || {})) {
      if (value === null || (Array.isArray(value) && !value.length)) continue;
      details.append(el("dt", {}, say(key)), el("dd", {}, Array.isArray(value) ? value.join("; ") : String(value)));
    }
    if (record.merged_into) details.append(el("dt", {}, "Merged into"), el("dd", {}, el("a", { href: `/console/records/person/${record.merged_into}` }, record.merged_into)));
    if (record.merged.length) details.append(el("dt", {}, "Also known as records"), el("dd", {}, record.merged.join(", ")));
    const markers = record.markers.map((m) =>
      el("li", { class: m.expired ? "marker expired" : "marker" }, el("strong", {}, `${m.expired ? "Expired: " : "⚠ "}${say(m.kind).toUpperCase()}`), ` ${m.reason} (source ${m.source}, added by ${m.added_by}, review by ${m.review_by})`),
    );
    document.getElementById("markers").replaceChildren(...(markers.length ? markers : [el("li", { class: "muted" }, "No warning markers.")]));
    const line = (h) => el("li", {}, el("span", { class: "meta" }, h.at ? CR.dateTime(h.at) : ""), h.role ? `${h.role}: ` : "", h.label || h.to || h.id, h.reasons && h.reasons.length ? el("span", { class: "muted" }, ` — ${h.reasons.join("; ")}`) : null);
    document.getElementById("history").replaceChildren(...(record.history.length ? record.history.map(line) : [el("li", { class: "muted" }, "No incidents.")]));
    document.getElementById("links").replaceChildren(...(record.links.length ? record.links.map(line) : [el("li", { class: "muted" }, "No links.")]));
  } catch (e) {
    status.textContent = e.message;
    status.hidden = false;
  }
})();
