// Conversations in the browser, live: contacts write through the simulator and the pages follow;
// an operator changes a state, sends, closes; strangers' names and texts stay text.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn } from "./browser.mjs";
import { api, assertClean, env, eventually, metasim, sentTo, userSays } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const base = `/v1/projects/${env.project}`;
const probe = "<img src=x onerror=alert(1)>";

async function conversationOf(waId) {
  const r = await api("GET", `${base}/conversations?search=${waId}&status=open`);
  return r.body.items[0];
}

test("the list follows new conversations and state counts live, and filters by state and contact", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/conversations`);
  await page.getByText("● live").waitFor();
  await page.getByText("No conversations yet").waitFor();

  await userSays("15550100", "hello", "Ada");
  await page.getByRole("link", { name: "Ada" }).waitFor();  // no reload
  await userSays("15550101", probe, probe);
  await page.getByRole("link", { name: probe, exact: true }).waitFor();
  assert.equal(await page.locator("main img").count(), 0);

  // Ada taps "Book": her conversation moves to collect_info, and the counts follow.
  await metasim("POST", `/control/numbers/${env.number}/users/15550100/messages`,
    { name: "Ada", message: { type: "interactive", interactive: { type: "button_reply", button_reply: { id: "book", title: "Book" } } } });
  const collect = page.locator("fieldset.states label").filter({ hasText: "collect_info" });
  await collect.waitFor();
  await collect.getByRole("checkbox").check();
  await eventually(async () => (await page.locator("tbody tr").count()) === 1, "only collect_info conversations");
  await page.getByRole("link", { name: "Ada" }).waitFor();
  await collect.getByRole("checkbox").uncheck();
  await page.getByLabel("Search contacts").fill("155501");
  await eventually(async () => (await page.locator("tbody tr").count()) === 2, "both contacts found by number");
  await page.getByLabel("Search contacts").fill("ada");
  await eventually(async () => (await page.locator("tbody tr").count()) === 1, "Ada found by name");
  await page.getByLabel("Status").selectOption("closed");
  await page.getByText("No conversation matches these filters.").waitFor();
  assertClean(page);
});

test("a conversation: history as bubbles, live messages and statuses, state changes, sending, closing", async () => {
  await userSays("15550110", "hi there", "Grace");
  const conversation = await eventually(() => conversationOf("15550110"), "Grace's conversation");
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/conversations/${conversation.id}`);
  await page.getByText("● live").waitFor();
  const thread = page.getByRole("list", { name: "History" });
  await thread.locator(".bubble.in").getByText("hi there").waitFor();
  const reply = thread.locator(".bubble.out").filter({ hasText: "How can I help?" });
  await reply.getByText("Book").waitFor();  // the bot's buttons
  await reply.locator(".badge-read, .badge-delivered").waitFor();  // the simulator's statuses
  assert.ok(!/null|undefined/.test(await thread.textContent()), "a bubble shows an empty field as text");

  // A new message arrives while the page is open; so do the bot's answer and its statuses.
  await userSays("15550110", "are you there?");
  await thread.locator(".bubble.in").getByText("are you there?").waitFor();
  await eventually(async () => (await thread.locator(".bubble.out").count()) === 2, "the bot's second answer");

  // The state: a declared one, then an undeclared one which needs force.
  await page.getByLabel("New state").fill("support");
  await page.getByRole("button", { name: "Set state" }).click();
  await page.getByTestId("conversation-state").getByText("support").waitFor();
  assert.equal((await api("GET", `${base}/conversations/${conversation.id}`)).body.state, "support");
  await page.getByLabel("New state").fill("vip_queue");
  await page.getByRole("button", { name: "Set state" }).click();
  await page.getByText("tick “force” to set it anyway").waitFor();
  assert.equal((await api("GET", `${base}/conversations/${conversation.id}`)).body.state, "support");
  await page.getByLabel("force (a state the bot does not declare)").check();
  await page.getByRole("button", { name: "Set state" }).click();
  await page.getByTestId("conversation-state").getByText("vip_queue").waitFor();

  // An operator's message reaches the contact, once however often Enter is pressed.
  await page.getByLabel("Message").fill("Hello from the dashboard");
  await page.getByLabel("Message").press("Enter");
  await page.getByLabel("Message").press("Enter");
  await thread.locator(".bubble.out").filter({ hasText: "Hello from the dashboard" }).locator(".badge-read, .badge-delivered, .badge-sent").waitFor();
  await eventually(async () => (await sentTo("15550110")).some((m) => m.message?.text?.body === "Hello from the dashboard"), "the simulator to receive it");
  const stored = (await api("GET", `${base}/conversations/${conversation.id}/messages?limit=50`)).body.items;
  assert.equal(stored.filter((m) => m.content?.text?.body === "Hello from the dashboard").length, 1);

  await page.getByRole("button", { name: "Close conversation" }).click();
  await page.locator(".card .badge-closed").waitFor();
  assert.equal((await api("GET", `${base}/conversations/${conversation.id}`)).body.status, "closed");
  assertClean(page);
});

