// Locations end to end (issue 11): a 999 call placed by typing part of an address and picking
// the suggestion (no coordinate typed), graded emergency and sent the recommended unit; a
// second call typed with a different spelling of the same address, its pin dragged to the back
// of the house, is offered as a possible duplicate (by UPRN); a call with only a handset location is placed, shows its circle and the
// addresses inside it, and is dispatched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

async function grade(h, rationale) {
  await h.keyboard.press("Alt+KeyG");
  await h.locator("#grade").selectOption("emergency");
  await h.getByLabel("Rationale").fill(rationale);
  await h.keyboard.press("Control+Enter");
  await h.locator("#incident-badges .grade-emergency").waitFor();
}

// The reference of the incident the handler's page shows; after a new call, pass the one
// shown before, so the page is read only once the new incident has replaced it.
async function reference(h, previous) {
  const title = h.locator("#incident-title", { hasText: "Incident" });
  await title.waitFor();
  if (previous) {
    await h.waitForFunction((before) => {
      const text = document.querySelector("#incident-title")?.textContent ?? "";
      return text.startsWith("Incident ") && !text.includes(before);
    }, previous);
  }
  return (await title.textContent()).replace("Incident ", "").trim();
}

async function sendRecommended(d, ref) {
  const waiting = d.locator("#awaiting li", { hasText: ref });
  await waiting.waitFor({ timeout: 3000 });
  await waiting.getByRole("button", { name: "Recommend units" }).click();
  const send = waiting.getByRole("button", { name: /^Send / }).first();
  await send.waitFor();
  const label = await send.textContent();
  await send.click();
  return label;
}

