// Dispatch end to end: a dispatcher sees a new emergency appear on the board, sends the
// recommended unit, the unit goes to at scene, and the contact handler's console shows it
// live; a scheduled call is booked into the diary from the call card.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, assertNoPlaceholders, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("a dispatcher sends the recommended unit and the handler sees it arrive", async () => {
  const dispatcher = await signIn(run.browser, run.server.base, "dispatcher");
  const d = dispatcher.page;
  // The shift's units, with positions from the vehicle location feed; today's diary slots.
  const today = new Date().toISOString().slice(0, 10);
  await d.evaluate(async (today) => {
    const units = [
      ["AL11", "response", [], 53.7985, -1.5460],
      ["AL12", "response", ["taser"], 53.8300, -1.5000],
      ["DOG1", "dog", ["dog_handler"], 53.8600, -1.6200],
    ];
    for (const [call_sign, unit_type, skills, lat, lon] of units) {
      const u = await (await import("/assets/common.js")).api("POST", "/api/v1/units", { call_sign, unit_type, skills, station: "Elland Road" });
      await (await import("/assets/common.js")).api("POST", `/api/v1/units/${u.id}/position`, { lat, lon });
    }
    await (await import("/assets/common.js")).api("POST", "/api/v1/diary/slots", { area: "LS8", date: today, times: ["23:00"], capacity: 2 });
  }, today);
  await d.goto("/console/board");
  await d.locator("#live-state.on").waitFor();
  await d.locator("#units tr", { hasText: "AL11" }).waitFor();

  // The handler takes a 999 call with a position.
  const handler = await signIn(run.browser, run.server.base, "handler");
  const h = handler.page;
  await h.keyboard.press("Alt+KeyN");
  await h.getByLabel("Incident type").first().fill("CRIME_VIOLENCE");
  await h.getByLabel("Name", { exact: true }).fill("Ravi Shah");
  // Placed from the gazetteer: the handler picks the named place as she types.
  await h.getByRole("combobox", { name: /Where/ }).pressSequentially("kirkgate mark", { delay: 20 });
  await h.getByRole("option", { name: /Kirkgate Market/ }).first().click();
  await h.locator("#location-precision", { hasText: "named place" }).waitFor();
  await h.getByLabel("What is happening").fill("Two men fighting, one on the ground");
  await h.keyboard.press("Control+Enter");
  const title = h.locator("#incident-title");
  await title.waitFor();
  const reference = (await title.textContent()).replace("Incident ", "").trim();
  await h.keyboard.press("Alt+KeyG");
  await h.locator("#grade").selectOption("emergency");
  await h.getByLabel("Rationale").fill("Ongoing violence, injury");
  await h.keyboard.press("Control+Enter");
  await h.locator("#incident-badges .grade-emergency").waitFor();

  // The board shows it without a reload; the dispatcher sends the recommended unit.
  const waiting = d.locator("#awaiting li", { hasText: reference });
  await waiting.waitFor({ timeout: 2000 });
  // ...and on the map, where the caller placed it, beside the units.
  await d.locator("#map .map-incident", { hasText: reference.slice(4) }).waitFor({ timeout: 2000 });
  await waiting.getByRole("button", { name: "Recommend units" }).click();
  const send = waiting.getByRole("button", { name: /^Send / }).first();
  await send.waitFor();
  assert.equal(await send.textContent(), "Send AL11", "the nearest available unit first");
  // The map's labels never sit on top of one another.
  const clashes = await d.evaluate(() => {
    const boxes = [...document.querySelectorAll("#map .map-markers text")]
      .filter((t) => t.getAttribute("visibility") !== "hidden")
      .map((t) => [t.textContent, t.getBBox()]);
    const out = [];
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i][1], boxes[j][1]];
        if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) out.push(`${boxes[i][0]} / ${boxes[j][0]}`);
      }
    return { shown: boxes.length, out };
  });
  assert.ok(clashes.shown >= 3, `labels are drawn (${clashes.shown})`);
  assert.deepEqual(clashes.out, [], "no two map labels overlap");
  await assertNoPlaceholders(d, "the dispatch board");
  await d.screenshot({ path: `${SCREENSHOTS}dispatch-board.png` });
  await send.click();
  const row = d.locator("#units tr", { hasText: "AL11" });
  await row.locator(".unit-status", { hasText: "Assigned" }).waitFor();
  await row.getByRole("button", { name: "En route" }).click();
  await row.locator(".unit-status", { hasText: "En route" }).waitFor();
  await row.getByRole("button", { name: "At scene" }).click();
  await row.locator(".unit-status", { hasText: "At scene" }).waitFor();

  // The handler's console shows the arrival live.
  await h.locator("#incident-badges .status-at_scene").waitFor({ timeout: 2000 });
  assert.match(await h.locator("#incident-log").textContent(), /AL11 at scene/);

  // A scheduled call is booked into the diary from the call card.
  await h.keyboard.press("Alt+KeyN");
  await h.getByLabel("Incident type").first().fill("CRIME_BURGLARY_RESIDENTIAL");
  await h.getByLabel("Name", { exact: true }).fill("Brenda Hollis");
  await h.getByLabel("Where").fill("14 Roundhay Road, Leeds LS8");
  await h.getByLabel("What is happening").fill("Garden shed broken into last week, wants an officer to call");
  await h.keyboard.press("Control+Enter");
  await h.locator("#incident-title", { hasText: "Incident" }).waitFor();
  // The questions for a burglary first: no to each, then the grade it recommends.
  await h.keyboard.press("Alt+KeyW");
  const questions = await h.locator("#question-list .question").count();
  for (let n = 0; n < questions; n++) await h.keyboard.press("n");
  await h.keyboard.press("Control+Enter");
  await h.locator("#status", { hasText: "Answers saved" }).waitFor();
  assert.match(await h.locator("#recommendation").textContent(), /Recommended: Scheduled/);
  await h.keyboard.press("Alt+KeyG");
  await h.locator("#grade").selectOption("scheduled");
  await h.getByLabel("Rationale").fill("No risk; caller available this evening");
  await h.keyboard.press("Control+Enter");
  await h.locator("#status", { hasText: "graded scheduled" }).waitFor();
  await h.keyboard.press("Alt+KeyA");
  await h.getByLabel("Area").fill("LS8");
  await h.getByRole("button", { name: "Find the next free slot" }).click();
  await h.locator("#status", { hasText: "Next free slot" }).waitFor();
  assert.equal(await h.getByLabel("Time", { exact: true }).inputValue(), "23:00");
  await h.keyboard.press("Control+Enter");
  await h.locator("#status", { hasText: "Appointment booked" }).waitFor();
  assert.match(await h.locator("#incident-log").textContent(), /Appointment booked: LS8/);

  await dispatcher.context.close();
  await handler.context.close();
});

