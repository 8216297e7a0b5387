// Two journeys of issue 12, from the keyboard, to the end:
// - warning markers added and withdrawn on the record page (the withdrawal asked for its
//   reason on the marker's row, and kept there), then shown on the dispatch board beside the
//   incident and the unit sent there, the withdrawn one no longer;
// - people and vehicles found by the intelligence check linked to the incident as victim,
//   suspect, witness or caller, and listed on the incident panel with their role.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("markers are added and withdrawn on the record page, and the board shows those standing beside the incident and its unit", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "handler");
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  const personId = await page.evaluate(async () => (await (await import("/assets/common.js")).api("POST", "/api/v1/people", { names: ["Carl Benson"], date_of_birth: "1979-06-01" })).id);

  // Two markers, added from the keyboard on the person's page.
  await page.goto(`/console/records/person/${personId}`);
  await page.locator("#markers li", { hasText: "No warning markers." }).waitFor();
  // Keyboard: choose the marker, then fill each field; Enter in the last one adds it.
  const add = async (kind, reason) => {
    await page.getByLabel("Marker", { exact: true }).focus();
    await page.getByLabel("Marker", { exact: true }).selectOption(kind);
    await page.getByLabel(/^Review by/).fill("2030-01-01");
    await page.getByLabel(/^Reason/).fill(reason);
    await page.getByLabel(/^Source/).fill("INT-2026-0042");
    await page.getByLabel(/^Source/).press("Enter");
  };
  // A marker with no reason is refused, next to the field, which takes the focus.
  await add("weapons", "");
  const reasonError = page.locator("#marker-reason-error");
  await reasonError.waitFor();
  assert.match(await reasonError.textContent(), /required/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "marker-reason");

  await add("weapons", "Carried a knife at his last arrest");
  await page.locator("#markers li.marker", { hasText: "WEAPONS" }).waitFor();
  await add("drugs", "Supplies from the address");
  const drugs = page.locator("#markers li.marker", { hasText: "DRUGS" });
  await drugs.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "marker-2", "the new marker has the focus");

  // The call, and the check that finds him (as a handler runs it from the console).
  const incident = await page.evaluate(async () => {
    const call = await (await import("/assets/common.js")).api("POST", "/api/v1/contacts", {
      channel: "999",
      caller: { name: "Ann Lowe", phone: "07700 900333" },
      location: { text: "4 Roundhay Road, Leeds LS8", lat: 53.81, lon: -1.53 },
      summary: "Carl Benson is outside with a knife",
    });
    const id = call.incident.id;
    await (await import("/assets/common.js")).api("POST", `/api/v1/incidents/${id}/grade`, { grade: "emergency", rationale: "knife seen" });
    await (await import("/assets/common.js")).api("POST", `/api/v1/incidents/${id}/intelligence`, { name: "Carl Benson" });
    return { id, reference: call.incident.reference };
  });
  // The check's log entry carries each current marker's words (reason, source, review date),
  // not a count (both markers stand at the time of the check).
  const logged = await page.evaluate(async (id) => {
    const shown = await (await import("/assets/common.js")).api("GET", `/api/v1/incidents/${id}`);
    return shown.log.map((entry) => entry.text).filter((text) => text.startsWith("Intelligence check"));
  }, incident.id);
  assert.equal(logged.length, 1, JSON.stringify(logged));
  assert.match(logged[0], /WARNING WEAPONS on Carl Benson/);
  assert.match(logged[0], /Carried a knife at his last arrest/);
  assert.match(logged[0], /source: INT-2026-0042/);
  assert.match(logged[0], /review by 2030-01-01/);
  assert.match(logged[0], /WARNING DRUGS on Carl Benson: Supplies from the address/);

  // Withdraw the drugs marker: the reason is asked on its row; blank is refused in place.
  await drugs.getByRole("button", { name: /Withdraw drugs marker/ }).focus();
  await page.keyboard.press("Enter");
  const why = page.getByLabel("Why is the drugs marker withdrawn?");
  await why.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "withdraw-reason-2", "the reason has the focus");
  await page.keyboard.press("Enter");
  await drugs.locator(".form-error", { hasText: "Give the reason" }).waitFor();
  await page.keyboard.type("The report was about his brother");
  await page.keyboard.press("Enter");
  const withdrawn = page.locator("#markers li.marker.withdrawn");
  await withdrawn.waitFor();
  assert.match(await withdrawn.textContent(), /Withdrawn: DRUGS.*withdrawn by handler.*The report was about his brother/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "marker-2", "the focus stays on the marker");
  assert.equal(await page.locator("#markers li.marker").count(), 2, "nothing is deleted");
  // Kept after a reload too, and current markers come first.
  await page.reload();
  await withdrawn.waitFor();
  assert.deepEqual(
    await page.locator("#markers li.marker strong").allTextContents(),
    ["⚠ WEAPONS", "Withdrawn: DRUGS"],
  );
  await context.close();

  // The dispatcher's board: the standing marker beside the incident, not the withdrawn one.
  const board = await signIn(run.browser, run.server.base, "dispatcher");
  const bp = board.page;
  await bp.evaluate(async () => {
    const u = await (await import("/assets/common.js")).api("POST", "/api/v1/units", { call_sign: "MK31", unit_type: "response", skills: ["first_aid", "taser"], station: "Chapeltown" });
    await (await import("/assets/common.js")).api("POST", `/api/v1/units/${u.id}/position`, { lat: 53.811, lon: -1.531 });
  });
  await bp.goto("/console/board");
  await bp.locator("#live-state.on").waitFor();
  const row = bp.locator("#awaiting li", { hasText: incident.reference });
  const warning = row.locator("li.marker", { hasText: "WEAPONS on Carl Benson" });
  await warning.waitFor();
  assert.match(await warning.textContent(), /Carried a knife at his last arrest/);
  assert.match(await warning.textContent(), /found by the intelligence check/);
  assert.equal(await row.locator("li.marker", { hasText: "DRUGS" }).count(), 0, "a withdrawn marker is no warning");

  // Send the unit from the keyboard: its row carries the same warning.
  await row.getByRole("button", { name: "Recommend units" }).focus();
  await bp.keyboard.press("Enter");
  const send = row.getByRole("button", { name: "Send MK31" });
  await send.waitFor();
  await send.focus();
  await bp.keyboard.press("Enter");
  const unit = bp.locator("#units tr[data-unit='MK31']");
  await unit.locator(".unit-incident", { hasText: incident.reference }).waitFor();
  await unit.locator("li.marker", { hasText: "WEAPONS on Carl Benson" }).waitFor();
  assert.equal(await unit.locator("li.marker", { hasText: "DRUGS" }).count(), 0);
  assert.deepEqual(dialogs, [], "no browser dialog on the way");
  await board.context.close();
});

