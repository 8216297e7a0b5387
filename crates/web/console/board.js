// The dispatcher's board: incidents waiting for a unit (by grade, then age), units by status,
// and both drawn on a plain SVG map of the force area (no map tiles). Incidents and unit changes
// arrive over the live feed.
"use strict";

(async () => {
  const { api, el, say } = CR;
  const $ = (id) => document.getElementById(id);
  CR.initTheme();
  const state = { incidents: new Map(), units: [], open: null };
  const rank = { emergency: 0, priority: 1, scheduled: 2 };

  function announce(message) {
    $("status").textContent = message;
    $("status").hidden = false;
  }

  const awaiting = () =>
    [...state.incidents.values()]
      .filter((i) => ["open", "graded"].includes(i.status) && (!i.grade || rank[i.grade] !== undefined))
      .sort((a, b) => (rank[a.grade] ?? 3) - (rank[b.grade] ?? 3) || a.opened_at.localeCompare(b.opened_at));

  async function recommend(incident, item) {
    try {
      const ranked = await api("GET", `/api/v1/incidents/${incident.id}/recommendations`);
      const list = el(
        "ul",
        { class: "candidates" },
        ...ranked.slice(0, 5).map((c) =>
          el(
            "li",
            {},
            el("button", { type: "button", class: "primary", onclick: () => send(incident, c) }, `Send ${c.call_sign}`),
            ` ${Math.ceil(c.eta_seconds / 60)} min, ${c.suitable ? "suitable" : "not suitable"} — ${c.reasons.join("; ")}`,
          ),
        ),
      );
      item.querySelector(".candidates")?.remove();
      item.append(ranked.length ? list : el("p", { class: "candidates muted" }, "No available unit with a position."));
      const first = list.querySelector("button");
      if (first) first.focus();
    } catch (e) {
      announce(e.message);
    }
  }

  async function send(incident, candidate) {
    try {
      await api("POST", `/api/v1/incidents/${incident.id}/assign`, { unit: candidate.unit });
      announce(`${candidate.call_sign} sent to ${incident.reference}.`);
      await loadUnits();
    } catch (e) {
      announce(e.message);
    }
  }

  async function setStatus(unit, status) {
    try {
      await api("POST", `/api/v1/units/${unit.id}/status`, { status });
      announce(`${unit.call_sign} ${say(status).toLowerCase()}.`);
      await loadUnits();
    } catch (e) {
      announce(e.message);
    }
  }

  function renderAwaiting() {
    const now = Date.now();
    const items = awaiting().map((i) => {
      const item = el(
        "li",
        { class: i.grade === "emergency" ? "emergency" : null, "data-id": i.id },
        el("strong", {}, i.reference),
        " ",
        i.grade ? el("span", { class: `badge grade-${i.grade}` }, i.grade === "emergency" ? "⚠ Emergency" : say(i.grade)) : el("span", { class: "badge" }, "Not graded"),
        ` ${CR.age(i.opened_at, now)} · ${i.incident_type || ""} · ${i.location} `,
        el("button", { type: "button", onclick: (e) => recommend(i, e.target.closest("li")) }, "Recommend units"),
      );
      return item;
    });
    $("awaiting").replaceChildren(...items);
    $("awaiting-empty").hidden = items.length > 0;
    drawMap();
  }

  const next = { assigned: "en_route", en_route: "at_scene", at_scene: "available" };

  function renderUnits() {
    $("units").replaceChildren(
      ...state.units.map((u) =>
        el(
          "tr",
          { "data-unit": u.call_sign },
          el("th", { scope: "row" }, u.call_sign),
          el("td", {}, say(u.unit_type)),
          el("td", { class: "unit-status" }, el("span", { class: `badge unit-${u.status}` }, say(u.status))),
          el("td", {}, next[u.status] ? el("button", { type: "button", onclick: () => setStatus(u, next[u.status]) }, say(next[u.status])) : ""),
        ),
      ),
    );
    drawMap();
  }

  // Fit every point into the SVG with a margin; north is up.
  function drawMap() {
    const svg = $("map");
    const ns = "http://www.w3.org/2000/svg";
    const points = [
      ...state.units.filter((u) => u.lat !== null).map((u) => ({ lat: u.lat, lon: u.lon, label: u.call_sign, kind: "unit", status: u.status })),
      ...awaiting().filter((i) => i.lat !== undefined && i.lat !== null).map((i) => ({ lat: i.lat, lon: i.lon, label: i.reference.slice(4), kind: "incident", status: i.grade || "open" })),
    ];
    [...svg.querySelectorAll("g")].forEach((g) => g.remove());
    if (!points.length) return;
    const lats = points.map((p) => p.lat);
    const lons = points.map((p) => p.lon);
    const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const x = (lon) => 30 + ((lon - minLon) / (maxLon - minLon || 1)) * 540;
    const y = (lat) => 370 - ((lat - minLat) / (maxLat - minLat || 1)) * 340;
    const layer = document.createElementNS(ns, "g");
    for (const p of points) {
      const g = document.createElementNS(ns, "g");
      g.setAttribute("class", `map-${p.kind} map-${p.status}`);
      const shape = document.createElementNS(ns, p.kind === "unit" ? "circle" : "rect");
      if (p.kind === "unit") {
        shape.setAttribute("cx", x(p.lon));
        shape.setAttribute("cy", y(p.lat));
        shape.setAttribute("r", 6);
      } else {
        shape.setAttribute("x", x(p.lon) - 6);
        shape.setAttribute("y", y(p.lat) - 6);
        shape.setAttribute("width", 12);
        shape.setAttribute("height", 12);
      }
      const text = document.createElementNS(ns, "text");
      text.setAttribute("x", x(p.lon) + 9);
      text.setAttribute("y", y(p.lat) + 4);
      text.textContent = p.kind === "unit" ? `${p.label} (${say(p.status)})` : p.label;
      const title = document.createElementNS(ns, "title");
      title.textContent = text.textContent;
      g.append(title, shape, text);
      layer.append(g);
    }
    svg.append(layer);
  }

  async function loadIncidents() {
    const list = await api("GET", "/api/v1/incidents?status=open,graded&limit=500");
    state.incidents.clear();
    for (const i of list.incidents) state.incidents.set(i.id, i);
    renderAwaiting();
  }

  async function loadUnits() {
    state.units = await api("GET", "/api/v1/units");
    renderUnits();
  }

  // The resource allocation desk's view of a day: each slot, its bookings and free places.
  async function showDiary() {
    const f = $("diary-form").elements;
    if (!f.date.value) f.date.value = new Date().toISOString().slice(0, 10);
    try {
      const slots = await api("GET", `/api/v1/diary?area=${encodeURIComponent(f.area.value)}&date=${encodeURIComponent(f.date.value)}`);
      $("diary").replaceChildren(
        ...(slots.length
          ? slots.map((s) =>
              el(
                "li",
                { class: s.free ? null : "full" },
                el("strong", {}, s.time),
                ` ${s.free} of ${s.capacity} free`,
                s.bookings.length ? ` · booked: ${s.bookings.map((b) => b.reference).join(", ")}` : "",
                s.missed.length ? ` · missed: ${s.missed.map((b) => b.reference).join(", ")}` : "",
              ),
            )
          : [el("li", { class: "muted" }, "No slots open for this area and day.")]),
      );
    } catch (e) {
      announce(e.message);
    }
  }
  $("diary-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showDiary();
  });

  try {
    const me = await api("GET", "/api/v1/session");
    CR.setCsrf(me.csrf_token);
    $("whoami").textContent = `${me.username} · ${say(me.role)}`;
    await Promise.all([loadIncidents(), loadUnits(), showDiary()]);
    const reload = () => Promise.all([loadIncidents(), loadUnits()]).catch(() => {});
    CR.live(
      $("live-state"),
      {
        incident: (row) => {
          state.incidents.set(row.id, row);
          renderAwaiting();
        },
        unit: (unit) => {
          const i = state.units.findIndex((u) => u.id === unit.id);
          if (i >= 0) state.units[i] = unit;
          else state.units.push(unit);
          state.units.sort((a, b) => a.call_sign.localeCompare(b.call_sign));
          renderUnits();
        },
        resync: reload,
      },
      reload,
    );
    setInterval(() => {
      $("clock").textContent = CR.time(new Date().toISOString());
    }, 1000);
  } catch (e) {
    announce(e.message);
  }
})();
