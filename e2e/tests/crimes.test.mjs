// Recording a crime from a domestic-abuse incident: the handler's incident (an assault at home,
// domestic abuse qualifier) waits in the crime recorder's queue; the recorder enters the
// offences disclosed, the counting rules answer with the crimes to record and why, the crime
// is recorded, the queue empties and the incident lists its crime.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("a crime recorder records a crime from a domestic-abuse incident with the counting rules' explanation", async () => {
  const handler = await signIn(run.browser, run.server.base, "handler");
  const incident = await handler.page.evaluate(async () => {
    const taken = await (await import("/assets/common.js")).api("POST", "/api/v1/contacts", {
      channel: "999",
      caller: { name: "Sarah Lee", phone: "07700 900321", is_victim: true },
      location: { text: "4 Oak Road, Leeds LS6 2AB" },
      summary: "Partner punched her in the face at home and shoved her against the door",
    });
    const id = taken.incident.id;
    await (await import("/assets/common.js")).api("POST", `/api/v1/incidents/${id}/classify`, {
      incident_type: "CRIME_VIOLENCE",
      qualifiers: ["DOMESTIC_ABUSE"],
    });
    return { id, reference: taken.incident.reference };
  });
  await handler.context.close();

  const { context, page } = await signIn(run.browser, run.server.base, "recorder");
  await page.getByRole("link", { name: "Crime recording" }).click();
  await page.waitForURL(/\/console\/crimes$/);

  // The report waits in the queue with its 24-hour clock running.
  const row = page.locator("#queue-rows tr", { hasText: incident.reference });
  await row.waitFor();
  assert.match(await row.textContent(), /Decision due by/);
  await row.getByRole("button", { name: `Open incident ${incident.reference}` }).click();
  await page.locator("#decision-title", { hasText: incident.reference }).waitFor();
  const indicators = await page.locator("#decision-indicators").textContent();
  assert.match(indicators, /domestic abuse qualifier with violence described \('punched', 'shoved'\)/);

  // Two offences against the same victim at the same time: the counting rules record one.
  const first = page.locator("#offence-rows tr").nth(0);
  await first.getByLabel("Offence classification").fill("8N");
  await first.getByLabel("Victim's name").fill("Sarah Lee");
  await first.getByLabel("Suspect's name").fill("Mark Lee");
  await page.getByRole("button", { name: "Add another offence" }).click();
  const second = page.locator("#offence-rows tr").nth(1);
  await second.getByLabel("Offence classification").fill("105A");
  await second.getByLabel("Victim's name").fill("Sarah Lee");
  await second.getByLabel("Suspect's name").fill("Mark Lee");
  await page.getByLabel("Modus operandi").fill("Punched the victim in the face during an argument at home");
  await page.getByRole("button", { name: "Ask the counting rules" }).click();

  await page.locator("#suggestion-title", { hasText: "record 1 crime" }).waitFor();
  const explained = await page.locator("#suggested-crimes").textContent();
  assert.match(explained, /8N .*Sarah Lee/);
  assert.match(explained, /Section D: one crime for victim Sarah Lee/);
  // The reason names the ranking (maximum sentence, issue 16) and what it covers.
  assert.match(explained, /Section F: principal crime 8N \([^)]*\); also covers offence row 2 \(105A/);
  assert.match(explained, /Edition: HOCR/);
  await page.screenshot({ path: `${SCREENSHOTS}crime-recording.png`, fullPage: true });

  await page.getByRole("button", { name: "Record these crimes" }).click();
  const status = page.locator("#status");
  await status.filter({ hasText: /Recorded CR-\d{4}-\d{6}/ }).waitFor();
  const crimeRef = (await status.textContent()).match(/CR-\d{4}-\d{6}/)[0];
  await page.locator("#decision-made li.crime", { hasText: crimeRef }).waitFor();
  assert.match(await page.locator("#decision-clock").textContent(), /Decided on time/);
  await page.locator("#queue-rows tr", { hasText: incident.reference }).waitFor({ state: "detached" });

  // On the handler's console the incident lists its crime, and closing it carries the number.
  const another = await signIn(run.browser, run.server.base, "handler");
  await another.page.locator("#incident-rows tr", { hasText: incident.reference }).getByRole("button", { name: incident.reference }).click();
  await another.page.locator("#incident-crimes li", { hasText: crimeRef }).waitFor();
  assert.equal(await another.page.locator("#crime-reference").inputValue(), crimeRef);

  // A new report of crime elsewhere appears in the open queue without a reload.
  const next = await another.page.evaluate(async () => {
    const taken = await (await import("/assets/common.js")).api("POST", "/api/v1/contacts", {
      channel: "101",
      caller: { name: "Tom Reid", is_victim: true },
      location: { text: "Car park, 1 Kirkgate, Leeds LS2 7DJ" },
      summary: "Car window smashed and a laptop taken",
      incident_type: "CRIME_VEHICLE",
    });
    return taken.incident.reference;
  });
  await another.context.close();
  await page.locator("#queue-rows tr", { hasText: next }).waitFor({ timeout: 5000 });

  // The incident lists its crime, and the crime names victim and suspect.
  const seen = await page.evaluate(async (id) => {
    const i = await (await import("/assets/common.js")).api("GET", `/api/v1/incidents/${id}`);
    const crime = await (await import("/assets/common.js")).api("GET", `/api/v1/crimes/${i.crime_recording.crimes[0].id}`);
    return { crimeId: crime.id, links: i.crime_recording.crimes.map((c) => c.reference), roles: crime.parties.map((p) => p.role), mo: crime.modus_operandi };
  }, incident.id);
  assert.deepEqual(seen.links, [crimeRef]);
  assert.deepEqual(seen.roles, ["victim", "suspect"]);
  assert.match(seen.mo, /Punched the victim/);

  // Reclassified with a reason (kept), then the recorder asks for removal: only the crime
  // registrar may approve it, and the crime stays on file, marked.
  await page.getByRole("button", { name: `Open crime ${crimeRef}` }).click();
  await page.locator("#crime-title", { hasText: crimeRef }).waitFor();
  await page.getByLabel("New classification").fill("5D");
  await page.getByRole("button", { name: "Reclassify" }).click();
  await page.locator("#reclassify-error", { hasText: /reason/i }).waitFor();
  await page.getByLabel("Why (kept with the history)").fill("She lost consciousness: intent to strangle disclosed");
  await page.getByRole("button", { name: "Reclassify" }).click();
  await page.locator("#crime-history li", { hasText: "8N → 5D" }).waitFor();
  await page.locator("#removal-reason").selectOption("C3");
  await page.getByLabel("Rationale for the crime registrar").fill("Same assault already recorded from the earlier call");
  await page.getByRole("button", { name: "Ask the registrar to remove it" }).click();
  await page.locator("#crime-status", { hasText: "awaiting the crime registrar" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Approve the removal" }).isVisible(), false, "a recorder cannot approve");
  const crimeId = seen.crimeId;

  // An online report: recorded directly, no incident; a wrong code is named and nothing lost.
  await page.getByRole("heading", { name: "Record a crime reported directly" }).click();
  await page.getByLabel("Classification", { exact: true }).fill("ZZ9");
  await page.getByLabel("Happened from").fill("2026-11-22T21:00");
  await page.getByLabel("Place", { exact: true }).fill("Outside 9 Park Row, Leeds LS1 5HD");
  await page.getByLabel("Victim", { exact: true }).fill("Ben Marsh");
  await page.getByLabel("How it was done").fill("Bicycle taken from outside the house overnight");
  await page.getByRole("button", { name: "Record the crime" }).click();
  await page.locator("#direct-error", { hasText: "'ZZ9'" }).waitFor();
  await page.getByLabel("Classification", { exact: true }).fill("44");
  await page.getByRole("button", { name: "Record the crime" }).click();
  // The page still shows the crime opened before; wait for the new one by its number.
  await page.locator("#status", { hasText: /^Recorded CR-\d{4}-\d{6}\.$/ }).waitFor();
  const directRef = (await page.locator("#status").textContent()).match(/CR-\d{4}-\d{6}/)[0];
  assert.notEqual(directRef, crimeRef);
  await page.locator("#crime-title", { hasText: directRef }).waitFor();
  assert.match(await page.locator("#crime-facts").textContent(), /Park Row/);
  const people = await page.evaluate(async () => (await (await import("/assets/common.js")).api("POST", "/api/v1/search", { name: "Ben Marsh" })).people.length);
  assert.equal(people, 1, "the victim was recorded once although the crime was sent twice");
  await context.close();

  // The registrar finds it among the removals awaiting approval.
  const registrar = await signIn(run.browser, run.server.base, "registrar");
  await registrar.page.goto("/console/crimes");
  await registrar.page.locator("#removal-rows tr", { hasText: crimeRef }).getByRole("button", { name: `Open crime ${crimeRef}` }).click();
  await registrar.page.locator("#removal-request", { hasText: "C3" }).waitFor();
  await registrar.page.getByRole("button", { name: "Approve the removal" }).click();
  await registrar.page.locator("#crime-status", { hasText: "Removed (kept on file)" }).waitFor();
  await registrar.page.locator("#removal-rows tr", { hasText: "No removals awaiting approval" }).waitFor();
  assert.equal(crimeId.length > 0, true);
  await registrar.context.close();
});
