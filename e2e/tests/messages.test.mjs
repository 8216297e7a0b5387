// Messages to a person or a team (issue 17), in the browser, from the keyboard: the NPT_LS8
// officer (pc_ls8) has the task board open, and the console in another tab. The supervisor
// writes to the team about one of the night's incidents from the send form on their own task
// board (Alt+S): a team the directory does not have (NPT_LS99) is refused beside "To", with
// the words typed kept; with NPT_LS8 it is sent. On the officer's board the message arrives
// without reloading, unread (in bold, counted, announced), naming the incident as a link to
// it; the officer's console says "1 unread message" live. The officer marks it read
// (Alt+M, Alt+R): the count goes, the console's too, and the supervisor sees "Read by
// pc_ls8" on what they sent. Screenshot: docs/screenshots/messages.png.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCREENSHOTS, assertNoPlaceholders, inView, open, serverAndBrowser, signIn } from "./helpers.mjs";

const run = serverAndBrowser();


const activeId = (page) => page.evaluate(() => document.activeElement && document.activeElement.id);

const TEXT = "Leanne Fox's ex-partner was seen on Harehills Lane at 03:10: please pass her flat on your next patrol";

test("a message to a team reaches its officer's task board and console live, and is marked read", { timeout: 3 * 60_000 }, async () => {
  const { base } = run.server;

  // ---- The officer: the task board open, and the console in another tab ----
  const officer = await signIn(run.browser, base, "pc_ls8");
  const console_ = officer.page;
  const messagesLink = console_.locator("#messages-link");
  await console_.locator('#messages-link[data-unread="0"]').waitFor();
  assert.match(await messagesLink.textContent(), /No unread messages/);
  const board = await officer.context.newPage();
  await open(board, "/console/tasks", "#live-state.on");
  await board.locator('#messages-unread[data-unread="0"]').waitFor();
  assert.match(await board.textContent("#message-list"), /No messages/);
  await board.evaluate(() => {
    window.samePage = true; // gone if the page were reloaded
  });

  // ---- The supervisor: one of the night's incidents, and the send form (Alt+S) ----
  const supervisor = await signIn(run.browser, base, "supervisor");
  const sp = supervisor.page;
  const incident = await sp.evaluate(async () => (await (await fetch("/api/v1/incidents?limit=20")).json()).incidents[0]);
  assert.ok(incident && incident.reference, "the demo has incidents");
  await open(sp, "/console/tasks", "#live-state.on");
  await sp.locator("#messages-unread[data-unread]").waitFor();
  await sp.keyboard.press("Alt+KeyS");
  assert.equal(await activeId(sp), "message-to");

  // A team the directory does not have: refused beside "To", the words kept.
  await sp.keyboard.type("NPT_LS99");
  assert.match(await sp.textContent("#message-to-hint"), /not a team in the directory/);
  await sp.keyboard.press("Tab");
  assert.equal(await activeId(sp), "message-about");
  await sp.keyboard.type(incident.reference);
  await sp.keyboard.press("Tab");
  assert.equal(await activeId(sp), "message-text");
  await sp.keyboard.type(TEXT);
  await sp.keyboard.press("Control+Enter");
  const toProblem = sp.locator("#message-to-problem");
  await toProblem.waitFor();
  assert.match(await toProblem.textContent(), /NPT_LS99 is not a team or department/);
  assert.doesNotMatch(await toProblem.textContent(), /^to\.team/, "said in words, not the API's field name");
  assert.equal(await activeId(sp), "message-to", "the cursor is on the field to fix");
  assert.equal(await sp.locator("#message-to").getAttribute("aria-invalid"), "true");
  assert.ok(
    await sp.evaluate(() => document.getElementById("message-to").closest(".field").contains(document.getElementById("message-to-problem"))),
    "the refusal is beside the field",
  );
  assert.equal(await sp.inputValue("#message-text"), TEXT, "the message typed is kept");
  assert.equal(await sp.inputValue("#message-about"), incident.reference);
  assert.ok(await inView(toProblem), "the refusal is on screen");
  assert.equal(await board.locator("#message-list li.message").count(), 0, "nothing reached the officer");

  // The team's code: the hint names its members; sent.
  await sp.locator("#message-to").fill("NPT_LS8");
  assert.equal(await toProblem.count(), 0, "the refusal goes once the field is changed");
  assert.match(await sp.textContent("#message-to-hint"), /pc_ls8/);
  await sp.locator("#message-text").press("Control+Enter");
  const sent = sp.locator("#messages-sent li", { hasText: "to NPT_LS8" });
  await sent.waitFor();
  assert.match(await sent.textContent(), /Not read yet/);
  assert.equal(await sp.inputValue("#message-text"), "", "the form is ready for the next one");
  assert.match(await sp.textContent("#messages-news"), /Message sent to the team NPT_LS8/);

  // ---- The officer's board: arrived live, unread, announced, about the incident ----
  const arrived = board.locator("#message-list li.message.unread", { hasText: TEXT });
  await arrived.waitFor({ timeout: 15_000 });
  assert.equal(await board.evaluate(() => window.samePage), true, "the board showed it without reloading");
  assert.equal(await board.textContent("#messages-unread"), "1 unread");
  assert.match(await arrived.textContent(), /Unread/);
  assert.match(await arrived.textContent(), /From supervisor to your team NPT_LS8/);
  assert.match(await arrived.textContent(), /just now|min ago/);
  assert.ok(Number(await arrived.locator(".message-text").evaluate((n) => getComputedStyle(n).fontWeight)) >= 700, "unread is bold");
  const about = arrived.locator(".about a");
  assert.equal(await about.textContent(), incident.reference);
  assert.equal(await about.getAttribute("href"), `/console?incident=${incident.id}`);
  assert.match(await board.textContent("#messages-news"), new RegExp(`New message from supervisor to your team NPT_LS8: ${TEXT.slice(0, 40)}`));
  assert.equal(await board.getAttribute("#messages-news", "role"), "status", "announced to a screen reader");
  assert.match(await board.title(), /^\(1\) /, "the tab says one is unread");
  assert.ok(await inView(arrived), "the message is on screen at 1366×768 without scrolling");
  await assertNoPlaceholders(board, "the officer's task board");
  await board.screenshot({ path: `${SCREENSHOTS}messages.png` });

  // The console in the other tab says so live, and Alt+M is on its link.
  await console_.locator('#messages-link[data-unread="1"]').waitFor({ timeout: 15_000 });
  assert.match(await messagesLink.textContent(), /1 unread message/);
  assert.match(await messagesLink.textContent(), /from supervisor/);
  assert.equal(await messagesLink.getAttribute("href"), "/console/tasks#messages");
  await console_.bringToFront();
  await console_.keyboard.press("Alt+KeyM");
  assert.equal(await activeId(console_), "messages-link");

  // ---- Marked read from the keyboard: Alt+M to the first unread, Alt+R ----
  await board.bringToFront();
  await board.keyboard.press("Alt+KeyM");
  assert.equal(await board.evaluate(() => document.activeElement.closest("li.message.unread") !== null), true, "on the unread message");
  await board.keyboard.press("Alt+KeyR");
  const read = board.locator("#message-list li.message:not(.unread)", { hasText: TEXT });
  await read.waitFor();
  assert.match(await read.textContent(), /Read by you/);
  assert.equal(await read.locator("button.mark-read").count(), 0);
  assert.equal(await board.textContent("#messages-unread"), "none unread");
  assert.match(await board.textContent("#messages-news"), /Message from supervisor marked read/);
  assert.equal(await board.evaluate(() => document.activeElement.closest("#message-list li.message") !== null), true, "the cursor stays in the messages");
  assert.doesNotMatch(await board.title(), /^\(\d+\) /);

  // Everyone is told, live: the officer's console, and the supervisor's "sent" line.
  await console_.locator('#messages-link[data-unread="0"]').waitFor({ timeout: 15_000 });
  await sp.locator("#messages-sent li", { hasText: "Read by pc_ls8" }).waitFor({ timeout: 15_000 });

  // Read again from the server, it stays read.
  await open(board, "/console/tasks", "#live-state.on");
  await board.locator("#message-list li.message:not(.unread)", { hasText: TEXT }).waitFor();
  assert.equal(await board.textContent("#messages-unread"), "none unread");
  await assertNoPlaceholders(sp, "the supervisor's task board");

  await supervisor.context.close();
  await officer.context.close();
});
