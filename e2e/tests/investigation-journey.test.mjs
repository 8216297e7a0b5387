// After the crime is recorded (issue 15), in the browser, from the keyboard where the pages
// offer it: a recorder records a crime from an incident; the investigator screens it in with
// a rationale (refused first without one, beside the field), asks for a crime scene
// investigator and logs lines of enquiry; the CSI books and attends; an arrest opens the
// victim's update deadline, which the supervisor sees among "victims awaiting update"; the
// victim is told; the flags are answered and an outcome proposed (an outcome the evidence does
// not allow is refused, naming the field); the supervisor's quality check approves it and the
// crime is finalised. Screenshots of each new page go to docs/screenshots/.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertNoPlaceholders, SCREENSHOTS, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

// Open a page of the console as an already signed-in user, once its lists have loaded.
async function open(page, path, ready) {
  await page.goto(path);
  await page.locator("#whoami").filter({ hasText: /\S/ }).waitFor();
  if (ready) await page.locator(ready).first().waitFor();
}

test("a crime is screened, investigated, the victim kept informed, and finalised after the supervisor's check", async () => {
  const { base } = run.server;

  // ---- A report of crime, recorded by the crime recorder from the incident ----
  const handler = await signIn(run.browser, base, "handler");
  const incident = await handler.page.evaluate(async () => {
    const { api } = await import("/assets/common.js");
    const taken = await api("POST", "/api/v1/contacts", {
      channel: "999",
      caller: { name: "Tamsin Okafor", phone: "07700 900731", is_victim: true },
      location: { text: "Corner Shop, 3 Harehills Lane, Leeds LS8 5HS" },
      summary: "Punched in the face outside the shop by a man she knows, Rory Blackwood",
      incident_type: "CRIME_VIOLENCE",
    });
    return { id: taken.incident.id, reference: taken.incident.reference };
  });
  await handler.context.close();

  const recorder = await signIn(run.browser, base, "recorder");
  let page = recorder.page;
  await open(page, "/console/crimes", "#live-state.on");
  await page.locator("#queue-rows tr", { hasText: incident.reference }).getByRole("button", { name: `Open incident ${incident.reference}` }).click();
  await page.locator("#decision-title", { hasText: incident.reference }).waitFor();
  const row = page.locator("#offence-rows tr").nth(0);
  assert.equal(await row.getByLabel("Victim's name").inputValue(), "Tamsin Okafor");
  await row.getByLabel("Offence classification").fill("105A");
  await row.getByLabel("Suspect's name").fill("Rory Blackwood");
  await page.getByLabel("Modus operandi").fill("Punched the victim once in the face outside the shop");
  await page.getByRole("button", { name: "Ask the counting rules" }).press("Enter");
  await page.locator("#suggestion-title", { hasText: "record 1 crime" }).waitFor();
  // Anyone of the same name already on record is not them: new records.
  for (const fresh of await page.getByLabel(/^Create a new record for/).all()) await fresh.check();
  await page.getByRole("button", { name: "Record these crimes" }).press("Enter");
  let status = page.locator("#status");
  await status.filter({ hasText: /Recorded CR-\d{4}-\d{6}/ }).waitFor();
  const reference = (await status.textContent()).match(/CR-\d{4}-\d{6}/)[0];
  // The crime's page says where its investigation stands and links to it.
  await page.getByRole("button", { name: `Open crime ${reference}` }).click();
  await page.locator("#crime-facts", { hasText: "Investigation: Not yet screened" }).waitFor();
  const investigationHref = await page.getByRole("link", { name: `Open the investigation of ${reference}` }).getAttribute("href");
  assert.match(investigationHref, /^\/console\/investigations\?crime=/);
  await recorder.context.close();

  // ---- The investigator: the crime is on their queue to screen ----
  const investigator = await signIn(run.browser, base, "investigator");
  page = investigator.page;
  status = page.locator("#status");
  await open(page, "/console/investigations", "#to-screen tr");
  const toScreen = page.locator("#to-screen tr", { hasText: reference });
  await toScreen.waitFor();
  // Alt+I goes to the queue; Enter on the row opens the crime.
  await page.keyboard.press("Alt+I");
  await toScreen.focus();
  await page.keyboard.press("Enter");
  await page.locator("#crime-title", { hasText: reference }).waitFor();
  assert.equal(await page.locator("#crime-stage").textContent(), "Not yet screened");
  assert.match(await page.locator("#crime-facts").textContent(), /Victim: Tamsin Okafor/);
  assert.match(await page.locator("#crime-facts").textContent(), /Suspect: Rory Blackwood/);

  // Screening: refused without a rationale, beside the field; then screened in.
  await page.keyboard.press("Alt+S");
  const screen = page.locator("#screen-form");
  await screen.getByLabel("A suspect is named or can be identified", { exact: true }).check();
  await screen.getByLabel(/^CCTV or other footage/).check();
  await screen.getByLabel("Why: A suspect is named or can be identified").fill("the victim knows him by name");
  assert.equal(await page.getByLabel("Investigator's username, or team").inputValue(), "investigator");
  await page.locator("#screen-rationale").focus();
  await page.keyboard.press("Control+Enter");
  await screen.locator(".form-error", { hasText: /rationale/i }).waitFor();
  assert.equal(await page.locator("#screen-rationale").getAttribute("aria-invalid"), "true");
  await page.locator("#screen-rationale").fill("Named suspect known to the victim, and CCTV at the shop: proportionate to investigate");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: `Crime ${reference} screened in.` }).waitFor();
  assert.equal(await page.locator("#crime-stage").textContent(), "Under investigation");
  assert.match(await page.locator("#screening-now").textContent(), /Screened in, allocated to investigator by investigator/);

  // CSI requested with the preservation advice given, recorded in the incident's log.
  await page.keyboard.press("Alt+C");
  await page.getByLabel("What to examine").fill("Shop door the suspect pushed open");
  await page.getByLabel("Where", { exact: true }).fill("Corner Shop, 3 Harehills Lane, Leeds LS8 5HS");
  await page.getByLabel("Forensic opportunities (one a line)").fill("Fingerprints on the glass door\nBlood on the step");
  await page.getByLabel("Preservation advice given to the caller or victim").fill("Keep the door closed and do not clean the glass");
  assert.equal(await page.locator("#csi-from-incident").isChecked(), true);
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "CSI requested" }).waitFor();
  await page.locator("#csi-requests li", { hasText: "Requested: not yet booked" }).waitFor();

  // Lines of enquiry: house-to-house, and CCTV with its retention date.
  await page.keyboard.press("Alt+E");
  await page.getByLabel("What to do").fill("Ask the flats above the shop what they saw");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Line of enquiry added" }).waitFor();
  await page.keyboard.press("Alt+E");
  await page.getByLabel("Kind").selectOption("cctv_request");
  await page.getByLabel("Camera: where, or whose system").fill("Corner Shop's own camera over the door");
  await page.getByLabel("Footage overwritten on").fill(localInput(Date.now() + 20 * 24 * 3600e3));
  await page.getByLabel("What to do").fill("Seize the footage from 21:00 to 22:00");
  await page.keyboard.press("Control+Enter");
  await page.locator("#enquiries li.enquiry", { hasText: "CCTV request" }).waitFor();
  assert.equal(await page.locator("#enquiries li.enquiry").count(), 2);

  // Both are on the investigator's own queue.
  await page.locator("#my-enquiries tr", { hasText: "House-to-house" }).waitFor();
  await page.locator("#my-enquiries tr", { hasText: "CCTV request" }).waitFor();
  // Screened in to them by name, the crime is on their list of crimes allocated to them.
  await page.locator("#allocated tr", { hasText: reference }).waitFor();
  await page.locator("#queue").screenshot({ path: `${SCREENSHOTS}investigation-queue.png` });

  // The house-to-house result.
  const houseToHouse = page.locator("#enquiries li.enquiry", { hasText: "House-to-house" });
  await houseToHouse.getByLabel("Result").fill("Flat 2 saw the punch; statement taken");
  await houseToHouse.getByRole("button", { name: "Record the result" }).click();
  await page.locator("#enquiries li.enquiry", { hasText: "Done" }).waitFor();

  // ---- The CSI books and attends ----
  const csi = await signIn(run.browser, base, "csi_officer");
  const scenes = csi.page;
  await open(scenes, "/console/scenes", "#csi-queue tr");
  const request = scenes.locator("#csi-queue tr", { hasText: reference });
  await request.waitFor();
  assert.match(await request.textContent(), /Not yet booked/);
  await request.getByRole("button", { name: `Open crime ${reference}` }).click();
  await scenes.locator("#request-title", { hasText: reference }).waitFor();
  assert.match(await scenes.locator("#request-facts").textContent(), /Keep the door closed and do not clean the glass/);
  await scenes.keyboard.press("Alt+B");
  // The demo's CSI diary has slots every two hours: the first free one is offered first.
  const slot = scenes.getByLabel("Slot in the CSI diary");
  await slot.locator("option[value^='20']").first().waitFor({ state: "attached" });
  assert.match(await slot.locator("option").first().textContent(), /free/);
  await scenes.keyboard.press("Control+Enter");
  await scenes.locator("#status", { hasText: "Booked for" }).waitFor();
  await scenes.locator("#csi-queue tr", { hasText: reference }).filter({ hasNotText: "Not yet booked" }).waitFor();
  await scenes.keyboard.press("Alt+A");
  await scenes.getByLabel("Exhibit reference").fill("JJ/1");
  await scenes.getByLabel("Exhibit description").fill("Fingerprint lifts from the glass door");
  await scenes.screenshot({ path: `${SCREENSHOTS}csi-queue.png`, fullPage: true });
  await scenes.locator("#attend-time").focus();
  await scenes.keyboard.press("Control+Enter");
  await scenes.locator("#status", { hasText: "Result recorded" }).waitFor();
  await scenes.locator("#csi-queue tr", { hasText: "No scene examination waiting" }).waitFor();
  await assertNoPlaceholders(scenes, "the CSI queue");
  await csi.context.close();

  // ---- The arrest opens the victim's update deadline ----
  await page.reload();
  await page.locator("#crime-title", { hasText: reference }).waitFor();
  await page.locator("#csi-requests li", { hasText: "Attended" }).waitFor();
  assert.match(await page.locator("#csi-requests").textContent(), /JJ\/1/);
  await page.keyboard.press("Alt+K");
  assert.equal(await page.getByLabel("What happened").inputValue(), "suspect_arrested");
  await page.getByLabel("Note").fill("Arrested at his home address");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Suspect arrested recorded" }).waitFor();
  const owed = page.locator("#deadlines li.deadline.open");
  await owed.waitFor();
  assert.match(await owed.textContent(), /Tell Tamsin Okafor: due by .* working day/);

  // The supervisor sees it among the victims awaiting an update.
  const supervisor = await signIn(run.browser, base, "supervisor");
  const reviews = supervisor.page;
  await open(reviews, "/console/reviews", "#victims-waiting tr");
  const waiting = reviews.locator("#victims-waiting tr", { hasText: reference });
  await waiting.waitFor();
  assert.match(await waiting.textContent(), /Tell the victim: suspect arrested/);
  assert.match(await waiting.textContent(), /due by/);

  // ---- The victim is told ----
  await page.keyboard.press("Alt+U");
  assert.match(await page.locator("#update-deadline option:checked").textContent(), /Suspect arrested: tell Tamsin Okafor/);
  await page.getByLabel("How they were told").selectOption("phone");
  await page.getByLabel("What they were told").fill("Told her he was arrested and is in custody");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Update to Tamsin Okafor recorded" }).waitFor();
  await page.locator("#deadlines li.deadline.informed", { hasText: "Told on time" }).waitFor();
  assert.equal(await page.locator("#update-section").isHidden(), true, "nothing more owed");
  await page.locator("#crime").screenshot({ path: `${SCREENSHOTS}investigation-crime.png` });

  // ---- Flags and the outcome ----
  await page.keyboard.press("Alt+F");
  // On a flag, N answers no and moves to the next.
  await page.keyboard.press("n");
  assert.equal(await page.locator('li[data-flag="DOMESTIC_ABUSE"] input[value="no"]').isChecked(), true);
  await page.getByRole("button", { name: 'Answer every unanswered flag "no"' }).click();
  await page.locator("#flag-list").locator("input").first().focus();
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Crime flags saved" }).waitFor();
  assert.match(await page.locator("#flags-now").textContent(), /no to all/);

  // Not while a line of enquiry is open: the refusal takes the focus to the enquiry's result.
  await page.keyboard.press("Alt+O");
  await page.getByLabel("Home Office outcome").selectOption("1");
  await page.getByLabel("Rationale", { exact: true }).fill("CPS authorised a charge of assault occasioning actual bodily harm");
  await page.keyboard.press("Control+Enter");
  const outcomeError = page.locator("#outcome-form .form-error");
  await outcomeError.filter({ hasText: /Seize the footage .* has no result yet/ }).waitFor();
  const cctv = page.locator("#enquiries li.enquiry", { hasText: "CCTV request" }).getByLabel("Result");
  assert.equal(await cctv.getAttribute("aria-invalid"), "true");
  assert.equal(await cctv.evaluate((input) => input === document.activeElement), true);
  await page.keyboard.type("Footage seized: shows the punch and the suspect's face");
  await page.keyboard.press("Enter");
  await page.locator("#enquiries li.enquiry", { hasText: "Footage seized" }).waitFor();

  // Outcome 18 (no suspect identified) does not fit a crime with a named suspect.
  await page.keyboard.press("Alt+O");
  await page.getByLabel("Home Office outcome").selectOption("18");
  await page.getByLabel("Rationale", { exact: true }).fill("CPS authorised a charge of assault occasioning actual bodily harm");
  await page.keyboard.press("Control+Enter");
  await outcomeError.filter({ hasText: /suspect/ }).waitFor();
  assert.equal(await page.locator("#outcome-code").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#crime-stage").textContent(), "Under investigation", "nothing recorded");
  await page.getByLabel("Home Office outcome").selectOption("1");
  await page.getByLabel("CPS reference (if any)").fill("CPS-42");
  await page.getByLabel("Home Office outcome").focus();
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "Outcome proposed" }).waitFor();
  assert.equal(await page.locator("#crime-stage").textContent(), "Outcome proposed: awaiting the supervisor's review");
  await assertNoPlaceholders(page, "the investigation page");
  assert.doesNotMatch(await page.locator("main").innerText(), UUID);
  await investigator.context.close();

  // ---- The supervisor's quality check ----
  await reviews.reload();
  const review = reviews.locator("#awaiting-review tr", { hasText: reference });
  await review.waitFor();
  assert.match(await review.textContent(), /finalisation awaiting review/i);
  await review.getByRole("button", { name: `Open crime ${reference}` }).click();
  await reviews.locator("#crime-title", { hasText: reference }).waitFor();
  assert.match(await reviews.locator("#outcome-now").textContent(), /Outcome 1 Charged or summonsed \(CPS CPS-42\)/);
  assert.match(await reviews.locator("#on-time").textContent(), /100% \(1 of 1 updates on time\)/);
  // Approval needs every item of the checklist.
  await reviews.keyboard.press("Alt+A");
  await reviews.keyboard.press("Space");
  await reviews.keyboard.press("Control+Enter");
  await reviews.locator("#approve-form .form-error", { hasText: /checklist/i }).waitFor();
  for (const box of await reviews.locator("#checklist input").all()) await box.check();
  await reviews.screenshot({ path: `${SCREENSHOTS}finalisation-review.png`, fullPage: true });
  await reviews.locator("#checklist input").first().focus();
  await reviews.keyboard.press("Control+Enter");
  await reviews.locator("#status", { hasText: `Crime ${reference} finalised` }).waitFor();
  assert.equal(await reviews.locator("#crime-stage").textContent(), "Finalised");
  // Finalising is itself a key event: the victim is owed word of the outcome.
  const finalised = reviews.locator("#key-events li.key-event", { hasText: "Crime finalised" });
  await finalised.waitFor();
  assert.match(await finalised.locator(".deadline.open").textContent(), /Tell Tamsin Okafor: due by/);
  await assertNoPlaceholders(reviews, "the reviews page");
  assert.doesNotMatch(await reviews.locator("main").innerText(), UUID);
  await supervisor.context.close();
});

test("each page is for its roles: the CSI queue is not the investigator's, nor reviews the CSI's", async () => {
  const { base } = run.server;
  const investigator = await signIn(run.browser, base, "investigator");
  assert.equal((await investigator.page.goto("/console/scenes")).status(), 403);
  assert.equal((await investigator.page.goto("/console/reviews")).status(), 403);
  await open(investigator.page, "/console/investigations", "#to-screen tr");
  assert.equal(await investigator.page.locator("#investigations-link").count(), 0, "no link to itself");
  await investigator.context.close();
  const csi = await signIn(run.browser, base, "csi_officer");
  assert.equal((await csi.page.goto("/console/investigations")).status(), 403);
  await open(csi.page, "/console/scenes", "#csi-queue tr");
  assert.equal(await csi.page.locator("#reviews-link").count(), 0);
  await csi.context.close();
});

// A time as a datetime-local input takes it, in the browser's (and this machine's) zone.
function localInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
