// The crime recorder's journey through two incidents in a row, without reloading the page:
// the victim comes from the caller, a person already on record is offered (not duplicated),
// nothing typed for the first incident is left on the second, and people see crime numbers
// and incident references, never raw ids.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

test("a recorder records crimes for two incidents in a row, the victim prefilled and matched to their record", async () => {
  const handler = await signIn(run.browser, run.server.base, "handler");
  const [first, second] = await handler.page.evaluate(async () => {
    const take = async (caller, place, summary, incident_type) => {
      const taken = await (await import("/assets/common.js")).api("POST", "/api/v1/contacts", { channel: "999", caller, location: { text: place }, summary, incident_type });
      return { id: taken.incident.id, reference: taken.incident.reference };
    };
    return [
      await take({ name: "Grace Holt", phone: "07700 900555", is_victim: true }, "Outside 3 Call Lane, Leeds LS1 6DT", "A man pushed her to the ground and kicked her bag away", "CRIME_VIOLENCE"),
      await take({ name: "Peter Quinn", phone: "07700 900556", is_victim: true }, "12 Otley Road, Leeds LS6 2AA", "Bicycle taken from the front garden overnight", "CRIME_THEFT"),
    ];
  });
  await handler.context.close();

  const { context, page } = await signIn(run.browser, run.server.base, "recorder");
  // Grace Holt is already on record (an earlier report), with her phone and date of birth.
  const grace = await page.evaluate(async () => (await (await import("/assets/common.js")).api("POST", "/api/v1/people", { names: ["Grace Holt"], date_of_birth: "1985-02-03", phones: ["07700 900555"] })).id);
  await page.goto("/console/crimes");
  await page.locator("#live-state.on").waitFor();

  // The first incident: the victim is the caller, already filled in.
  await page.locator("#queue-rows tr", { hasText: first.reference }).getByRole("button", { name: `Open incident ${first.reference}` }).click();
  await page.locator("#decision-title", { hasText: first.reference }).waitFor();
  const row = page.locator("#offence-rows tr").nth(0);
  assert.equal(await row.getByLabel("Victim's name").inputValue(), "Grace Holt");
  await row.getByLabel("Offence classification").fill("105A");
  await row.getByLabel("Suspect's name").fill("Unknown male in a grey hoodie");
  await page.getByLabel("Modus operandi").fill("Pushed the victim to the ground in the street and kicked her bag away");
  await page.getByRole("button", { name: "Ask the counting rules" }).press("Enter");
  await page.locator("#suggestion-title", { hasText: "record 1 crime" }).waitFor();

  // Her record is offered, by name and date of birth; recording waits for the choice.
  const offer = page.getByLabel(/^Use existing record: Grace Holt, born 3 Feb 1985/);
  await offer.waitFor();
  assert.match(await page.locator("#people-matches").textContent(), /same phone number/);
  assert.equal(await page.locator("#people-matches fieldset").count(), 1, "only the victim is on record");
  await page.getByRole("button", { name: "Record these crimes" }).press("Enter");
  await page.locator("#record-error", { hasText: "Grace Holt may already be on record" }).waitFor();
  await offer.check();
  await page.getByRole("button", { name: "Record these crimes" }).press("Enter");
  const status = page.locator("#status");
  await status.filter({ hasText: new RegExp(`Recorded CR-\\d{4}-\\d{6} from incident ${first.reference}`) }).waitFor();
  const firstCrime = (await status.textContent()).match(/CR-\d{4}-\d{6}/)[0];

  // Her existing record is on the crime; she was not recorded a second time.
  const onCrime = await page.evaluate(async (id) => {
    const incident = await (await import("/assets/common.js")).api("GET", `/api/v1/incidents/${id}`);
    const crime = await (await import("/assets/common.js")).api("GET", `/api/v1/crimes/${incident.crime_recording.crimes[0].id}`);
    const found = await (await import("/assets/common.js")).api("POST", "/api/v1/search", { name: "Grace Holt" });
    return { victim: crime.parties.find((p) => p.role === "victim").person, people: found.people.length };
  }, first.id);
  assert.equal(onCrime.victim, grace);
  assert.equal(onCrime.people, 1, "not duplicated");

  // The next incident, straight from the queue: nothing carried over, the new caller filled in.
  await page.locator("#queue-rows tr", { hasText: second.reference }).getByRole("button", { name: `Open incident ${second.reference}` }).click();
  await page.locator("#decision-title", { hasText: second.reference }).waitFor();
  const next = page.locator("#offence-rows tr");
  assert.equal(await next.count(), 1);
  assert.equal(await next.getByLabel("Victim's name").inputValue(), "Peter Quinn");
  assert.equal(await next.getByLabel("Offence classification").inputValue(), "");
  assert.equal(await next.getByLabel("Suspect's name").inputValue(), "");
  assert.equal(await page.getByLabel("Modus operandi").inputValue(), "", "the modus operandi does not carry over");
  assert.equal(await page.locator("#suggestion").isHidden(), true);
  assert.equal(await page.locator("#non-crime-rationale").inputValue(), "");
  await next.getByLabel("Offence classification").fill("44");
  await page.getByLabel("Modus operandi").fill("Unlocked bicycle taken from the front garden overnight");
  await page.getByRole("button", { name: "Ask the counting rules" }).press("Enter");
  await page.locator("#suggestion-title", { hasText: "record 1 crime" }).waitFor();
  const record = page.getByRole("button", { name: "Record these crimes" });
  assert.equal(await record.isEnabled(), true, "works for the next incident without a reload");
  assert.equal(await page.locator("#people-matches fieldset").count(), 0, "no one on record by that name");
  await record.press("Enter");
  await status.filter({ hasText: new RegExp(`Recorded CR-\\d{4}-\\d{6} from incident ${second.reference}`) }).waitFor();
  const secondCrime = (await status.textContent()).match(/CR-\d{4}-\d{6}/)[0];
  assert.notEqual(secondCrime, firstCrime);
  const mo = await page.evaluate(async (id) => {
    const incident = await (await import("/assets/common.js")).api("GET", `/api/v1/incidents/${id}`);
    return (await (await import("/assets/common.js")).api("GET", `/api/v1/crimes/${incident.crime_recording.crimes[0].id}`)).modus_operandi;
  }, second.id);
  assert.equal(mo, "Unlocked bicycle taken from the front garden overnight");

  // The crime's own page names its incident by reference; no raw id anywhere a person reads.
  await page.getByRole("button", { name: `Open crime ${secondCrime}` }).click();
  await page.locator("#crime-title", { hasText: secondCrime }).waitFor();
  assert.match(await page.locator("#crime-facts").textContent(), new RegExp(`From incident ${second.reference}`));
  assert.doesNotMatch(await page.locator("main").innerText(), UUID);
  await context.close();
});
