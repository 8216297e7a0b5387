// Links and the console's gaps on a crime's investigation (issue 15), in the browser and from
// the keyboard: the investigator links a second crime by its reference (a reference that names
// no crime is refused beside the field, and what was typed stays), links a person on record as
// a suspect (found with the intelligence search), gives an open line of enquiry to another
// officer (an unknown username refused beside the field) and cancels a CSI request that is no
// longer needed (refused without a reason). The links panel goes to docs/screenshots/.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertNoPlaceholders, SCREENSHOTS, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

// Two burglaries next door to each other, reported directly, each with its victim.
async function recordTwoBurglaries(page) {
  return page.evaluate(async () => {
    const { api } = await import("/assets/common.js");
    const hour = 3600e3;
    const burglary = async (victim, location, modus_operandi) => {
      const person = await api("POST", "/api/v1/people", { names: [victim] });
      const crime = await api(
        "POST",
        "/api/v1/crimes",
        {
          classification: "28E",
          parties: [{ person: person.id, role: "victim" }],
          reported_at: new Date(Date.now() - hour).toISOString(),
          offence_from: new Date(Date.now() - 8 * hour).toISOString(),
          offence_to: new Date(Date.now() - 2 * hour).toISOString(),
          location,
          modus_operandi,
        },
        crypto.randomUUID(),
      );
      return { id: crime.id, reference: crime.reference };
    };
    return [
      await burglary("Nadia Perez", "14 Elm Street, Leeds LS6 1AA", "Rear door forced with a screwdriver; laptop and jewellery taken"),
      await burglary("Owen Hart", "16 Elm Street, Leeds LS6 1AA", "Rear door forced with a screwdriver; games console taken"),
    ];
  });
}

