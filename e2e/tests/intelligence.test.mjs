// An intelligence check during a call: the caller's name with a different spelling and the
// phone in another format find the person on record, with the warning marker officers need;
// the check goes into the incident log; the person's page shows the marker and history.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("an intelligence check during a call finds the person and the warning marker", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "handler");

  // What the force already knows (recorded through the API, as an intelligence unit would).
  const personId = await page.evaluate(async () => {
    const person = await (await import("/assets/common.js")).api("POST", "/api/v1/people", {
      names: ["John Smith"],
      date_of_birth: "1980-04-02",
      phones: ["07700 900777"],
      addresses: ["Flat 2, 19 Harehills Lane, Leeds LS8 4HA"],
    });
    await (await import("/assets/common.js")).api("POST", `/api/v1/records/person/${person.id}/markers`, {
      kind: "weapons",
      reason: "Carried a knife at his last arrest",
      source: "INT-2026-0042",
      review_by: "2030-01-01",
    });
    return person.id;
  });

  // The call: the handler hears "Jon Smyth" and writes the number differently.
  await page.keyboard.press("Alt+KeyN");
  await page.getByLabel("Incident type").first().fill("DOMESTIC_INCIDENT");
  await page.getByLabel("Name", { exact: true }).fill("Jon Smyth");
  await page.getByLabel("Phone", { exact: true }).fill("+44 7700 900777");
  await page.getByLabel("Where").fill("Harehills Lane");
  await page.getByLabel("What is happening").fill("Says his partner has locked him out and he will break the door down");
  await page.keyboard.press("Control+Enter");
  await page.locator("#incident-title", { hasText: "Incident" }).waitFor();

  // Alt+K: the check is filled in from the call.
  await page.keyboard.press("Alt+KeyK");
  assert.equal(await page.getByLabel("Person's name").inputValue(), "Jon Smyth");
  assert.equal(await page.locator("#intel-phone").inputValue(), "+44 7700 900777");
  await page.keyboard.press("Control+Enter");
  const marker = page.locator("#intel-results li.marker");
  await marker.waitFor();
  assert.match(await marker.textContent(), /WEAPONS on John Smith: Carried a knife/);
  const people = await page.locator("#intel-results").textContent();
  assert.match(people, /John Smith/);
  assert.match(people, /sounds like John Smith/);
  await page.locator("#intel-results").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SCREENSHOTS}intelligence-check.png` });

  // The check is in the incident log.
  const checkLog = page.locator("#incident-log li", { hasText: "Intelligence check: searched name 'Jon Smyth'" });
  await checkLog.waitFor();
  // The marker's words go to the log, not a count: its reason, source and review date.
  const logged = await checkLog.textContent();
  assert.match(logged, /WARNING WEAPONS on John Smith/);
  assert.match(logged, /Carried a knife at his last arrest/);
  assert.match(logged, /source: INT-2026-0042/);
  assert.match(logged, /review by 2030-01-01/);

  // The person's page: details, the current marker, links and history.
  const record = await context.newPage();
  await record.goto(`/console/records/person/${personId}`);
  await record.locator("#markers li.marker").waitFor();
  assert.match(await record.textContent("#record-title"), /John Smith/);
  assert.match(await record.textContent("#markers"), /WEAPONS/);
  assert.match(await record.textContent("#details"), /\+447700900777/);
  await record.screenshot({ path: `${SCREENSHOTS}person-record.png` });
  await context.close();
});