test("people and vehicles found by the check are linked to the incident with their role, and listed on it", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "handler");
  await page.evaluate(async () => {
    await (await import("/assets/common.js")).api("POST", "/api/v1/people", { names: ["Dana Price"], date_of_birth: "1990-02-03" });
    await (await import("/assets/common.js")).api("POST", "/api/v1/vehicles", { vrm: "YX19 ABC", make: "Ford", colour: "blue" });
  });

  await page.keyboard.press("Alt+KeyN");
  await page.getByLabel("Incident type").first().fill("CRIME_VIOLENCE");
  await page.getByLabel("Name", { exact: true }).fill("Dana Price");
  await page.getByLabel("Phone", { exact: true }).fill("07700 900444");
  await page.getByLabel("Where").fill("Kirkgate Market, Leeds");
  await page.getByLabel("What is happening").fill("I have been punched by a man who drove off in a blue Ford");
  await page.keyboard.press("Control+Enter");
  const title = page.locator("#incident-title", { hasText: "Incident" });
  await title.waitFor();
  const reference = (await title.textContent()).replace("Incident ", "");
  await page.locator("#incident-links li", { hasText: "No person or vehicle linked yet" }).waitFor();

  // Alt+K, add the registration the caller gave, run the check.
  await page.keyboard.press("Alt+KeyK");
  await page.getByLabel("Vehicle registration").fill("yx19abc");
  await page.getByLabel("Person's name").focus();
  await page.keyboard.press("Control+Enter");
  const person = page.locator("#intel-results li", { has: page.locator("a", { hasText: "Dana Price" }) }).first();
  await person.waitFor();

  // From the person's name, Tab reaches the link controls; Enter links her as victim.
  await person.locator("a", { hasText: "Dana Price" }).focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "Link Dana Price as victim");
  await page.keyboard.press("Enter");
  await page.locator("#status", { hasText: `Dana Price linked to ${reference} as victim.` }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-pressed")), "true", "the focus stays on the control");

  // The car as the suspect's.
  const car = page.locator("#intel-results li", { has: page.locator("a", { hasText: "YX19ABC" }) }).first();
  // (A vehicle reads as its registration and description.)
  await car.getByRole("button", { name: "Link YX19ABC blue Ford as suspect" }).focus();
  await page.keyboard.press("Enter");
  await page.locator("#status", { hasText: `YX19ABC blue Ford linked to ${reference} as suspect.` }).waitFor();

  // The incident panel lists both with their role; linking twice says so.
  const linked = page.locator("#incident-links li");
  await linked.nth(1).waitFor();
  assert.equal(await linked.count(), 2);
  assert.equal(await linked.nth(0).locator(".badge").textContent(), "Victim");
  assert.equal(await linked.nth(0).locator("a").textContent(), "Dana Price");
  assert.match(await linked.nth(0).textContent(), /born 1990-02-03/);
  assert.equal(await linked.nth(1).locator(".badge").textContent(), "Suspect");
  assert.equal(await linked.nth(1).locator("a").textContent(), "YX19ABC blue Ford");
  await person.getByRole("button", { name: "Link Dana Price as victim" }).press("Enter");
  await page.locator("#status", { hasText: "is already linked to this incident as victim" }).waitFor();

  // Still there when the incident is opened again.
  await page.reload();
  await page.locator("#live-state.on").waitFor();
  await page.locator("#incident-rows button", { hasText: reference }).press("Enter");
  await page.locator("#incident-links li", { hasText: "Dana Price" }).waitFor();
  assert.match(await page.locator("#incident-links a", { hasText: "YX19ABC" }).getAttribute("href"), /^\/console\/records\/vehicle\//);
  await context.close();
});