test("the investigator links a crime and a suspect, reassigns an enquiry and cancels a CSI request", async () => {
  const { base } = run.server;

  const recorder = await signIn(run.browser, base, "recorder");
  await recorder.page.goto("/console/crimes");
  await recorder.page.locator("#whoami").filter({ hasText: /\S/ }).waitFor();
  const [first, second] = await recordTwoBurglaries(recorder.page);
  await recorder.context.close();

  const { context, page } = await signIn(run.browser, base, "investigator");
  const status = page.locator("#status");
  await page.goto(`/console/investigations?crime=${first.id}`);
  await page.locator("#crime-title", { hasText: first.reference }).waitFor();
  // Screened in, a line of enquiry and a CSI request: as the investigation journey does them.
  await page.evaluate(async (id) => {
    const { api } = await import("/assets/common.js");
    const post = (body) => api("POST", `/api/v1/crimes/${id}/investigation`, body, crypto.randomUUID());
    await post({
      action: "screen",
      decision: { decision: "screen_in", allocation: { to: "person", investigator: "investigator" } },
      factors: [{ factor: "FORENSIC", note: "tool marks on the rear door" }],
      rationale: "Forensic opportunity at the rear door, and a second burglary next door the same night",
    });
    await post({
      action: "add_enquiry",
      id: crypto.randomUUID(),
      kind: "house_to_house",
      description: "Ask Elm Street who saw anyone in the back gardens",
      owner: "investigator",
      due: new Date(Date.now() + 2 * 24 * 3600e3).toISOString(),
    });
    await post({
      action: "request_csi",
      id: crypto.randomUUID(),
      what: "Rear door frame with tool marks",
      location: "14 Elm Street, Leeds LS6 1AA",
      forensic_opportunities: ["Tool marks on the door frame"],
      preservation_advice: "Do not touch the door or the frame",
      incident: null,
    });
  }, first.id);
  await page.reload();
  await page.locator("#crime-title", { hasText: first.reference }).waitFor();
  await page.locator("#my-enquiries tr", { hasText: "House-to-house" }).waitFor();
  assert.match(await page.locator("#linked-crimes").textContent(), /Not linked to any other crime/);
  assert.match(await page.locator("#linked-people").textContent(), /Nadia Perez\s*Victim\s*named when the crime was recorded/);

  // ---- Link the second crime, by its reference ----
  await page.keyboard.press("Alt+L");
  const reference = page.getByLabel("The other crime's reference");
  assert.equal(await reference.evaluate((input) => input === document.activeElement), true);
  // A reference that names no crime: said under the field, and what was typed stays.
  await page.keyboard.type("CR-1999-999999");
  await page.keyboard.press("Control+Enter");
  const linkForm = page.locator("#link-crime-form");
  await linkForm.locator(".field-error", { hasText: "No crime has the reference CR-1999-999999" }).waitFor();
  assert.equal(await reference.getAttribute("aria-invalid"), "true");
  assert.equal(await reference.inputValue(), "CR-1999-999999");
  assert.equal(await page.locator("#linked-crimes li.link").count(), 0, "nothing linked");
  // Its own reference is not another crime.
  await reference.fill(first.reference);
  await page.keyboard.press("Control+Enter");
  await linkForm.locator(".field-error", { hasText: `${first.reference} is this crime` }).waitFor();
  // Typed in lower case: found, and said which crime it is before anything is linked.
  await reference.fill(second.reference.toLowerCase());
  assert.equal(await linkForm.locator(".field-error").count(), 0, "the problem goes once the user types");
  await page.keyboard.press("Tab");
  await page.locator("#link-found", { hasText: `Found: ${second.reference} · 28E Burglary Residential, at 16 Elm Street` }).waitFor();
  await page.getByLabel("How they are linked").selectOption("series");
  await page.getByLabel("What links them (optional)").fill("Same method: rear door forced with a screwdriver, the same night");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: `Crime ${first.reference} linked to ${second.reference}: series.` }).waitFor();
  const linkedCrime = page.locator("#linked-crimes li.link", { hasText: second.reference });
  await linkedCrime.waitFor();
  assert.match(await linkedCrime.textContent(), /Series.*28E Burglary Residential, at 16 Elm Street.*Note: Same method/);
  assert.equal(await linkedCrime.getByRole("link", { name: second.reference }).getAttribute("href"), `/console/investigations?crime=${encodeURIComponent(second.id)}`);
  assert.equal(await page.locator("#link-crime-section").evaluate((d) => d.open), false, "the form folds away once done");

  // ---- Link a person on record as a suspect ----
  await page.keyboard.press("Alt+N");
  await page.keyboard.type("Darren Webb");
  await page.keyboard.press("Enter");
  const darren = page.getByLabel(/^Darren Webb, born 17 Jan 1996/);
  await darren.waitFor();
  await page.locator("#link-person-form").screenshot({ path: `${SCREENSHOTS}investigation-link-person.png` });
  await darren.check();
  // No role chosen: said beside the role.
  await page.keyboard.press("Control+Enter");
  await page.locator("#link-person-form .field-error", { hasText: "Choose their role" }).waitFor();
  assert.equal(await page.getByLabel("Role in this crime").getAttribute("aria-invalid"), "true");
  await page.getByLabel("Role in this crime").selectOption("suspect");
  await page.getByLabel("Why they are linked (optional)").fill("Seen in the back gardens of Elm Street at 02:00");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: `Darren Webb linked to ${first.reference} as suspect.` }).waitFor();
  const suspect = page.locator("#linked-people li.link", { hasText: "Darren Webb" });
  await suspect.waitFor();
  assert.match(await suspect.textContent(), /Darren Webb\s*Suspect\s*linked during the investigation.*Note: Seen in the back gardens/);
  assert.match(await suspect.getByRole("link", { name: "Darren Webb" }).getAttribute("href"), /^\/console\/records\/person\//);
  assert.match(await page.locator("#crime-facts").textContent(), /Suspect: Darren Webb/);
  await page.locator("#links").screenshot({ path: `${SCREENSHOTS}investigation-links.png` });

  // ---- Reassign the open line of enquiry ----
  const enquiry = page.locator("#enquiries li.enquiry", { hasText: "House-to-house" });
  await enquiry.getByRole("button", { name: "Reassign: Ask Elm Street who saw anyone in the back gardens" }).click();
  const owner = page.getByLabel("Give it to (username)");
  assert.equal(await owner.evaluate((input) => input === document.activeElement), true);
  assert.match(await page.locator("#reassign-enquiry option:checked").textContent(), /House-to-house: Ask Elm Street .* \(now investigator, due/);
  assert.notEqual(await page.locator("#reassign-due").inputValue(), "", "due as it was");
  await page.keyboard.type("ds_nobody");
  await page.getByLabel("Why it is reassigned").fill("I am on rest days; the DS takes the house-to-house");
  await owner.focus();
  await page.keyboard.press("Control+Enter");
  const reassignForm = page.locator("#reassign-form");
  await reassignForm.locator(".field-error", { hasText: "there is no user 'ds_nobody'" }).waitFor();
  assert.equal(await owner.getAttribute("aria-invalid"), "true");
  assert.equal(await owner.inputValue(), "ds_nobody", "what was typed stays");
  assert.equal(await page.getByLabel("Why it is reassigned").inputValue(), "I am on rest days; the DS takes the house-to-house");
  await owner.fill("supervisor");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "House-to-house: Ask Elm Street who saw anyone in the back gardens reassigned to supervisor" }).waitFor();
  assert.match(await enquiry.textContent(), /supervisor, due by/);
  // No longer on the investigator's own list.
  await page.locator("#my-enquiries tr", { hasText: "No lines of enquiry waiting for you" }).waitFor();

  // ---- Cancel the CSI request ----
  await page.keyboard.press("Alt+X");
  assert.match(await page.locator("#cancel-csi-request option:checked").textContent(), /Rear door frame with tool marks at 14 Elm Street.*Requested: not yet booked/);
  // Not without a reason, said beside it.
  await page.keyboard.press("Control+Enter");
  const reason = page.getByLabel("Reason for cancelling (the CSI team reads it)");
  await page.locator("#cancel-csi-form .field-error").waitFor();
  assert.equal(await reason.getAttribute("aria-invalid"), "true");
  assert.equal(await reason.evaluate((input) => input === document.activeElement), true);
  await page.keyboard.type("The victim had the door repaired before CSI could attend");
  await page.keyboard.press("Control+Enter");
  await status.filter({ hasText: "CSI request cancelled: Rear door frame with tool marks at 14 Elm Street" }).waitFor();
  await page.locator("#csi-requests li", { hasText: "Cancelled by investigator: The victim had the door repaired" }).waitFor();
  assert.equal(await page.locator("#cancel-csi-section").isHidden(), true, "nothing left to cancel");

  await assertNoPlaceholders(page, "the investigation page");
  assert.doesNotMatch(await page.locator("main").innerText(), UUID);

  // ---- The linked crime's reference opens its own investigation ----
  await page.locator("#linked-crimes").getByRole("link", { name: second.reference }).click();
  await page.waitForURL(new RegExp(`crime=${second.id}`));
  await page.locator("#crime-title", { hasText: second.reference }).waitFor();
  assert.match(await page.locator("#linked-people").textContent(), /Owen Hart\s*Victim/);
  await context.close();
});
