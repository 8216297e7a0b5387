// The board's map (map.js, our own code): with no tiles configured, the demo gazetteer's
// streets are drawn as lines, units and incidents awaiting a unit are markers on them, the +
// button zooms in, the keyboard pans and zooms, and a click places a pin.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("the board's map shows streets and markers, zooms, pans and takes a pin", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "dispatcher");
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto("/console/board");
  await page.locator("#live-state.on").waitFor();
  const map = page.getByRole("region", { name: /Map of the force area/ });
  await map.waitFor();
  assert.equal(await map.getAttribute("id"), "map");

  // The demo's units and the incidents waiting for one, as markers.
  await map.locator(".map-unit").first().waitFor();
  await map.locator(".map-incident").first().waitFor();
  const units = await map.locator(".map-unit").count();
  assert.ok(units >= 3, `units on the map (${units})`);

  // Zoom in with the + button until the streets are drawn (the view follows the markers
  // until the dispatcher moves it).
  const zoomOf = async () => Number(await map.getAttribute("data-zoom"));
  const before = await zoomOf();
  await map.getByRole("button", { name: "Zoom in" }).click();
  await page.waitForFunction((z) => Number(document.getElementById("map").dataset.zoom) === z + 1, before);
  while ((await zoomOf()) < 14) await map.getByRole("button", { name: "Zoom in" }).click();
  await map.locator(".map-street").first().waitFor({ state: "attached", timeout: 5000 });
  const streets = await map.locator(".map-street").count();
  assert.ok(streets >= 5, `street lines drawn (${streets})`);
  // The lines are real lines: each has at least two points, inside the map's pixels.
  const line = await map.locator(".map-street").first().getAttribute("points");
  assert.ok(line.trim().split(/\s+/).length >= 2, `a street is a line: ${line}`);
  assert.match(await map.locator(".crmap-attribution").textContent(), /gazetteer/);
  // The wheel zooms about the pointer: over a street, three steps in, its name is shown.
  const wasZoom = await zoomOf();
  const street = await page.evaluate(() => {
    const pane = document.querySelector("#map .crmap-pane").getBoundingClientRect();
    const lines = [...document.querySelectorAll("#map .map-street")].map((l) => {
      const pts = l.getAttribute("points").trim().split(/\s+/).map((p) => p.split(",").map(Number));
      const mid = pts[Math.floor(pts.length / 2)];
      return { name: l.querySelector("title").textContent, x: pane.left + mid[0], y: pane.top + mid[1] };
    });
    return lines.find((l) => l.x > pane.left + 60 && l.x < pane.right - 60 && l.y > pane.top + 60 && l.y < pane.bottom - 60);
  });
  assert.ok(street, "a street well inside the map");
  await page.mouse.move(street.x, street.y);
  for (let step = 1; step <= 3; step++) {
    await page.mouse.wheel(0, -100);
    await page.waitForFunction((z) => Number(document.getElementById("map").dataset.zoom) === z, wasZoom + step);
  }
  await map.locator(".map-street-name", { hasText: street.name }).first().waitFor({ state: "attached", timeout: 5000 });
  await page.mouse.move(street.x, street.y);
  for (let step = 1; step <= 3; step++) await page.mouse.wheel(0, 100);
  await page.waitForFunction((z) => Number(document.getElementById("map").dataset.zoom) === z, wasZoom);

  // The keyboard: arrows pan, − zooms out.
  await map.focus();
  const centre = await map.getAttribute("data-center");
  await page.keyboard.press("ArrowRight");
  assert.notEqual(await map.getAttribute("data-center"), centre, "ArrowRight pans");
  const zoomed = await zoomOf();
  await page.keyboard.press("-");
  assert.equal(await zoomOf(), zoomed - 1, "- zooms out");
  await page.keyboard.press("+");
  assert.equal(await zoomOf(), zoomed, "+ zooms in");

  // A drag pans the map, and is not a click.
  const box = await map.boundingBox();
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  const dragged = await map.getAttribute("data-center");
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 60, cy + 30, { steps: 5 });
  await page.mouse.up();
  assert.notEqual(await map.getAttribute("data-center"), dragged, "dragging pans");
  assert.equal(await map.getAttribute("data-pin"), null, "a drag places no pin");

  // A click places the pin where it was clicked: the centre is the centre's position.
  const at = (await map.getAttribute("data-center")).split(",").map(Number);
  await page.mouse.click(cx, cy);
  await map.locator(".map-pin").waitFor();
  const pin = (await map.getAttribute("data-pin")).split(",").map(Number);
  assert.ok(Math.abs(pin[0] - at[0]) < 0.001 && Math.abs(pin[1] - at[1]) < 0.001, `pin ${pin} at the centre ${at}`);
  await page.locator("#map-pin", { hasText: "Pin placed at" }).waitFor();

  await page.screenshot({ path: `${SCREENSHOTS}board-map.png` });
  assert.deepEqual(errors, [], "no script errors");

  // The module's own API, as the call card will use it: a handset location's circle is its
  // radius in metres at the map's scale, and tiles are asked for by z/x/y from a template.
  const api = await page.evaluate(async () => {
    const { CRMap } = await import("/assets/map.js");
    const box = document.createElement("div");
    box.style.cssText = "width: 512px; height: 512px";
    document.body.append(box);
    const m = CRMap.create(box, { label: "Test map", follow: false, tiles: "/tiles/{z}/{x}/{y}.png", center: [53.8, -1.55], zoom: 16 });
    m.setCircle({ lat: 53.8, lon: -1.55, radius: 100 });
    const r = Number(box.querySelector(".map-accuracy circle").getAttribute("r"));
    const tiles = [...box.querySelectorAll(".crmap-tile")].map((img) => new URL(img.src).pathname);
    m.setMarkers([
      { kind: "unit", lat: 53.80, lon: -1.56, label: "AL1" },
      { kind: "incident", lat: 53.81, lon: -1.54, label: "0001", status: "emergency" },
    ]);
    m.fit();
    const fitted = { zoom: Number(box.dataset.zoom), markers: box.querySelectorAll(".map-markers g").length, emergency: box.querySelectorAll(".map-incident.map-emergency rect").length };
    const inside = [...box.querySelectorAll(".map-markers circle, .map-markers rect")].every((s) => {
      const b = s.getBBox();
      return b.x >= 0 && b.y >= 0 && b.x + b.width <= 512 && b.y + b.height <= 512;
    });
    box.remove();
    return { r, tiles, fitted, inside, expected: 100 / CRMap.metresPerPixel(53.8, 16) };
  });
  assert.ok(Math.abs(api.r - api.expected) < 0.5 && api.r > 60 && api.r < 80, `100 m at zoom 16 is about 71 px: ${api.r}`);
  assert.ok(api.tiles.length >= 4 && api.tiles.every((t) => /^\/tiles\/16\/\d+\/\d+\.png$/.test(t)), api.tiles.join(" "));
  assert.ok(api.tiles.includes("/tiles/16/32485/21104.png"), `the tile under 53.8, -1.55: ${api.tiles.join(" ")}`);
  assert.deepEqual(api.fitted.markers, 2);
  assert.equal(api.fitted.emergency, 1, "an emergency is drawn as one");
  assert.ok(api.inside && api.fitted.zoom >= 13, `fitted: ${JSON.stringify(api.fitted)}`);
  await context.close();
});
