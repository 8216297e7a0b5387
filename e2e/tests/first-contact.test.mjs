// A domestic abuse call end to end: THRIVE, vulnerability, DASH, the grade recommendation and
// an override with its reason, signposting, and a close refused until it meets NSIR and NCRS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SCREENSHOTS, launchBrowser, signIn, startServer } from "./helpers.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a domestic abuse call is assessed, graded, signposted and closed to the standards", async () => {
  const { context, page } = await signIn(browser, server.base, "handler");
  const status = page.locator("#status");

  // The call card.
  await page.keyboard.press("Alt+KeyN");
  await page.getByLabel("Incident type").first().fill("DOMESTIC_INCIDENT");
  await page.getByLabel("Name", { exact: true }).fill("Leanne Fox");
  await page.getByLabel("Phone", { exact: true }).fill("07700 900321");
  await page.getByLabel("Caller is the victim").check();
  await page.getByLabel("Where").fill("Flat 2, 19 Harehills Lane, Leeds LS8 4HA");
  await page.getByLabel("What is happening").fill("Ex-partner at the door, says he will kill me. My two children are here.");
  await page.keyboard.press("Control+Enter");
  await page.locator("#incident-title", { hasText: "Incident" }).waitFor();

  // Classification: domestic abuse, child at risk.
  await page.keyboard.press("Alt+KeyQ");
  await page.locator("#qualifier-boxes").getByLabel("Domestic abuse", { exact: true }).check();
  await page.locator("#qualifier-boxes").getByLabel("Child at risk", { exact: true }).check();
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "classified" }).waitFor();
  assert.match(await page.textContent("#recommendation"), /Priority because: .*domestic abuse/i);

  // THRIVE with its NDM rationale.
  await page.keyboard.press("Alt+KeyT");
  assert.equal(await page.evaluate(() => document.activeElement.id), "thrive-threat-level");
  const factors = {
    threat: ["high", "He is at the door threatening to kill her"],
    harm: ["high", "Previous injuries; children present"],
    risk: ["high", "Immediate while he is there"],
    investigation: ["medium", "Offences disclosed"],
    vulnerability: ["high", "Two young children; repeat victim"],
    engagement: ["medium", "Wants police to attend"],
  };
  for (const [factor, [level, reason]] of Object.entries(factors)) {
    await page.locator(`#thrive-${factor}-level`).selectOption(level);
    await page.locator(`#thrive-${factor}-reason`).fill(reason);
  }
  await page.getByLabel("Information and intelligence").fill("Caller's account; two previous DA incidents at the address");
  await page.getByLabel("Assessment of threat and risk").fill("Immediate threat to life");
  await page.getByLabel("Powers and policy").fill("DA policy; s.17 PACE entry to save life");
  await page.getByLabel("Options and contingencies").fill("Emergency attendance; caller to stay locked in");
  await page.getByLabel("Action and review").fill("Emergency grade; DASH now; review on arrival");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "THRIVE recorded" }).waitFor();
  assert.match(await page.textContent("#recommendation"), /Emergency because: immediate threat/i);

  // Vulnerability flags.
  await page.keyboard.press("Alt+KeyV");
  await page.locator("#flag-boxes").getByLabel("domestic abuse", { exact: true }).check();
  await page.locator("#flag-boxes").getByLabel("a repeat victim", { exact: true }).check();
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Vulnerability recorded" }).waitFor();

  // DASH: fifteen "yes" answers is high risk; MARAC referral.
  await page.keyboard.press("Alt+KeyD");
  for (let n = 1; n <= 15; n++) await page.locator(`#dash-q${n}`).selectOption("yes");
  await page.screenshot({ path: `${SCREENSHOTS}first-contact-dash.png` });
  await page.locator("#dash-q15").press("Control+Enter");
  await status.filter({ hasText: "DASH recorded: high risk" }).waitFor();
  assert.match(await page.textContent("#incident-assessment"), /MARAC/);

  // Grading below the recommendation is refused until the override is explained.
  await page.keyboard.press("Alt+KeyG");
  await page.locator("#grade").selectOption("priority");
  await page.getByLabel("Rationale").fill("Suspect has driven off");
  assert.equal(await page.locator("#override-field").isVisible(), true, "the override box appears");
  await page.getByLabel("Rationale").press("Control+Enter");
  const overrideError = page.locator("#error-override-reason");
  await overrideError.waitFor();
  assert.match(await overrideError.textContent(), /recommended emergency/);
  assert.equal(await page.getByLabel("Rationale").inputValue(), "Suspect has driven off", "nothing typed is lost");
  await page.getByLabel("Why go below the recommended grade?").fill("Caller confirms he drove away; she is with a neighbour");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "graded priority" }).waitFor();

  // Signposting to the IDVA service.
  await page.keyboard.press("Alt+KeyS");
  await page.locator("#signpost-agency").selectOption("IDVA");
  assert.match(await page.textContent("#signpost-when"), /high-risk domestic abuse/);
  await page.getByLabel("What the caller was told").fill("Referred to the IDVA service; MARAC referral made");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Signposting recorded" }).waitFor();

  // A close that breaks the standards is refused, with every rule listed.
  await page.keyboard.press("Alt+KeyC");
  await page.keyboard.type("ASB_PERSONAL_RESOLVED");
  await page.getByLabel("Resolution").fill("Words of advice");
  await page.getByLabel("Resolution").press("Control+Enter");
  const problems = page.locator("#close-form .problems");
  await problems.waitFor();
  const listed = await problems.textContent();
  assert.match(listed, /NSIR-CATEGORY/);
  assert.match(listed, /NSIR-DOMESTIC-ABUSE/);
  await page.screenshot({ path: `${SCREENSHOTS}closure-refused.png` });

  // Put right, it closes.
  await page.getByLabel("Closing code").fill("CRIME_ARREST");
  await page.getByLabel("Final incident type").fill("CRIME_VIOLENCE");
  await page.getByLabel("Qualifiers (comma-separated)").fill("DOMESTIC_ABUSE, CHILD_AT_RISK");
  await page.getByLabel("Crime reference").fill("CRN-DA-E2E");
  await page.getByLabel("Resolution").fill("Suspect arrested nearby; MARAC referral made");
  await page.keyboard.press("Control+Enter");
  await page.locator("#incident-badges .status-closed").waitFor();
  assert.match(await page.textContent("#incident-closure"), /CRIME_ARREST/);
  await context.close();
});
