// Safeguarding referrals and tasks (issue 17), in the browser, from the keyboard where the
// console offers it: a handler takes a domestic call and completes a high-risk DASH; the close
// is refused naming the MARAC referral, with the referrals one key (Alt+P) away; the handler
// drafts and sends every referral the page lists as required (a lawful basis the force does
// not know, then a send with nothing listed as shared, are refused beside their fields), the
// agency's acknowledgement is recorded, and the close goes through. Then the handler sets an
// urgent task for the NPT_LS8 team, due in a minute and a half: the team's officer (pc_ls8)
// sees it arrive on /console/tasks without reloading and acknowledges it; once it is late the
// supervisor sees it on the escalated list; the officer completes it and it leaves that list.
// Screenshots: docs/screenshots/referrals.png and tasks.png.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, approveUnattended, assertNoPlaceholders, sendRequiredReferrals, inView, open, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();


const TASK_DETAILS = "Visit Leanne Fox at Flat 2, 19 Harehills Lane: safety planning, check the children";

test("a high-risk domestic call closes only once its referrals are sent; a task reaches the team live and escalates when late", { timeout: 6 * 60_000 }, async () => {
  const { base } = run.server;
  const handler = await signIn(run.browser, base, "handler");
  const page = handler.page;
  const status = page.locator("#status");

  // ---- The call, the questions, the classification and a high-risk DASH ----
  await page.keyboard.press("Alt+KeyN");
  await page.getByLabel("Incident type").first().fill("DOMESTIC_INCIDENT");
  await page.getByLabel("Name", { exact: true }).fill("Leanne Fox");
  await page.getByLabel("Phone", { exact: true }).fill("07700 900321");
  await page.getByLabel("Caller is the victim").check();
  await page.getByLabel("Where").fill("Flat 2, 19 Harehills Lane, Leeds LS8 4HA");
  await page.getByLabel("What is happening").fill("Ex-partner at the door, says he will kill me. My two children are here.");
  await page.keyboard.press("Control+Enter");
  const title = page.locator("#incident-title", { hasText: "Incident" });
  await title.waitFor();
  const reference = (await title.textContent()).replace("Incident ", "").trim();

  await page.keyboard.press("Alt+KeyW");
  for (const key of ["y", "n", "n", "y", "y", "y"]) await page.keyboard.press(key); // life in danger … children present
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Answers saved" }).waitFor();

  await page.keyboard.press("Alt+KeyQ");
  await page.locator("#qualifier-boxes").getByLabel("Domestic abuse", { exact: true }).check();
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "classified" }).waitFor();

  await page.keyboard.press("Alt+KeyD");
  await page.locator("#dash-questions input:checked").first().focus();
  for (let n = 1; n <= 27; n++) await page.keyboard.press(n <= 15 ? "y" : "n");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "DASH recorded: high risk" }).waitFor();

  // Above the actions, in words: what the rules now require before the incident may close.
  const due = page.locator("#incident-referrals-due");
  await due.filter({ hasText: "MARAC" }).waitFor();
  assert.match(await due.textContent(), /required and not sent/);

  await page.keyboard.press("Alt+KeyG");
  await page.locator("#grade").selectOption("emergency");
  await page.getByLabel("Rationale").fill("Threat to life, suspect at the door, children present");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "graded emergency" }).waitFor();

  // ---- The close is refused, naming the MARAC referral; the referrals are one key away ----
  const fillClose = async () => {
    await page.keyboard.press("Alt+KeyC");
    await page.getByLabel("Closing code").fill("CRIME_TRANSFERRED");
    await page.getByLabel("Final incident type").fill("CRIME_VIOLENCE");
    await page.getByLabel("Crime reference").fill("NYP-12-3456-26");
    await page.getByLabel("Resolution").fill("Suspect arrested by North Yorkshire Police; safeguarding referrals made");
    await page.getByLabel("Resolution").press("Control+Enter");
  };
  await fillClose();
  const problems = page.locator("#close-form .problems");
  await problems.waitFor();
  const refused = problems.locator('li[data-rule="SAFEGUARDING-REFERRAL"]');
  assert.ok((await refused.count()) >= 1, await problems.textContent());
  assert.match(await refused.first().textContent(), /MARAC referral to .* is required by MARAC_HIGH_RISK/);
  assert.ok(await inView(refused.first()), "the refusal is on screen, not below the fold");
  assert.equal(await page.locator("#incident-badges .status-closed").count(), 0, "nothing was closed");

  // A supervisor approves closing an emergency no unit of ours attended (another rule).
  await approveUnattended(run.browser, base, reference, "North Yorkshire officers attended across the border and arrested him");
  await page.locator("#unattended-notice", { hasText: "approved by supervisor" }).waitFor();

  // Alt+P: the referrals section, the cursor on the first referral still required.
  await page.keyboard.press("Alt+KeyP");
  const section = page.locator("#referrals-section");
  assert.equal(await section.evaluate((d) => d.open), true);
  const required = page.locator("#referrals-required li.outstanding");
  const types = await required.evaluateAll((items) => items.map((li) => li.dataset.required));
  assert.ok(types.includes("MARAC"), `MARAC is listed as required: ${types}`);
  assert.match(await page.locator('#referrals-required li[data-required="MARAC"]').textContent(), /SafeLives/, "the rule's source is shown");
  assert.match(await page.evaluate(() => document.activeElement.textContent), new RegExp(`Draft the ${types[0]} referral`));

  // The first referral: a lawful basis the force does not know is refused beside its field,
  // with the bases it does know; then a send with nothing listed as shared is refused beside
  // "What is shared", the referral kept as a draft; then it is sent.
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "referral-reason");
  await page.keyboard.type("High-risk DASH (15 yes); ex-partner threatening to kill; two children in the flat");
  await page.locator("#sharing-without").check();
  await page.getByLabel("Lawful basis", { exact: true }).fill("BECAUSE_I_SAID_SO");
  await page.getByLabel("Why without consent").fill("Seeking consent at the door would put her and the children at risk");
  await page.keyboard.press("Control+Enter");
  const basisError = page.locator("#error-sharing-basis");
  await basisError.waitFor();
  assert.match(await basisError.textContent(), /not a lawful basis/);
  assert.match(await basisError.textContent(), /CRIME_PREVENTION/, "the refusal names the bases the force knows");
  assert.equal(await page.evaluate(() => document.activeElement.id), "sharing-basis");
  await page.getByLabel("Lawful basis", { exact: true }).fill("CRIME_PREVENTION");
  await page.keyboard.press("Control+Enter");
  const sharedError = page.locator("#error-referral-shared");
  await sharedError.waitFor();
  assert.match(await sharedError.textContent(), /what is shared/i);
  await page.locator(`#referrals-required li[data-required="${types[0]}"]`, { hasText: "Drafted, not sent" }).waitFor();
  assert.match(await page.textContent("#referral-draft-state"), /NOT SENT/);
  await page.getByLabel(/What is shared/).fill("The DASH answers and risk level\nThe suspect's name and description\nThe children's names and ages");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: `${types[0]} referral sent to` }).waitFor();
  await page.locator(`#referrals-required li[data-required="${types[0]}"].settled`).waitFor();

  // Every other required referral, drafted and sent in one go with the victim's consent; the
  // cursor is already on the next one to draft.
  if (types.length > 1) {
    assert.match(await page.evaluate(() => document.activeElement.textContent), new RegExp(`Draft the ${types[1]} referral`), "on to the next one");
  }
  await sendRequiredReferrals(page, "Leanne Fox (the victim)");
  for (const type of types) await page.locator(`#referrals-required li[data-required="${type}"].settled`).waitFor();
  assert.equal(await required.count(), 0, "nothing required is left unsent");
  assert.equal(await due.isVisible(), false, "the safeguarding notice is gone");

  // The MARAC coordinator's acknowledgement, with their reference.
  const marac = page.locator('#referral-list li[data-type="MARAC"]');
  await marac.getByLabel("Their reference").fill("MARAC-LS-0412");
  await marac.getByLabel("Their reference").press("Control+Enter");
  await status.filter({ hasText: "MARAC referral: acknowledged" }).waitFor();
  await page.locator('#referral-list li[data-type="MARAC"]', { hasText: "their reference MARAC-LS-0412" }).waitFor();
  await assertNoPlaceholders(page, "the referrals section");
  await section.evaluate((d) => d.scrollIntoView({ block: "start" }));
  await page.screenshot({ path: `${SCREENSHOTS}referrals.png` });

  // ---- Now the close goes through ----
  await fillClose();
  await page.locator("#incident-badges .status-closed").waitFor();
  assert.match(await page.textContent("#incident-closure"), /CRIME_TRANSFERRED/);

  // ---- A task for the NPT_LS8 team, seen live by its officer ----
  const officer = await signIn(run.browser, base, "pc_ls8");
  await open(officer.page, "/console/tasks", "#live-state.on");
  await officer.page.locator("#board-seen").filter({ hasText: "Updated" }).waitFor();
  await officer.page.evaluate(() => {
    window.samePage = true; // gone if the page were reloaded
  });
  const liveReads = async () => Number((await officer.page.locator("#board-seen").getAttribute("data-live-reads")) || 0);
  const readsBefore = await liveReads();

  await page.keyboard.press("Alt+KeyO");
  assert.equal(await page.evaluate(() => document.activeElement.id), "task-kind");
  await page.locator("#task-kind").selectOption("visit");
  await page.locator("#task-team").selectOption("NPT_LS8");
  assert.match(await page.textContent("#task-team-hint"), /pc_ls8/, "the team's members are shown");
  await page.locator("#task-priority").selectOption("urgent");
  // Due in a minute and a half (the server cannot wait a day for it to be late).
  const dueAt = await page.evaluate(() => {
    const d = new Date(Date.now() + 90_000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  });
  await page.locator("#task-due").fill(dueAt);
  await page.locator("#task-details").fill(TASK_DETAILS);
  await page.locator("#task-details").press("Control+Enter");
  await status.filter({ hasText: "Visit task set for" }).waitFor();
  const onIncident = page.locator("#task-list li", { hasText: TASK_DETAILS });
  await onIncident.waitFor();
  assert.match(await onIncident.textContent(), /Urgent/);

  const officerRow = officer.page.locator("#queue-rows tr[data-task]", { hasText: TASK_DETAILS });
  await officerRow.waitFor({ timeout: 15_000 });
  assert.equal(await officer.page.evaluate(() => window.samePage), true, "the board updated without reloading the page");
  assert.ok((await liveReads()) > readsBefore, "read again because the live feed said a task changed");
  assert.match(await officerRow.textContent(), new RegExp(reference), "the task names its incident");
  assert.match(await officer.page.textContent("#status"), /New task: Visit \(urgent\)/);

  // The officer acknowledges it from the keyboard: on the row, Alt+A.
  await officerRow.focus();
  await officer.page.keyboard.press("Alt+KeyA");
  await officer.page.locator("#status", { hasText: "acknowledged" }).waitFor();
  await officer.page.locator("#queue-rows tr[data-task]", { hasText: "Acknowledged by pc_ls8" }).waitFor();
  await page.locator("#task-list li", { hasText: "Acknowledged by pc_ls8" }).waitFor(); // the handler's panel, live

  // ---- Late: the supervisor's escalated list ----
  const supervisor = await signIn(run.browser, base, "supervisor");
  await open(supervisor.page, "/console/tasks", "#live-state.on");
  assert.equal(await supervisor.page.locator("#escalations").isVisible(), true);
  const escalated = supervisor.page.locator("#escalated-rows tr[data-task]", { hasText: TASK_DETAILS });
  // Due 90 s after it was set; the page reads the board again as a task it shows falls due.
  await escalated.waitFor({ timeout: 150_000 });
  assert.match(await escalated.textContent(), /OVERDUE by/);
  assert.match(await escalated.textContent(), /Escalated to a supervisor/);
  await officer.page.locator("#queue-rows tr.overdue", { hasText: TASK_DETAILS }).waitFor({ timeout: 15_000 });
  // Every required referral was sent and MARAC acknowledged: none is late to chase.
  await supervisor.page.locator("#late-referral-rows", { hasText: "No safeguarding referral is late." }).waitFor();
  await assertNoPlaceholders(supervisor.page, "the supervisor's task board");
  await supervisor.page.screenshot({ path: `${SCREENSHOTS}tasks.png` });

  // Enter on the officer's row opens its incident on the console, where the task is listed.
  await officerRow.focus();
  await officer.page.keyboard.press("Enter");
  await officer.page.locator("#incident-title", { hasText: reference }).waitFor();
  await officer.page.locator("#task-list li", { hasText: "Acknowledged by pc_ls8" }).waitFor();
  await open(officer.page, "/console/tasks", "#live-state.on");

  // The officer completes it (Alt+C, the result, Ctrl+Enter); it leaves the supervisor's list live.
  await officerRow.focus();
  await officer.page.keyboard.press("Alt+KeyC");
  assert.match(await officer.page.evaluate(() => document.activeElement.id), /^complete-queue-/);
  await officer.page.keyboard.type("Visited 03:40: victim and children safe with her sister; safety plan agreed");
  await officer.page.keyboard.press("Control+Enter");
  await officer.page.locator("#status", { hasText: "task completed" }).waitFor();
  await officerRow.waitFor({ state: "detached" });
  await escalated.waitFor({ state: "detached", timeout: 15_000 });
  await page.locator("#task-list li", { hasText: "Completed by pc_ls8" }).waitFor({ timeout: 15_000 });
  await assertNoPlaceholders(officer.page, "the officer's task board");

  await supervisor.context.close();
  await officer.context.close();
  await handler.context.close();
});