test("strangers' names and messages are shown as text, never as markup", async () => {
  await userSays("15550120", probe, probe);
  await userSays("15550120", "<script>alert(3)</script>");
  const conversation = await eventually(() => conversationOf("15550120"), "the probe's conversation");
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/conversations/${conversation.id}`);
  const thread = page.getByRole("list", { name: "History" });
  await thread.locator(".bubble.in").getByText(probe, { exact: true }).waitFor();
  await thread.locator(".bubble.in").getByText("<script>alert(3)</script>", { exact: true }).waitFor();
  await page.getByRole("heading", { name: probe }).waitFor();
  // The bot greets the contact by name: the reply holds the probe as text too.
  await thread.locator(".bubble.out").getByText(`Hi ${probe}! How can I help?`).waitFor();
  assert.equal(await page.locator("main img, main script").count(), 0);
  await page.goto(`${env.url}/#/p/${env.project}/contacts`);
  await page.getByRole("link", { name: probe, exact: true }).first().click();
  await page.getByRole("heading", { name: probe, exact: true }).waitFor();
  await page.getByRole("row").filter({ hasText: "unstructured" }).waitFor();  // the contact's conversations
  assert.equal(await page.locator("main img, main script").count(), 0);
  assertClean(page);  // no alert() ran: a dialog would be recorded
});

test("outside the 24-hour window, sending says why and what to do", async () => {
  await userSays("15550130", "hello", "Linus");
  const conversation = await eventually(() => conversationOf("15550130"), "Linus's conversation");
  // Idle conversation actors stop after 200 ms (browser_test.cpp): once none is in memory,
  // the next one reads the contact's last message time from the database.
  await eventually(async () => {
    const text = await (await fetch(env.url + "/metrics")).text();
    return /\npaige_conversation_actors 0\n/.test(text);
  }, "conversation actors to go idle");
  const moved = await api("POST", `${base}/sql`, { query: "UPDATE contacts SET last_inbound_at = now() - interval '25 hours' WHERE wa_id = '15550130'" });
  assert.equal(moved.status, 200);
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/conversations/${conversation.id}`);
  await page.getByLabel("Message").fill("Are you still there?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByText("outside_service_window").waitFor();
  await page.getByText("within 24 hours of the contact's last message").waitFor();
  assert.ok(!(await sentTo("15550130")).some((m) => m.message?.text?.body === "Are you still there?"));
  assertClean(page);
});

test("every kind of message has its bubble; a failed send shows Meta's error", async () => {
  const send = (message) => metasim("POST", `/control/numbers/${env.number}/users/15550140/messages`, { name: "Kinds", message });
  // Sends to this contact fail for good, as Meta answers an undeliverable message.
  assert.equal((await metasim("PUT", "/control/faults", { recipient_errors: { "15550140": 131026 } })).status, 200);
  try {
    await userSays("15550140", "first", "Kinds");
    await send({ type: "image", image: { id: "media-1", mime_type: "image/jpeg", caption: "my receipt" } });
    await send({ type: "document", document: { id: "media-2", filename: "invoice.pdf" } });
    await send({ type: "location", location: { latitude: 52.52, longitude: 13.405, name: "Office", address: "Berlin" } });
    await send({ type: "contacts", contacts: [{ name: { formatted_name: "Alan Turing" }, phones: [{ phone: "+44 20 0000" }] }] });
    await send({ type: "interactive", interactive: { type: "list_reply", list_reply: { id: "slot-1", title: "Monday 9:00", description: "with Dr. Who" } } });
    await send({ type: "interactive", interactive: { type: "nfm_reply", nfm_reply: { name: "flow", response_json: "{\"service\":\"cleaning\",\"date\":\"2026-12-24\"}" } } });
    const conversation = await eventually(() => conversationOf("15550140"), "the conversation");
    const first = (await api("GET", `${base}/conversations/${conversation.id}/messages?limit=50`)).body.items.at(-1);
    await send({ type: "reaction", reaction: { message_id: first.wamid, emoji: "👍" } });

    const page = await newPage(browser);
    await signIn(page, env.url, env.adminKey);
    await page.goto(`${env.url}/#/p/${env.project}/conversations/${conversation.id}`);
    const thread = page.getByRole("list", { name: "History" });
    await thread.getByText("[image]").waitFor();
    await thread.getByText("my receipt").waitFor();
    await thread.getByText("[document: invoice.pdf]").waitFor();
    await thread.getByText("Office, Berlin").waitFor();
    await thread.getByText("Alan Turing +44 20 0000").waitFor();
    await thread.getByText("Monday 9:00").waitFor();
    await thread.locator(".bubble").filter({ hasText: "Flow reply" }).getByText("2026-12-24").waitFor();
    await thread.getByText("👍").waitFor();
    // The bot's replies failed: each says so, with Meta's code.
    const failed = thread.locator(".bubble.out").filter({ has: page.locator(".badge-failed") }).first();
    await failed.locator(".send-error").getByText(/131026/).waitFor();
    assertClean(page);
  } finally {
    await metasim("PUT", "/control/faults", { recipient_errors: {} });
  }
});

