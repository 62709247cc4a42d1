// The bot editor (problems at their JSON pointers, versions, a hosted bot's files, process and
// diffs), the preview chat, and the operations page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn } from "./browser.mjs";
import { api, assertClean, env, eventually, sentTo, userSays } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const base = `/v1/projects/${env.project}`;

test("the editor shows each problem at its pointer, keeps the version, and saves valid ones as versions", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/bot`);
  const editor = page.getByLabel("Bot definition (JSON)");
  await eventually(async () => (await editor.inputValue()).includes('"initial_state"'), "the current definition");
  const starter = JSON.parse(await editor.inputValue());
  await page.getByText("version 1, saved").waitFor();

  const broken = {
    initial_state: "a",
    states: { a: { kind: "await", routes: [{ when: { text_matches: "(" }, then: [{ save: { table: "messages", values: { x: "y" } } }] }] } },
  };
  await editor.fill(JSON.stringify(broken, null, 2));
  await page.getByRole("button", { name: "Save new version" }).click();
  const problem = page.getByRole("button", { name: /\/states\/a\/routes\/0\/when\/text_matches/ });
  await problem.waitFor();
  await page.getByText(/\/states\/a\/routes\/0\/then\/0\/save\/table/).waitFor();
  await problem.click();
  const selected = await editor.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd));
  assert.equal(selected, '"("');
  assert.equal((await api("GET", `${base}/bot`)).body.version, 1);

  await editor.fill("{ not json");
  await page.getByRole("button", { name: "Save new version" }).click();
  await page.getByText("Not valid JSON").waitFor();

  broken.states.a.routes[0] = { when: { text_matches: "(?i)^hi" }, then: [{ send: { type: "text", text: { body: "Hello!" } } }] };
  await editor.fill(JSON.stringify(broken, null, 2));
  await editor.press("Control+s");
  await page.getByText("version 2, saved").waitFor();
  const versions = page.locator("section").filter({ has: page.getByRole("heading", { name: "Versions" }) });
  await eventually(async () => (await versions.locator("tbody tr").count()) === 2, "two versions listed");
  assert.deepEqual((await api("GET", `${base}/bot`)).body.definition, broken);

  // The starter comes back from the versions list as version 3.
  await versions.getByRole("row").filter({ hasText: /^1/ }).getByRole("button", { name: "Open in editor" }).click();
  await page.getByRole("button", { name: "Save new version" }).click();
  await page.getByText("version 3, saved").waitFor();
  assert.deepEqual((await api("GET", `${base}/bot`)).body.definition, starter);
  assertClean(page);
});

test("a query action is checked at its pointer, and once saved the bot answers from the database", async () => {
  const before = (await api("GET", `${base}/bot`)).body;
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/bot`);
  const editor = page.getByLabel("Bot definition (JSON)");
  await page.getByText(`version ${before.version}, saved`).waitFor();
  const bot = {
    initial_state: "a",
    queries: { who: { sql: "SELECT current_user AS role, $1::text AS said", params: ["{{message.text}}"] } },
    states: { a: { kind: "await", routes: [{ when: "always", then: [{ query: { name: "whom",
      then: [{ send: { type: "text", text: { body: "{{query.who.0.role}} heard {{query.who.0.said}}" } } }] } }] }] } },
  };
  await editor.fill(JSON.stringify(bot, null, 2));
  await page.getByRole("button", { name: "Save new version" }).click();
  const problem = page.getByRole("button", { name: /\/states\/a\/routes\/0\/then\/0\/query\/name/ });
  await problem.waitFor();
  await problem.click();
  assert.equal(await editor.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd)), '"whom"');
  assert.equal((await api("GET", `${base}/bot`)).body.version, before.version);

  bot.states.a.routes[0].then[0].query.name = "who";
  await editor.fill(JSON.stringify(bot, null, 2));
  await page.getByRole("button", { name: "Save new version" }).click();
  await page.getByText(`version ${before.version + 1}, saved`).waitFor();
  await userSays("15550310", "<b>hi</b>");
  const reply = await eventually(async () => (await sentTo("15550310"))[0], "the bot's answer");
  assert.match(reply.message.text.body, /^paige_p_\w+ heard <b>hi<\/b>$/);
  assert.equal((await api("PUT", `${base}/bot`, before.definition)).status, 201);
  assertClean(page);
});

