// Shared by the browser tests: start the real server with a demo force on a free loopback
// port, and launch Debian's Chromium through playwright-core (no browser download, ever).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

export const SCREENSHOTS = new URL("../../docs/screenshots/", import.meta.url).pathname;

export async function startServer() {
  const bin = process.env.CONTROLROOM_BIN ?? new URL("../../target/debug/controlroom", import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), "controlroom-e2e-"));
  const child = spawn(
    bin,
    ["serve", "--demo", "--listen", "127.0.0.1:0", "--database-url", `sqlite://${join(dir, "e2e.db")}`, "--search-dir", join(dir, "search")],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CONTROLROOM_LOG: "warn,tantivy=error" } },
  );
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`controlroom exited with ${code} before listening`)));
    lines.on("line", (line) => {
      const match = line.match(/^Control Room listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
  });
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// One demo server and one browser for a whole test file: started before its tests, stopped
// after them. `run.server.base` and `run.browser` are set once the tests start.
export function serverAndBrowser() {
  const run = {};
  before(async () => {
    run.server = await startServer();
    run.browser = await launchBrowser();
  });
  after(async () => {
    await run.browser?.close();
    await run.server?.stop();
  });
  return run;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function signIn(browser, base, username, { viewport = { width: 1366, height: 768 }, beforeSignIn } = {}) {
  const context = await browser.newContext({ viewport, baseURL: base });
  const page = await context.newPage();
  if (beforeSignIn) await beforeSignIn(page);
  await page.goto("/signin");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(`${username}-demo`);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/console$/);
  await page.locator("#live-state.on").waitFor();
  return { context, page };
}

// A supervisor approves closing an incident that no unit attended, from their own console.
export async function approveUnattended(browser, base, reference, reason) {
  const { context, page } = await signIn(browser, base, "supervisor");
  await page.locator("#incident-rows button", { hasText: reference }).click();
  await page.locator("#incident-title", { hasText: reference }).waitFor();
  const form = page.locator("#approve-unattended-form");
  await form.getByLabel(/approve closing with no unit attended/i).fill(reason);
  await form.getByRole("button", { name: /Approve closing unattended/ }).click();
  await page.locator("#status", { hasText: "without attendance approved" }).waitFor();
  await context.close();
}

// Nothing a person reads says "null", "undefined" or "NaN".
export async function assertNoPlaceholders(page, where) {
  const text = await page.evaluate(() => document.body.innerText);
  const found = text.match(/.{0,40}\b(null|undefined|NaN)\b.{0,40}/);
  if (found) throw new Error(`${where}: the page says "${found[1]}": …${found[0]}…`);
}

// Every referral the incident panel lists as required (issue 17: a close is refused until each
// is sent), drafted and sent from the referrals section with the consent of `consentBy`.
export async function sendRequiredReferrals(page, consentBy = "The victim") {
  await page.keyboard.press("Alt+KeyP");
  await page.locator("#referrals-required > *").first().waitFor();
  const outstanding = page.locator("#referrals-required li.outstanding");
  while ((await outstanding.count()) > 0) {
    const type = await outstanding.first().getAttribute("data-required");
    await outstanding.first().locator("button.draft-required").press("Enter");
    await page.locator("#referral-reason").fill(`Required by the force's referral rules: ${type}`);
    await page.locator("#consent-given-by").fill(consentBy);
    await page.locator("#consent-how").fill("Verbally on the call");
    await page.locator("#referral-shared").fill("The DASH answers and risk level\nContact details agreed with the victim");
    await page.locator("#referral-shared").press("Control+Enter");
    await page.locator(`#referrals-required li[data-required="${type}"].settled`).waitFor();
  }
}

// Open a page of the console as an already signed-in user, once its session has loaded.
export async function open(page, path, ready) {
  await page.goto(path);
  await page.locator("#whoami").filter({ hasText: /\S/ }).waitFor();
  if (ready) await page.locator(ready).first().waitFor();
}

// Whether an element is wholly inside the 1366×768 window as it is scrolled now.
export async function inView(locator) {
  const box = await locator.boundingBox();
  const size = locator.page().viewportSize();
  return Boolean(box) && box.y >= 0 && box.y + box.height <= size.height && box.x >= 0 && box.x + box.width <= size.width;
}
