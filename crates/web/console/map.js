// CRMap (an ES module): our own small slippy map (no third-party code). Web Mercator at whole zoom levels;
// XYZ raster tiles from a URL template ({z}/{x}/{y}), or, with none, the gazetteer's streets
// drawn as light lines from a callback; markers (units: circle and call sign; incidents:
// square and reference, coloured by grade), one circle with a radius in metres (a handset
// location), a pin placed by clicking (or Enter at the centre), and fitting the view.
//
//   const map = CRMap.create(element, { label, tiles, attribution, streets, onPick });
//   map.setMarkers([{ id, kind: "unit" | "incident", lat, lon, label, title, status }]);
//   map.setCircle({ lat, lon, radius, label }) / map.setCircle(null);
//   map.setPin({ lat, lon }) / map.setPin(null); map.onPick((lat, lon) => ...);
//   map.fit(); map.setView(lat, lon, zoom); map.zoomBy(+1);
//
// Pan by dragging (dragging the pin moves the pin) or the arrow keys; zoom with the wheel, the + and − buttons or the + and
// − keys. The element carries data-zoom, data-center and (once placed) data-pin for anyone
// who needs to read the state. Markers are also listed in words by the page that uses it.
export const CRMap = (() => {
  const TILE = 256;
  const MAX_LAT = 85.05112878;
  const SVG = "http://www.w3.org/2000/svg";
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

  // World pixels at zoom z: x east from 180°W, y south from 85°N.
  function project(lat, lon, z) {
    const scale = TILE * 2 ** z;
    const s = Math.sin((clamp(lat, -MAX_LAT, MAX_LAT) * Math.PI) / 180);
    return {
      x: ((lon + 180) / 360) * scale,
      y: (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * scale,
    };
  }

  function unproject(x, y, z) {
    const scale = TILE * 2 ** z;
    const n = Math.PI - (2 * Math.PI * y) / scale;
    return { lat: (180 / Math.PI) * Math.atan(Math.sinh(n)), lon: (x / scale) * 360 - 180 };
  }

  // Metres on the ground per screen pixel at a latitude and zoom.
  const metresPerPixel = (lat, z) => (156543.03392 * Math.cos((lat * Math.PI) / 180)) / 2 ** z;

  function svg(name, attrs = {}, text) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function html(name, attrs = {}, text) {
    const node = document.createElement(name);
    for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function create(element, options = {}) {
    const o = {
      minZoom: 3,
      maxZoom: 19,
      streetsFrom: 11, // zoom from which the gazetteer's streets are drawn
      streetNamesFrom: 16,
      center: [53.8, -1.55],
      zoom: 12,
      ...options,
    };
    const view = { lat: o.center[0], lon: o.center[1], zoom: o.zoom };
    let markers = [];
    let circle = null;
    let pin = null;
    let picked = o.onPick || null;
    // Until the user moves the map, it follows its markers (fits them as they change).
    let following = o.follow !== false;
    let streetData = { key: null, bbox: null, zoom: null, streets: [] };
    let streetTimer = null;

    element.classList.add("crmap");
    element.setAttribute("role", "region");
    element.setAttribute("aria-label", o.label || "Map");
    element.setAttribute("aria-roledescription", "map");
    element.tabIndex = 0;
    const pane = html("div", { class: "crmap-pane" });
    const tiles = html("div", { class: "crmap-tiles", "aria-hidden": "true" });
    const overlay = svg("svg", { class: "crmap-overlay", "aria-hidden": "true" });
    const gStreets = svg("g", { class: "map-streets" });
    const gCircle = svg("g", { class: "map-circle" });
    const gMarkers = svg("g", { class: "map-markers" });
    const gPin = svg("g", { class: "map-pin-layer" });
    overlay.append(gStreets, gCircle, gMarkers, gPin);
    pane.append(tiles, overlay);
    const controls = html("div", { class: "crmap-controls" });
    const button = (text, label, action) => {
      // Out of the Tab order: the focused map takes + and − itself, and a handler tabbing
      // through a call card should pass the map in one stop, not four.
      const b = html("button", { type: "button", "aria-label": label, title: label, tabindex: "-1" }, text);
      b.addEventListener("click", (e) => {
        e.stopPropagation();
        action();
      });
      controls.append(b);
      return b;
    };
    button("+", "Zoom in", () => userZoom(1));
    button("−", "Zoom out", () => userZoom(-1));
    button("⤢", "Show all markers", () => {
      following = true;
      fit();
    });
    const credit = html("div", { class: "crmap-attribution" });
    const scale = html("div", { class: "crmap-scale", "aria-hidden": "true" });
    element.replaceChildren(pane, controls, credit, scale);

    function size() {
      const r = pane.getBoundingClientRect();
      return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
    }

    // The world pixel at the top-left corner of the pane.
    function origin() {
      const { w, h } = size();
      const c = project(view.lat, view.lon, view.zoom);
      return { x: c.x - w / 2, y: c.y - h / 2 };
    }

    const toScreen = (lat, lon) => {
      const p = project(lat, lon, view.zoom);
      const top = origin();
      return { x: p.x - top.x, y: p.y - top.y };
    };

    const toLatLon = (x, y) => {
      const top = origin();
      return unproject(top.x + x, top.y + y, view.zoom);
    };

    function bounds() {
      const { w, h } = size();
      const nw = toLatLon(0, 0);
      const se = toLatLon(w, h);
      return { minLat: se.lat, minLon: nw.lon, maxLat: nw.lat, maxLon: se.lon };
    }

    // ---- Drawing ------------------------------------------------------------------------
    const tileCache = new Map();

    function drawTiles() {
      if (!o.tiles) {
        tiles.replaceChildren();
        return;
      }
      const { w, h } = size();
      const top = origin();
      const n = 2 ** view.zoom;
      const shown = [];
      for (let ty = Math.floor(top.y / TILE); ty * TILE < top.y + h; ty++) {
        if (ty < 0 || ty >= n) continue;
        for (let tx = Math.floor(top.x / TILE); tx * TILE < top.x + w; tx++) {
          const x = ((tx % n) + n) % n;
          const url = o.tiles.replace("{z}", view.zoom).replace("{x}", x).replace("{y}", ty);
          let img = tileCache.get(url);
          if (!img) {
            img = html("img", { alt: "", draggable: "false", class: "crmap-tile" });
            img.addEventListener("error", () => img.classList.add("crmap-missing"));
            img.src = url;
            tileCache.set(url, img);
            if (tileCache.size > 400) tileCache.delete(tileCache.keys().next().value);
          }
          img.style.left = `${Math.round(tx * TILE - top.x)}px`;
          img.style.top = `${Math.round(ty * TILE - top.y)}px`;
          shown.push(img);
        }
      }
      tiles.replaceChildren(...shown);
    }

    function drawStreets() {
      gStreets.replaceChildren();
      if (o.tiles || view.zoom < o.streetsFrom) return;
      const names = view.zoom >= o.streetNamesFrom;
      for (const s of streetData.streets) {
        const pts = s.points.map(([lat, lon]) => toScreen(lat, lon));
        const line = svg("polyline", { class: "map-street", points: pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ") });
        line.append(svg("title", {}, s.name));
        gStreets.append(line);
        if (!names) continue;
        const [a, b] = [pts[0], pts[pts.length - 1]];
        const length = Math.hypot(b.x - a.x, b.y - a.y);
        if (length < s.name.length * 6) continue;
        let angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
        if (angle > 90) angle -= 180;
        if (angle < -90) angle += 180;
        const mid = pts[Math.floor(pts.length / 2)];
        gStreets.append(svg("text", { class: "map-street-name", x: mid.x.toFixed(1), y: mid.y.toFixed(1), transform: `rotate(${angle.toFixed(1)} ${mid.x.toFixed(1)} ${mid.y.toFixed(1)})`, "text-anchor": "middle", dy: "-3" }, s.name));
      }
    }

    // Ask for the streets around the view when it has moved out of what was fetched.
    function wantStreets() {
      if (o.tiles || !o.streets || view.zoom < o.streetsFrom) return;
      const b = bounds();
      const had = streetData.bbox;
      const inside = had && b.minLat >= had.minLat && b.maxLat <= had.maxLat && b.minLon >= had.minLon && b.maxLon <= had.maxLon;
      if (inside && Math.abs(streetData.zoom - view.zoom) <= 1) return;
      clearTimeout(streetTimer);
      streetTimer = setTimeout(async () => {
        const span = o.streetsMaxSpan || 0.5;
        const padLat = Math.min((b.maxLat - b.minLat) / 2, (span - (b.maxLat - b.minLat)) / 2);
        const padLon = Math.min((b.maxLon - b.minLon) / 2, (span - (b.maxLon - b.minLon)) / 2);
        const box = {
          minLat: b.minLat - Math.max(0, padLat),
          minLon: b.minLon - Math.max(0, padLon),
          maxLat: b.maxLat + Math.max(0, padLat),
          maxLon: b.maxLon + Math.max(0, padLon),
        };
        if (box.maxLat - box.minLat > span || box.maxLon - box.minLon > span) return;
        const key = `${box.minLat},${box.minLon},${box.maxLat},${box.maxLon},${view.zoom}`;
        streetData.key = key;
        try {
          const answer = await o.streets(box);
          if (streetData.key !== key || !answer) return;
          streetData = { key, bbox: box, zoom: view.zoom, streets: answer.streets || [] };
          element.dataset.streets = String(streetData.streets.length);
          drawStreets();
        } catch (e) {
          // The map stays usable without its streets.
        }
      }, 120);
    }

    function drawCircle() {
      gCircle.replaceChildren();
      if (!circle) return;
      const p = toScreen(circle.lat, circle.lon);
      const r = circle.radius / metresPerPixel(circle.lat, view.zoom);
      const g = svg("g", { class: "map-accuracy" });
      g.append(svg("title", {}, circle.label || `Within ${Math.round(circle.radius)} m`));
      g.append(svg("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: Math.max(2, r).toFixed(1) }));
      g.append(svg("circle", { class: "map-accuracy-centre", cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: 3 }));
      gCircle.append(g);
    }

    function drawPin() {
      gPin.replaceChildren();
      if (!pin) return;
      const p = toScreen(pin.lat, pin.lon);
      const g = svg("g", { class: "map-pin", transform: `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})` });
      g.append(svg("title", {}, `Pin at ${pin.lat.toFixed(5)}, ${pin.lon.toFixed(5)}`));
      g.append(svg("path", { d: "M0 0 L-7 -14 A8 8 0 1 1 7 -14 Z" }));
      g.append(svg("circle", { cx: 0, cy: -18, r: 3, class: "map-pin-dot" }));
      gPin.append(g);
    }

    function drawMarkers() {
      gMarkers.replaceChildren();
      const { w, h } = size();
      for (const m of markers) {
        const p = toScreen(m.lat, m.lon);
        // Off the map: not drawn (its label would sit at the edge with no marker beside it).
        if (p.x < -20 || p.y < -20 || p.x > w + 20 || p.y > h + 20) continue;
        const g = svg("g", { class: `map-${m.kind} map-${m.status || "open"}`, "data-id": m.id ?? null });
        const shape =
          m.kind === "unit"
            ? svg("circle", { cx: p.x.toFixed(1), cy: p.y.toFixed(1), r: 6 })
            : svg("rect", { x: (p.x - 6).toFixed(1), y: (p.y - 6).toFixed(1), width: 12, height: 12 });
        const text = svg("text", { x: (p.x + 9).toFixed(1), y: (p.y + 4).toFixed(1) }, m.label);
        g.append(svg("title", {}, m.title || m.label), shape, text);
        gMarkers.append(g);
      }
      separateLabels();
    }

    // Labels never overlap one another or another marker: each label, in turn, takes the
    // first place round its point (right, left, above, below, then further out) that is clear
    // of everything placed before it and inside the map; with none, only its tooltip names it.
    function separateLabels() {
      const { w, h } = size();
      const overlaps = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      const taken = [...gMarkers.querySelectorAll("circle, rect")].map((s) => s.getBBox());
      for (const text of gMarkers.querySelectorAll("text")) {
        const box = text.getBBox();
        const [dx, dy] = [box.x - Number(text.getAttribute("x")), box.y - Number(text.getAttribute("y"))];
        const px = Number(text.getAttribute("x")) - 9;
        const py = Number(text.getAttribute("y")) - 4;
        const places = [];
        for (const step of [0, 1, 2, 3, 4]) {
          const out = 9 + step * 12;
          places.push([px + out, py + 4], [px - out - box.width, py + 4], [px - box.width / 2, py - out], [px - box.width / 2, py + out + box.height - 4]);
        }
        const fits = places.find(([x, y]) => {
          const c = { x: x + dx, y: y + dy, width: box.width, height: box.height };
          const inside = c.x >= 0 && c.y >= 0 && c.x + c.width <= w && c.y + c.height <= h;
          return inside && !taken.some((t) => overlaps(c, t));
        });
        if (!fits) {
          text.setAttribute("visibility", "hidden");
          continue;
        }
        text.setAttribute("x", fits[0].toFixed(1));
        text.setAttribute("y", fits[1].toFixed(1));
        taken.push(text.getBBox());
      }
    }

    function drawScale() {
      // A bar of a round distance about 80 pixels long.
      const mpp = metresPerPixel(view.lat, view.zoom);
      const target = mpp * 80;
      const round = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000].find((d) => d >= target) || 100000;
      scale.style.width = `${Math.round(round / mpp)}px`;
      scale.textContent = round >= 1000 ? `${round / 1000} km` : `${round} m`;
    }

    function render() {
      const { w, h } = size();
      overlay.setAttribute("viewBox", `0 0 ${w} ${h}`);
      overlay.setAttribute("width", w);
      overlay.setAttribute("height", h);
      drawTiles();
      drawStreets();
      drawCircle();
      drawMarkers();
      drawPin();
      drawScale();
      element.dataset.zoom = String(view.zoom);
      element.dataset.center = `${view.lat.toFixed(5)},${view.lon.toFixed(5)}`;
      wantStreets();
    }

    // ---- Moving -------------------------------------------------------------------------
    function setView(lat, lon, zoom = view.zoom) {
      view.zoom = clamp(Math.round(zoom), o.minZoom, o.maxZoom);
      view.lat = clamp(lat, -MAX_LAT, MAX_LAT);
      view.lon = ((((lon + 180) % 360) + 360) % 360) - 180;
      render();
    }

    function panBy(dx, dy) {
      const c = project(view.lat, view.lon, view.zoom);
      const to = unproject(c.x + dx, c.y + dy, view.zoom);
      setView(to.lat, to.lon);
    }

    // Zoom by whole steps, keeping the point under (x, y) where it is (the centre by default).
    function zoomBy(steps, x, y) {
      const { w, h } = size();
      const [ax, ay] = [x ?? w / 2, y ?? h / 2];
      const anchor = toLatLon(ax, ay);
      const zoom = clamp(view.zoom + steps, o.minZoom, o.maxZoom);
      if (zoom === view.zoom) return;
      const p = project(anchor.lat, anchor.lon, zoom);
      const c = unproject(p.x - ax + w / 2, p.y - ay + h / 2, zoom);
      setView(c.lat, c.lon, zoom);
    }

    function userZoom(steps, x, y) {
      following = false;
      zoomBy(steps, x, y);
    }

    function fit(points) {
      const all =
        points ||
        [...markers, ...(circle ? [circle] : []), ...(pin ? [pin] : [])].filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon));
      if (!all.length) return;
      const { w, h } = size();
      const pad = 40;
      let zoom = Math.min(o.maxZoom, 17);
      const lats = all.map((p) => p.lat);
      const lons = all.map((p) => p.lon);
      const [minLat, maxLat, minLon, maxLon] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
      for (; zoom > o.minZoom; zoom--) {
        const a = project(maxLat, minLon, zoom);
        const b = project(minLat, maxLon, zoom);
        if (b.x - a.x <= w - 2 * pad && b.y - a.y <= h - 2 * pad) break;
      }
      const a = project(maxLat, minLon, zoom);
      const b = project(minLat, maxLon, zoom);
      const c = unproject((a.x + b.x) / 2, (a.y + b.y) / 2, zoom);
      setView(c.lat, c.lon, zoom);
    }

    function place(lat, lon) {
      pin = { lat, lon };
      element.dataset.pin = `${lat.toFixed(6)},${lon.toFixed(6)}`;
      drawPin();
      if (picked) picked(lat, lon);
    }

    // Drag to pan; a press that barely moves is a click, which places the pin. Pressing on the
    // pin itself drags the pin (the back garden, the far end of a long drive), not the map.
    let drag = null;
    const pointerAt = (e) => {
      const r = pane.getBoundingClientRect();
      return toLatLon(e.clientX - r.left, e.clientY - r.top);
    };
    pane.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const onPin = Boolean(picked && pin && e.target.closest && e.target.closest(".map-pin"));
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: 0, pin: onPin };
      pane.setPointerCapture(e.pointerId);
    });
    pane.addEventListener("pointermove", (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const [dx, dy] = [e.clientX - drag.x, e.clientY - drag.y];
      drag.moved += Math.abs(dx) + Math.abs(dy);
      if (drag.moved < 4) return;
      drag.x = e.clientX;
      drag.y = e.clientY;
      if (drag.pin) {
        const at = pointerAt(e);
        pin = { lat: at.lat, lon: at.lon };
        drawPin();
        return;
      }
      following = false;
      pane.classList.add("crmap-dragging");
      panBy(-dx, -dy);
    });
    const release = (e) => {
      if (!drag || e.pointerId !== drag.id) return;
      const click = drag.moved < 4 && e.type === "pointerup";
      const pinDropped = drag.pin && !click && e.type === "pointerup";
      drag = null;
      pane.classList.remove("crmap-dragging");
      if ((click || pinDropped) && picked) {
        const at = pointerAt(e);
        place(at.lat, at.lon);
      }
    };
    pane.addEventListener("pointerup", release);
    pane.addEventListener("pointercancel", release);
    pane.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const r = pane.getBoundingClientRect();
        userZoom(e.deltaY < 0 ? 1 : -1, e.clientX - r.left, e.clientY - r.top);
      },
      { passive: false },
    );
    element.addEventListener("keydown", (e) => {
      if (e.target !== element || e.altKey || e.ctrlKey || e.metaKey) return;
      const step = 80;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[e.key]) {
        following = false;
        panBy(...moves[e.key]);
      } else if (["+", "="].includes(e.key)) userZoom(1);
      else if (["-", "_"].includes(e.key)) userZoom(-1);
      else if (e.key === "0") {
        following = true;
        fit();
      } else if (e.key === "Enter" && picked) place(view.lat, view.lon);
      else return;
      e.preventDefault();
    });

    if (typeof ResizeObserver === "function") new ResizeObserver(() => render()).observe(pane);

    function setAttribution(text) {
      credit.textContent = text || "";
      credit.hidden = !text;
    }
    setAttribution(o.attribution || (o.tiles ? "" : "Streets from the gazetteer"));
    render();

    return {
      setMarkers(list) {
        markers = (list || []).filter((m) => Number.isFinite(m.lat) && Number.isFinite(m.lon));
        if (following && markers.length) fit();
        else drawMarkers();
      },
      setCircle(c) {
        circle = c && Number.isFinite(c.lat) && Number.isFinite(c.lon) && c.radius > 0 ? { ...c } : null;
        drawCircle();
      },
      setPin(p) {
        pin = p ? { lat: p.lat, lon: p.lon } : null;
        if (pin) element.dataset.pin = `${pin.lat.toFixed(6)},${pin.lon.toFixed(6)}`;
        else delete element.dataset.pin;
        drawPin();
      },
      onPick(callback) {
        picked = callback;
      },
      setTiles(template, attribution) {
        o.tiles = template || null;
        setAttribution(attribution || (o.tiles ? "" : "Streets from the gazetteer"));
        render();
      },
      fit,
      setView,
      zoomBy: userZoom,
      panBy,
      view: () => ({ ...view, bounds: bounds() }),
      redraw: render,
    };
  }

  return { create, project, unproject, metresPerPixel };
})();
