// The dispatcher's journey on the board, from the keyboard, to the end: a unit is sent to an
// emergency that has waited too long, arrives late and is asked why on its own row (no
// browser dialog), and clearing the last unit asks for the result and resolves the incident.
// After every action the focus is still on the same row.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();

// The data-key of the row holding the focus, and what is focused in it.
const focused = (page) =>
  page.evaluate(() => {
    const active = document.activeElement;
    const row = active && active.closest("[data-key]");
    return { row: row ? row.dataset.key : null, control: active ? active.dataset.focus || active.tagName.toLowerCase() : null };
  });

// Wait (briefly) for the focus to settle where expected: the API's answer and the live feed
// both redraw the table, in either order. Then check it.
async function expectFocus(page, expected, message) {
  await page
    .waitForFunction(
      ({ row, control }) => {
        const active = document.activeElement;
        const at = active && active.closest("[data-key]");
        return at && at.dataset.key === row && (control === undefined || active.dataset.focus === control);
      },
      expected,
      { timeout: 2000 },
    )
    .catch(() => {});
  const seen = await focused(page);
  if (expected.control === undefined) assert.equal(seen.row, expected.row, message);
  else assert.deepEqual(seen, expected, message);
}

test("late arrival, the reason asked on the row, then the last unit clears with the result and resolves the incident", async () => {
  const { context, page } = await signIn(run.browser, run.server.base, "dispatcher");
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  // The demo shift's oldest emergency no unit is on yet (long past its attendance target),
  // and two units just round the corner from it: nearer than any of the demo's units on duty.
  const setup = await page.evaluate(async () => {
    const list = await (await import("/assets/common.js")).api("GET", "/api/v1/incidents?status=graded&limit=500");
    const emergency = list.incidents.filter((i) => i.grade === "emergency" && i.lat !== null).sort((a, b) => a.opened_at.localeCompare(b.opened_at))[0];
    const units = {};
    for (const [call_sign, lat, lon] of [["BJ21", emergency.lat + 0.0003, emergency.lon], ["BJ22", emergency.lat, emergency.lon + 0.0006]]) {
      // Crewed for whatever the call needs (a weapon: Taser; an injury: first aid).
      const u = await (await import("/assets/common.js")).api("POST", "/api/v1/units", { call_sign, unit_type: "response", skills: ["first_aid", "taser"], station: "Millgarth" });
      await (await import("/assets/common.js")).api("POST", `/api/v1/units/${u.id}/position`, { lat, lon });
      units[call_sign] = u.id;
    }
    return { units, incident: { id: emergency.id, reference: emergency.reference } };
  });
  const { incident, units } = setup;
  await page.goto("/console/board");
  await page.locator("#live-state.on").waitFor();

  // Recommend, then send the first unit offered, from the keyboard.
  const waiting = page.locator("#awaiting li", { hasText: incident.reference });
  await waiting.getByRole("button", { name: "Recommend units" }).focus();
  await page.keyboard.press("Enter");
  const send = waiting.getByRole("button", { name: /^Send BJ2/ }).first();
  await send.waitFor();
  const sentSign = (await send.textContent()).replace("Send ", "");
  const other = sentSign === "BJ21" ? "BJ22" : "BJ21";
  await expectFocus(page, { row: `incident:${incident.id}`, control: `send-${units[sentSign]}` }, "the first unit offered has the focus");
  await page.keyboard.press("Enter");
  await waiting.waitFor({ state: "detached" });
  assert.match((await focused(page)).row || "", /^incident:/, "the focus stays in the list, on the row now in its place");

  // Each unit shows the incident it is on, by reference.
  const row = page.locator(`#units tr[data-key="unit:${units[sentSign]}"]`);
  await row.locator(".unit-status", { hasText: "Assigned" }).waitFor();
  assert.equal((await row.locator(".unit-incident .unit-incident-ref").textContent()).trim(), incident.reference);

  // A second unit joins (sent by a colleague); clearing it is not the last, so no question.
  await page.evaluate(async ({ id, unit }) => (await import("/assets/common.js")).api("POST", `/api/v1/incidents/${id}/assign`, { unit }), { id: incident.id, unit: units[other] });
  const otherRow = page.locator(`#units tr[data-key="unit:${units[other]}"]`);
  await otherRow.locator(".unit-incident", { hasText: incident.reference }).waitFor();
  await otherRow.getByRole("button", { name: "Clear" }).focus();
  await page.keyboard.press("Enter");
  await otherRow.locator(".unit-status", { hasText: "available" }).waitFor();
  assert.equal((await otherRow.locator(".unit-incident").textContent()).trim(), "");
  await expectFocus(page, { row: `unit:${units[other]}` }, "the focus stays on the cleared unit's row");

  // En route, then at scene: late, so the reason is asked for on the row.
  await row.getByRole("button", { name: "En route" }).focus();
  await page.keyboard.press("Enter");
  await row.locator(".unit-status", { hasText: "En route" }).waitFor();
  await expectFocus(page, { row: `unit:${units[sentSign]}`, control: "action" }, "the focus moves to the row's next step");
  assert.equal((await row.getByRole("button", { name: "At scene" }).textContent()), "At scene");
  await page.keyboard.press("Enter");
  const reason = row.getByLabel("Reason the attendance target was missed");
  await reason.waitFor();
  assert.match(await row.textContent(), /attendance target was missed/);
  await expectFocus(page, { row: `unit:${units[sentSign]}`, control: "reason" });
  // A live change elsewhere redraws the table; what was typed and the focus survive it.
  await page.keyboard.type("Held up at a road traffic collision on the A64");
  await page.evaluate(() => document.querySelectorAll("#units tr").forEach((tr) => (tr.dataset.drawnBefore = "yes")));
  await page.evaluate(async (unit) => (await import("/assets/common.js")).api("POST", `/api/v1/units/${unit}/position`, { lat: 53.805, lon: -1.552 }), units[other]);
  await page.waitForFunction(() => !document.querySelector("#units tr[data-drawn-before]"));
  assert.equal(await reason.inputValue(), "Held up at a road traffic collision on the A64");
  assert.deepEqual(await focused(page), { row: `unit:${units[sentSign]}`, control: "reason" });
  await page.keyboard.press("Enter");
  await row.locator(".unit-status", { hasText: "At scene" }).waitFor();
  await expectFocus(page, { row: `unit:${units[sentSign]}`, control: "action" });

  // Clearing the last unit asks for the result and offers to resolve the incident.
  assert.equal(await row.getByRole("button", { name: "Clear" }).textContent(), "Clear");
  await page.keyboard.press("Enter");
  const result = row.getByLabel(`Result at ${incident.reference}`);
  await result.waitFor();
  await expectFocus(page, { row: `unit:${units[sentSign]}`, control: "result" });
  assert.equal(await row.getByLabel(`Resolve incident ${incident.reference} with this result`).isChecked(), true);
  await page.keyboard.type("Suspect arrested; victim treated by paramedics at the scene");
  await page.keyboard.press("Enter");
  await page.locator("#status", { hasText: `Incident ${incident.reference} resolved` }).waitFor();
  await row.locator(".unit-status", { hasText: "available" }).waitFor();
  await expectFocus(page, { row: `unit:${units[sentSign]}` }, "the focus is still on the unit's row");
  assert.deepEqual(dialogs, [], "no browser dialog was used");

  const seen = await page.evaluate(async (id) => (await import("/assets/common.js")).api("GET", `/api/v1/incidents/${id}`), incident.id);
  assert.equal(seen.status, "resolved");
  const log = JSON.stringify(seen.log);
  assert.match(log, /Attendance target of \d+ minutes missed: Held up at a road traffic collision on the A64/);
  assert.match(log, /available: Suspect arrested; victim treated by paramedics at the scene/);
  await context.close();
});