test("an incident with no position still gets units, with the time to attend unknown, and one is sent", async () => {
  const dispatcher = await signIn(run.browser, run.server.base, "dispatcher");
  const d = dispatcher.page;
  await d.evaluate(async () => {
    const u = await (await import("/assets/common.js")).api("POST", "/api/v1/units", { call_sign: "BX7", unit_type: "response", skills: ["taser"], station: "Elland Road" });
    await (await import("/assets/common.js")).api("POST", `/api/v1/units/${u.id}/position`, { lat: 53.81, lon: -1.55 });
  });
  await d.goto("/console/board");
  await d.locator("#live-state.on").waitFor();
  await d.locator("#units tr", { hasText: "BX7" }).waitFor();

  // The caller cannot say where they are: no position on the call.
  const handler = await signIn(run.browser, run.server.base, "handler");
  const reference = await handler.page.evaluate(async () => {
    const taken = await (await import("/assets/common.js")).api("POST", "/api/v1/contacts", {
      channel: "999",
      caller: { name: "Unknown caller", is_victim: false },
      location: { text: "Towpath somewhere near a canal lock, caller unsure" },
      incident_type: "CRIME_VIOLENCE",
      summary: "Man with a knife on the towpath",
    });
    return taken.incident.reference;
  });

  const waiting = d.locator("#awaiting li", { hasText: reference });
  await waiting.waitFor({ timeout: 2000 });
  await waiting.getByRole("button", { name: "Recommend units" }).click();
  const note = waiting.locator(".unranked");
  await note.waitFor();
  assert.match(await note.textContent(), /no position for this incident yet: units are listed by call sign, not by distance; send the one you choose/);
  const offered = waiting.locator(".candidates li", { hasText: "BX7" });
  assert.match(await offered.textContent(), /ETA unknown, suitable/);
  assert.doesNotMatch(await waiting.textContent(), /NaN/);
  await offered.getByRole("button", { name: "Send BX7" }).click();
  await d.locator("#units tr", { hasText: "BX7" }).locator(".unit-status", { hasText: "Assigned" }).waitFor();
  await waiting.waitFor({ state: "detached", timeout: 2000 });

  await dispatcher.context.close();
  await handler.context.close();
});