test("the preview chat runs the bot's steps, taps its buttons, shows the rows it would write, and writes nothing", async () => {
  const before = (await api("GET", `${base}/bot`)).body;
  assert.equal((await api("POST", `${base}/tables`, { name: "preview_leads", columns: [{ name: "who", type: "text" }] })).status, 201);
  const text = (body) => ({ send: { type: "text", text: { body } } });
  const bot = {
    initial_state: "start",
    states: {
      start: { kind: "await", routes: [
        { when: { button_id: "yes" }, then: [{ save: { table: "preview_leads", values: { who: "{{contact.name}}" } } }, text("Saved <b>{{contact.name}}</b>"), { goto: "done" }] },
        { when: "always", then: [{ send: { type: "interactive", interactive: { type: "button", body: { text: "Hi <i>{{message.text}}</i>, leave your name?" },
          action: { buttons: [{ type: "reply", reply: { id: "yes", title: "Yes" } }, { type: "reply", reply: { id: "no", title: "No" } }] } } } }] },
      ] },
      done: { kind: "await", routes: [{ when: "always", then: [text("Bye"), { close: {} }] }] },
    },
  };
  assert.equal((await api("PUT", `${base}/bot`, bot)).status, 201);
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/bot`);
  const chat = page.getByLabel("Preview chat");
  await page.getByLabel("Preview message").fill("<b>there</b>");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await chat.getByText("Hi <i><b>there</b></i>, leave your name?").waitFor();
  await chat.getByText("state start").first().waitFor();
  await chat.getByRole("button", { name: "Yes" }).click();
  await chat.getByText("Saved <b>Preview</b>").waitFor();
  await chat.getByText("state start → done").waitFor();
  await chat.getByText("1 row it would write").click();
  await chat.getByText('"preview_leads"').waitFor();
  await page.getByLabel("Preview message").fill("thanks");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await chat.getByText("state done, conversation closed").waitFor();
  assert.equal(await page.locator('[aria-label="Preview chat"] b, [aria-label="Preview chat"] i').count(), 0);
  // Nothing was written, opened or sent.
  assert.equal((await api("GET", `${base}/tables/preview_leads/rows`)).body.items.length, 0);
  assert.equal((await sentTo("15550100000")).length, 0);
  assert.equal((await api("GET", `${base}/contacts?search=15550100000`)).body.items.length, 0);

  // A kept version, chosen in the list: the conversation starts over with it.
  await page.getByLabel("Preview version").selectOption(String(before.version));
  assert.equal(await chat.locator("li").count(), 0);
  assert.equal((await api("PUT", `${base}/bot`, before.definition)).status, 201);
  assertClean(page);
});

test("operations: health, readiness and traffic per minute", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/operations`);
  await page.locator(".badge-up").waitFor();
  await page.locator(".badge-ready").waitFor();
  await page.getByText("Outbound backlog 0").waitFor();
  // Traffic between two readings (5 s apart) shows as a rate.
  for (let i = 0; i < 3; i++) await userSays("15550200", "ping " + i, "Ops");
  const rate = page.locator("figure").filter({ hasText: "Messages in per minute" }).locator("strong");
  await eventually(async () => Number(await rate.textContent()) > 0, "a rate of inbound messages", 20000);
  assert.equal(await page.locator("figure svg path.line").count(), 4);
  assertClean(page);
});

test("a code bot's secret is shown once; secrets are set, listed by name only, deleted; the bot secret renewed", async () => {
  const before = (await api("GET", `${base}/bot`)).body.definition;
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/bot`);
  const editor = page.getByLabel("Bot definition (JSON)");
  await eventually(async () => (await editor.inputValue()).includes('"'), "the current definition");
  await editor.fill(JSON.stringify({ kind: "external", url: "https://bots.example.com/paige/events" }));
  await page.getByRole("button", { name: "Save new version" }).click();
  const shown = page.getByLabel("Bot secret");
  await shown.waitFor();
  const first = await shown.textContent();
  assert.match(first, /^[0-9a-f]{64}$/);
  await page.getByText("code bot at https://bots.example.com/paige/events").first().waitFor();

  const secrets = page.locator("section").filter({ has: page.getByRole("heading", { name: "Secrets" }) });
  await secrets.getByRole("cell", { name: "PAIGE_BOT_SECRET" }).waitFor();
  await secrets.getByLabel("Name").fill("bad name");
  await secrets.getByLabel("Value").fill("x");
  await secrets.getByRole("button", { name: "Set secret" }).click();
  await secrets.getByText("(invalid_secret_name)").waitFor();
  await secrets.getByLabel("Name").fill("API_TOKEN");
  await secrets.getByLabel("Value").fill("s3cret-<b>value</b>");
  await secrets.getByRole("button", { name: "Set secret" }).click();
  await secrets.getByRole("cell", { name: "API_TOKEN" }).waitFor();
  assert.equal(await secrets.getByLabel("Value").inputValue(), "");  // not kept in the page
  assert.ok(!(await page.content()).includes("s3cret"));
  const listed = (await api("GET", `${base}/secrets`)).body.items.map((s) => s.name);
  assert.deepEqual(listed, ["API_TOKEN", "PAIGE_BOT_SECRET"]);

  await secrets.getByRole("row").filter({ hasText: "API_TOKEN" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog").getByRole("textbox").fill("API_TOKEN");
  await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await eventually(async () => (await secrets.getByRole("cell", { name: "API_TOKEN" }).count()) === 0, "API_TOKEN gone");

  await secrets.getByRole("button", { name: "Make a new one" }).click();
  await page.getByRole("dialog").getByRole("textbox").fill("PAIGE_BOT_SECRET");
  await page.getByRole("dialog").getByRole("button", { name: "Make a new one" }).click();
  await eventually(async () => (await shown.textContent()) !== first, "a new secret shown");
  assert.match(await shown.textContent(), /^[0-9a-f]{64}$/);
  assertClean(page);
  assert.equal((await api("PUT", `${base}/bot`, before)).status, 201);  // the next tests' bot
});

test("a hosted code bot deployed from the editor: its process and output, a failed deploy's output, a version's diff", async () => {
  const before = (await api("GET", `${base}/bot`)).body;
  const files = (tag, extra = "") => ({
    "package.json": JSON.stringify({ name: "editor-bot", main: "server.js" }),
    "server.js": `require('http').createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const said = JSON.parse(body).message.text;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ actions: [{ send: { type: 'text', text: { body: '${tag}: ' + said } } }] }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('<b>up</b> ${tag}'));
