// A user holding two roles: the contact-and-crime-recorder operator takes a 999 call from the
// keyboard, then records the crime from it on the crime recording page, in one session.
// The pages they may not use are refused on the server, saying which roles may.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertNoPlaceholders, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("the two-role operator takes a call and records the crime", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "operator");
  // Both roles are named, and both roles' links and tools are offered.
  await page.locator("#whoami", { hasText: "operator · contact handler, crime recorder" }).waitFor();
  assert.equal(await page.locator("#crimes-link").isHidden(), false, "a crime recorder gets the crime recording page");
  assert.equal(await page.locator("#new-call").isHidden(), false, "a contact handler takes calls");

  // The call, from the keyboard.
  await page.keyboard.press("Alt+KeyN");
  await page.getByLabel("Incident type").first().fill("CRIME_VIOLENCE");
  await page.getByLabel("Name", { exact: true }).fill("Ruth Akande");
  await page.getByLabel("Where").fill("Outside 9 Vicar Lane, Leeds LS1 6PJ");
  await page.getByLabel("What is happening").fill("A man punched her in the face and ran off towards the market");
  await page.keyboard.press("Control+Enter");
  const title = page.locator("#incident-title");
  await title.waitFor();
  const reference = (await title.textContent()).replace("Incident ", "").trim();
  assert.match(reference, /^\d{8}-\d{4}$/);
  await assertNoPlaceholders(page, "the operator's console");

  // The crime, from the same session: the report waits in the recorders' queue.
  await page.goto("/console/crimes");
  await page.locator("#live-state.on").waitFor();
  await page.locator("#whoami", { hasText: "contact handler, crime recorder" }).waitFor();
  await page.locator("#queue-rows tr", { hasText: reference }).getByRole("button", { name: `Open incident ${reference}` }).click();
  await page.locator("#decision-title", { hasText: reference }).waitFor();
  const row = page.locator("#offence-rows tr").nth(0);
  if (!(await row.getByLabel("Victim's name").inputValue())) await row.getByLabel("Victim's name").fill("Ruth Akande");
  await row.getByLabel("Offence classification").fill("105A");
  await row.getByLabel("Suspect's name").fill("Unknown man in a black jacket");
  await page.getByLabel("Modus operandi").fill("Punched the victim in the face in the street and ran off");
  await page.getByRole("button", { name: "Ask the counting rules" }).press("Enter");
  await page.locator("#suggestion-title", { hasText: "record 1 crime" }).waitFor();
  await page.getByRole("button", { name: "Record these crimes" }).press("Enter");
  await page.locator("#status").filter({ hasText: new RegExp(`Recorded CR-\\d{4}-\\d{6} from incident ${reference}`) }).waitFor();
  await assertNoPlaceholders(page, "the crime recording page");

  // Neither role is a supervisor's: the page is refused, naming who may use it.
  const refused = await page.goto("/console/supervisor");
  assert.equal(refused.status(), 403);
  assert.match(await page.locator("#who-may").textContent(), /The supervisor's page is for supervisors, auditors and administrators\./);
  assert.match(await page.locator("main").textContent(), /signed in as operator \(contact handler and crime recorder\)/);
  await context.close();
});
