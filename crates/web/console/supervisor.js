"use strict";

(async () => {
  const { api, el, say } = CR;
  CR.initTheme();
  const me = await api("GET", "/api/v1/session");
  CR.setCsrf(me.csrf_token);
  document.getElementById("whoami").textContent = `${me.username} · ${say(me.role)}`;

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
})();