${extra}`,
  });
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/bot`);
  const editor = page.getByLabel("Bot definition (JSON)");
  await page.getByText(`version ${before.version}, saved`).waitFor();
  await editor.fill(JSON.stringify({ kind: "code", files: files("one") }, null, 2));
  await page.getByRole("button", { name: "Save new version" }).click();
  await page.getByText(`version ${before.version + 1}, saved`).waitFor();
  const card = page.locator("section").filter({ has: page.getByRole("heading", { name: "Process" }) });
  await card.locator('dd[data-state="running"]').waitFor();
  // What the bot printed is text, never markup.
  await eventually(async () => (await card.getByLabel("Bot output").textContent()).includes("<b>up</b> one"), "its output");
  assert.equal(await card.locator("pre b").count(), 0);
  await page.getByText("hosted code bot: 2 files").first().waitFor();
  await userSays("15550321", "hi");
  const reply = await eventually(async () => (await sentTo("15550321"))[0], "the hosted bot's answer");
  assert.equal(reply.message.text.body, "one: hi");
  // Its files, one per editor; the definition's editor keeps the rest.
  const filesNav = page.getByRole("navigation", { name: "Bot files" });
  await filesNav.getByRole("button", { name: "package.json" }).waitFor();
  assert.deepEqual(JSON.parse(await editor.inputValue()), { kind: "code" });
  const fileEditor = page.getByLabel("File content");
  assert.ok((await fileEditor.inputValue()).includes("createServer"));  // its main file first
  // The preview chat reaches the running version.
  await page.getByLabel("Preview message").fill("preview me");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.getByLabel("Preview chat").getByText("one: preview me").waitFor();
  // The Logs card follows the log live: the deploy's output and the event, as text.
  const log = page.getByLabel("Bot log");
  await eventually(async () => (await log.textContent()).includes("<b>up</b> one"), "the output in the log");
  await eventually(async () => (await log.textContent()).includes("from 15550321"), "the event in the log");
  assert.equal(await page.locator('[aria-label="Bot log"] b').count(), 0);

  // A version that throws at start: refused with what it printed; the running one stays.
  await editor.fill(JSON.stringify({ kind: "code", files: files("two", "throw new Error('broken <i>bot</i>');") }, null, 2));
  await page.getByRole("button", { name: "Save new version" }).click();
  const output = page.getByLabel("Deploy output");
  await output.waitFor();
  assert.ok((await output.textContent()).includes("broken <i>bot</i>"));
  assert.equal(await page.locator("pre i").count(), 0);
  assert.equal((await api("GET", `${base}/bot`)).body.version, before.version + 1);

  // A second version, then the first one's diff against it.
  await editor.fill(JSON.stringify({ kind: "code", files: files("two") }, null, 2));
  await page.getByRole("button", { name: "Save new version" }).click();
  await page.getByText(`version ${before.version + 2}, saved`).waitFor();
  const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: String(before.version + 1), exact: true }) });
  await row.getByRole("button", { name: "Diff with current" }).click();
  await page.getByText(`Version ${before.version + 1} → version ${before.version + 2}`).waitFor();
  await page.locator(".diff .removed").filter({ hasText: "'one: '" }).waitFor();
  await page.locator(".diff .added").filter({ hasText: "'two: '" }).waitFor();

  // A change made in the file editor, and a file added there, are saved as the next version.
  await filesNav.getByRole("button", { name: "server.js" }).click();
  const source = await fileEditor.inputValue();
  await fileEditor.fill(source.replace("'two: '", "'three: '"));
  await page.getByLabel("New file path").fill("notes/README.md");
  await page.getByRole("button", { name: "Add file" }).click();
  await fileEditor.fill("# <b>notes</b>");
  await fileEditor.press("Control+s");
  await page.getByText(`version ${before.version + 3}, saved`).waitFor();
  const saved = (await api("GET", `${base}/bot`)).body.definition;
  assert.deepEqual(Object.keys(saved.files).sort(), ["notes/README.md", "package.json", "server.js"]);
  assert.equal(saved.files["notes/README.md"], "# <b>notes</b>");
  await userSays("15550321", "again");
  const third = await eventually(async () => (await sentTo("15550321"))[1], "the third version's answer");
  assert.equal(third.message.text.body, "three: again");
  assertClean(page);
  assert.equal((await api("PUT", `${base}/bot`, before.definition)).status, 201);
});