test("calls are placed from the gazetteer and a handset location, never a typed coordinate", async () => {
  const dispatcher = await signIn(run.browser, run.server.base, "dispatcher");
  const d = dispatcher.page;
  await d.evaluate(async () => {
    const units = [
      ["AL21", 53.8190, -1.5030], // a street away from 14 Harehills Lane
      ["AL22", 53.8370, -1.4990], // beside Roundhay Park
      ["AL23", 53.7800, -1.6000], // across the city
    ];
    for (const [call_sign, lat, lon] of units) {
      const u = await (await import("/assets/common.js")).api("POST", "/api/v1/units", { call_sign, unit_type: "response", skills: [], station: "Killingbeck" });
      await (await import("/assets/common.js")).api("POST", `/api/v1/units/${u.id}/position`, { lat, lon });
    }
  });
  await d.goto("/console/board");
  await d.locator("#live-state.on").waitFor();
  await d.locator("#units tr", { hasText: "AL21" }).waitFor();

  // 1. A partial address, typed; the suggestion picked from the keyboard.
  const handler = await signIn(run.browser, run.server.base, "handler");
  const h = handler.page;
  await h.keyboard.press("Alt+KeyN");
  await h.getByLabel("Incident type").first().fill("DOMESTIC_INCIDENT");
  await h.getByLabel("Name", { exact: true }).fill("Amira Khan");
  const where = h.getByRole("combobox", { name: /Where/ });
  await where.pressSequentially("14 harehills la", { delay: 20 });
  await h.locator('#location-suggestions[data-query="14 harehills la"]').waitFor();
  const options = await h.locator("#location-suggestions").getByRole("option").allTextContents();
  const at = options.findIndex((t) => t.startsWith("14 Harehills Lane, Harehills"));
  assert.ok(at >= 0 && at < 3, `the address is among the first suggestions: ${options.join(" | ")}`);
  assert.match(options[at], /exact address/, "the suggestion says its precision");
  for (let n = 0; n <= at; n++) await where.press("ArrowDown");
  await where.press("Enter");
  const precision = h.locator("#location-precision");
  await precision.filter({ hasText: "exact address" }).waitFor();
  assert.match(await precision.textContent(), /UPRN \d+/);
  assert.match(await where.inputValue(), /^14 Harehills Lane, Harehills, Leeds LS8/);
  assert.ok(await h.locator("#call-map").getAttribute("data-pin"), "the map shows the pin");
  await h.getByLabel("What is happening").fill("He is hitting her, she is screaming, children in the house");
  await h.screenshot({ path: `${SCREENSHOTS}call-card-address-search.png` });
  await h.keyboard.press("Control+Enter");
  const first = await reference(h);
  assert.match(await h.locator("#incident-summary").textContent(), /\(exact address\)/);
  await grade(h, "Violence in progress, children present");

  // The dispatcher sends the recommended unit: the nearest, from the gazetteer's position.
  assert.equal(await sendRecommended(d, first), "Send AL21");
  await d.locator("#units tr", { hasText: "AL21" }).locator(".unit-status", { hasText: "Assigned" }).waitFor();

  // 2. A neighbour rings: the same address, spelt differently. The check offers the first.
  await h.keyboard.press("Alt+KeyN");
  await h.getByLabel("Name", { exact: true }).fill("Peter Lowe");
  await where.pressSequentially("14 harehils lane", { delay: 20 });
  await h.locator('#location-suggestions[data-query="14 harehils lane"]').waitFor();
  const misspelt = h.locator("#location-suggestions").getByRole("option", { name: /^14 Harehills Lane, Harehills/ }).first();
  assert.match(await misspelt.textContent(), /'harehils' read as 'harehills'/, "why it matched");
  await misspelt.click();
  await precision.filter({ hasText: "exact address" }).waitFor();
  // The neighbour is at the back of the house: the handler drags the pin off the door. It is
  // a map pin now, and the address (its UPRN) is kept.
  const pinBox = await h.locator("#call-map .map-pin path").boundingBox();
  const [px, py] = [pinBox.x + pinBox.width / 2, pinBox.y + pinBox.height / 3];
  await h.mouse.move(px, py);
  await h.mouse.down();
  await h.mouse.move(px + 30, py + 20, { steps: 5 });
  await h.mouse.move(px + 60, py + 40, { steps: 5 });
  await h.mouse.up();
  await precision.filter({ hasText: "map pin" }).waitFor();
  assert.match(await precision.textContent(), /moved from 14 Harehills Lane/);
  await h.getByLabel("What is happening").fill("Screaming from next door");
  await h.keyboard.press("Control+Enter");
  const second = await reference(h, first);
  assert.notEqual(second, first);
  await h.keyboard.press("Alt+KeyK");
  await h.keyboard.press("Control+Enter");
  const duplicates = h.locator("#intel-results", { hasText: "Possible duplicates" });
  await duplicates.waitFor();
  assert.match(await duplicates.textContent(), new RegExp(first));

  // 3. A caller who cannot say where she is: only the network's handset location.
  await h.keyboard.press("Alt+KeyN");
  await h.getByLabel("Name", { exact: true }).fill("Unknown female");
  await where.fill("Caller cannot say; can hear traffic and a dog");
  await h.locator("#handset-section summary").click();
  await h.getByLabel("Handset latitude").fill("53.8360");
  await h.getByLabel("Handset longitude").fill("-1.5005");
  await h.getByLabel("Within (metres)").fill("150");
  await h.getByLabel("Within (metres)").press("Tab");
  await precision.filter({ hasText: "handset location within 150 m" }).waitFor();
  await h.locator("#call-map .map-circle circle").first().waitFor();
  await h.locator("#handset-summary", { hasText: "inside the circle" }).waitFor();
  assert.ok((await h.locator("#handset-addresses li").count()) >= 1, "addresses inside the circle are offered");
  await h.getByLabel("What is happening").fill("Woman screaming for help, line went dead");
  await h.screenshot({ path: `${SCREENSHOTS}call-card-handset.png` });
  await h.keyboard.press("Control+Enter");
  const third = await reference(h, second);
  assert.match(await h.locator("#incident-summary").textContent(), /handset location within 150 m/);
  await grade(h, "Cry for help, location from the handset only");
  assert.equal(await sendRecommended(d, third), "Send AL22", "the unit beside the handset location");
  await d.locator("#units tr", { hasText: "AL22" }).locator(".unit-status", { hasText: "Assigned" }).waitFor();

  await dispatcher.context.close();
  await handler.context.close();
});
