// The console end to end: a contact handler takes a 999 call from start to close using only
// the keyboard while a dispatcher watches it appear and change live.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SCREENSHOTS, approveUnattended, assertNoPlaceholders, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

// Wait until `check` passes, polling; fails after `ms`. For asserting on live updates.
async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms: ${last?.message}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the console", () => {
  test("a handler takes a 999 call from the keyboard; a dispatcher sees it live", async () => {
    const dispatcher = await signIn(run.browser, run.server.base, "dispatcher");
    const d = dispatcher.page;
    await d.getByLabel("Status").selectOption("");
    const handler = await signIn(run.browser, run.server.base, "handler");
    const h = handler.page;

    // New call, entirely from the keyboard.
    await h.keyboard.press("Alt+KeyN");
    assert.equal(await h.evaluate(() => document.activeElement.id), "channel");
    await h.keyboard.press("Tab");
    await h.keyboard.type("CRIME_VIOLENCE");
    await h.keyboard.press("Tab");
    await h.keyboard.type("Kerry Walsh");
    await h.keyboard.press("Tab");
    await h.keyboard.type("07700 900555");
    await h.keyboard.press("Tab");
    await h.keyboard.press("Tab");
    await h.keyboard.press("Space");
    await h.keyboard.press("Tab");
    await h.keyboard.type("Outside 3 Albion Street, Leeds LS1 5AA");
    // No suggestion taken: the caller's words stand, and the handler drops a pin from the
    // keyboard (Enter on the map places it at the centre).
    await h.keyboard.press("Tab");
    assert.equal(await h.evaluate(() => document.activeElement.id), "call-map");
    await h.keyboard.press("Enter");
    await h.locator("#location-precision", { hasText: "map pin" }).waitFor();
    await h.keyboard.press("Tab"); // the handset location, closed
    await h.keyboard.press("Tab");
    await h.keyboard.type("Two men fighting, one has a bottle. Caller was hit on the arm.");
    await h.screenshot({ path: `${SCREENSHOTS}call-card.png` });
    await h.keyboard.press("Control+Enter");

    const title = h.locator("#incident-title");
    await title.waitFor();
    const reference = (await title.textContent()).replace("Incident ", "").trim();
    assert.match(reference, /^\d{8}-\d{4}$/);
    assert.equal(await h.evaluate(() => document.activeElement.id), "log-text", "focus goes to the log after saving");

    // The dispatcher's list shows it without a reload.
    const row = d.locator("#incident-rows tr", { hasText: reference });
    await eventually(async () => assert.equal(await row.count(), 1), 1500, "the new incident appearing live");
    assert.match(await row.textContent(), /Not graded/);

    // Log, grade and close, all from the keyboard.
    await h.keyboard.type("Ambulance requested for the caller");
    await h.keyboard.press("Control+Enter");
    await h.locator("#incident-log li", { hasText: "Ambulance requested" }).waitFor();
    assert.equal(await h.evaluate(() => document.activeElement.id), "log-text", "focus stays in the log");

    await h.keyboard.press("Alt+KeyG");
    assert.equal(await h.evaluate(() => document.activeElement.id), "grade");
    await h.keyboard.press("ArrowDown");
    await h.keyboard.press("Tab");
    await h.keyboard.type("Weapon involved and injury; suspects still present");
    await h.keyboard.press("Control+Enter");
    await h.locator("#incident-badges .grade-emergency").waitFor();
    await eventually(async () => assert.match(await row.textContent(), /Emergency/i), 1500, "the grade appearing live");
    assert.match(await row.getAttribute("class"), /\bemergency\b/, "emergencies stand out");
    assert.match(await row.locator("td.grade").textContent(), /Emergency/, "in words, not colour alone");
    await h.screenshot({ path: `${SCREENSHOTS}incident-view.png` });
    await d.screenshot({ path: `${SCREENSHOTS}live-list.png` });

    // British Transport Police got there first and arrested both: no unit of ours attended, so
    // the supervisor approves closing the emergency, and it closes as transferred.
    await approveUnattended(run.browser, run.server.base, reference, "British Transport Police attended and arrested both men");
    await h.locator("#unattended-notice", { hasText: "approved by supervisor" }).waitFor();
    await h.keyboard.press("Alt+KeyC");
    assert.equal(await h.evaluate(() => document.activeElement.id), "closing-code");
    await h.keyboard.type("CRIME_TRANSFERRED");
    await h.keyboard.press("Tab"); // final incident type: stays CRIME_VIOLENCE
    await h.locator("#close-qualifier-boxes").getByLabel("Alcohol related", { exact: true }).check();
    await h.locator("#close-qualifier-boxes").getByLabel("Injury", { exact: true }).check();
    await h.getByLabel("Crime reference").fill("BTP-2611-0042");
    await h.getByLabel("Resolution").fill("Two males arrested by BTP officers at scene");
    await h.getByLabel("Resolution").press("Control+Enter");
    await h.locator("#incident-badges .status-closed").waitFor();
    await eventually(async () => assert.match(await row.textContent(), /Closed/), 1500, "the closure appearing live");

    // The incident view shows the whole story.
    const history = await h.locator("#incident-history").textContent();
    assert.match(history, /Open → Graded/);
    assert.match(history, /Graded → Closed/);

    // Fits both control-room screen sizes without sideways scrolling.
    for (const viewport of [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
      for (const page of [h, d]) {
        await page.setViewportSize(viewport);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `no horizontal scrolling at ${viewport.width}×${viewport.height} (${overflow}px over)`);
      }
    }
    await h.screenshot({ path: `${SCREENSHOTS}console-1920x1080.png` });

    await dispatcher.context.close();
    await handler.context.close();
  });

  test("a contact handler is refused the supervisor page; a supervisor gets it", async () => {
    const handler = await signIn(run.browser, run.server.base, "handler");
    const refused = await handler.page.goto("/console/supervisor");
    assert.equal(refused.status(), 403);
    assert.match(await handler.page.textContent("h1"), /Not available to your role/);
    await handler.context.close();

    const supervisor = await signIn(run.browser, run.server.base, "supervisor");
    const allowed = await supervisor.page.goto("/console/supervisor");
    assert.equal(allowed.status(), 200);
    await supervisor.page.getByRole("button", { name: "Verify the audit trail now" }).click();
    const verdict = supervisor.page.locator("#verify-result", { hasText: /Intact|Problem/ });
    await verdict.waitFor();
    assert.match(await verdict.textContent(), /^Intact/);
    await supervisor.context.close();
  });

  test("invalid input is shown next to the field and nothing typed is lost", async () => {
    const { context, page } = await signIn(run.browser, run.server.base, "handler");
    await page.keyboard.press("Alt+KeyN");
    await page.getByLabel("Name", { exact: true }).fill("Sam Okoro");
    await page.getByLabel("Phone", { exact: true }).fill("call me maybe");
    await page.getByLabel("Where").fill("Leeds Kirkgate Market");
    await page.getByLabel("What is happening").fill("Shoplifter detained by security");
    await page.getByLabel("What is happening").press("Control+Enter");

    const error = page.locator("#error-caller-phone");
    await error.waitFor();
    assert.match(await error.textContent(), /not a telephone number/);
    assert.equal(await page.getByLabel("Phone", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.id), "caller-phone", "the cursor goes to the field to fix");
    assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), "Sam Okoro");
    assert.equal(await page.getByLabel("What is happening").inputValue(), "Shoplifter detained by security");

    // Fixing it and saving again works.
    await page.getByLabel("Phone", { exact: true }).fill("0113 496 0000");
    await page.keyboard.press("Control+Enter");
    await page.locator("#incident-title").waitFor();
    await context.close();
  });

  test("a second caller about the same event joins the open incident", async () => {
    const { context, page } = await signIn(run.browser, run.server.base, "handler");
    const row = page.locator("#incident-rows tr", { hasText: "Woodhouse Moor park" });
    await row.getByRole("button").click();
    await page.locator("#incident-title", { hasText: "Incident" }).waitFor();
    const before = await page.locator("#incident-contacts li").count();
    await page.keyboard.press("Alt+KeyJ");
    assert.match(await page.textContent("#call-card-title"), /Another caller for/);
    await page.getByLabel("Name", { exact: true }).fill("Omar Haddad");
    await page.getByLabel("Where").fill("Woodhouse Moor, near the bowling green");
    await page.getByLabel("What is happening").fill("Heard two bangs, saw a man running towards Hyde Park Corner");
    await page.keyboard.press("Control+Enter");
    await page.locator("#status", { hasText: "Caller added" }).waitFor();
    assert.equal(await page.locator("#incident-contacts li").count(), before + 1);
    assert.match(await page.locator("#incident-contacts").textContent(), /Omar Haddad/);

    // The light theme is one click away and remembered.
    await page.getByRole("button", { name: "Light theme" }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
    await context.close();
  });

  test("an idle console warns, then signs out and returns to sign-in", async () => {
    const { context, page } = await signIn(run.browser, run.server.base, "handler", {
      beforeSignIn: (p) => p.clock.install(),
    });
    await page.clock.fastForward("14:30");
    const warning = page.locator("#session-warning");
    await warning.waitFor();
    assert.match(await warning.textContent(), /signed out in \d+ seconds/);
    await page.clock.fastForward("01:00");
    await page.waitForURL(/\/signin\?expired=1$/);
    assert.match(await page.locator("#signin-notice").textContent(), /session ended/);
    // The server ended the session too: the console is no longer served.
    await page.goto("/console");
    assert.match(page.url(), /\/signin/);
    await context.close();
  });

  test("every console page warns a minute before the idle sign-out", async () => {
    for (const [user, path] of [
      ["dispatcher", "/console/board"],
      ["recorder", "/console/crimes"],
      ["supervisor", "/console/supervisor"],
    ]) {
      const { context, page } = await signIn(run.browser, run.server.base, user, {
        beforeSignIn: (p) => p.clock.install(),
      });
      await page.goto(path);
      await page.locator("#whoami", { hasText: user }).waitFor();
      await page.clock.fastForward("14:30");
      const warning = page.locator("#session-warning");
      await warning.waitFor();
      assert.match(await warning.textContent(), /signed out in \d+ seconds/, path);
      await page.keyboard.press("Shift");
      await page.clock.fastForward("00:02");
      await warning.waitFor({ state: "hidden" });
      await context.close();
    }
  });

  test("the administrator's console starts on the accounts page and adds an account", async () => {
    const context = await run.browser.newContext({ viewport: { width: 1366, height: 768 }, baseURL: run.server.base });
    const page = await context.newPage();
    await page.goto("/signin");
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("admin-demo");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/admin$/);
    await page.locator("#users tr", { hasText: "handler" }).first().waitFor();
    await page.getByLabel("Username").fill("nightcall2");
    await page.locator("#role-boxes").getByLabel("Contact handler").check();
    await page.getByLabel(/Password/).fill("a-long-night-shift-pass");
    await page.getByRole("button", { name: "Add account" }).click();
    await page.locator("#status", { hasText: "Account nightcall2 added" }).waitFor();
    await page.locator("#users tr", { hasText: "nightcall2" }).waitFor();
    await assertNoPlaceholders(page, "the accounts page");
    await context.close();
  });
});
