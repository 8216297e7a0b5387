// A long incident log comes a page at a time: the incident shows its latest 100 entries and
// a button for the earlier ones, which brings them in above, oldest first, until none are left.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

test("an incident with a long log shows the latest entries and brings in the earlier ones on request", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "handler");

  // An incident with 120 log entries, written through the API as the console writes them.
  const reference = await page.evaluate(async () => {
    const { api } = await import("/assets/common.js");
    const taken = await api("POST", "/api/v1/contacts", {
      channel: "999",
      caller: { name: "Long Log Caller", phone: "07700 900321" },
      location: { text: "1 Park Row, Leeds LS1 5HN", lat: 53.7975, lon: -1.547 },
      summary: "Ongoing disturbance with many updates",
    });
    for (let n = 1; n <= 120; n++) {
      await api("POST", `/api/v1/incidents/${taken.incident.id}/log`, { text: `Update number ${n}` });
    }
    return taken.incident.reference;
  });

  await page.reload();
  await page.locator("#live-state.on").waitFor();
  await page.getByRole("button", { name: reference, exact: true }).first().click();
  await page.locator("#incident-title", { hasText: reference }).waitFor();

  const entries = page.locator("#incident-log li");
  assert.equal(await entries.count(), 100, "the latest 100 entries");
  assert.match(await entries.first().textContent(), /Update number 21$/);
  const earlier = page.locator("#incident-log-earlier");
  assert.match(await earlier.textContent(), /Show earlier log entries \(20 more\)/);

  await earlier.click();
  await page.locator("#log-1").waitFor();
  assert.equal(await entries.count(), 120, "every entry, none twice");
  assert.match(await entries.first().textContent(), /Update number 1$/);
  assert.equal(await page.locator("#incident-log-earlier").count(), 0, "nothing earlier is left");
  await context.close();
});
