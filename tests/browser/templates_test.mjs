// Message templates as an operator makes them: the form checked at its fields, the bubble it
// will be, Meta's review arriving live, an edit, a deletion, and templates made at Meta synced.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn } from "./browser.mjs";
import { api, assertClean, env, eventually, metasim, sentTo, userSays } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const templates = () => `/v1/projects/${env.project}/templates`;
const atMeta = async () => (await metasim("GET", "/control/templates")).body.templates;

test("a template is made in the form, previewed, reviewed by Meta live, edited and deleted", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/templates`);
  await page.getByRole("heading", { name: "Message templates" }).waitFor();
  await page.getByText("No templates yet").waitFor();

  await page.getByLabel(/^Name/).fill("Bad Name");
  await page.getByLabel(/^Body/).fill("Hi {{1}}, your order {{2}} is ready.");
  // One example field per parameter; the preview shows them in place, as text.
  await page.getByLabel("Example for {{1}}").fill("<b>Ana</b>");
  await page.getByLabel("Example for {{2}}").fill("A-1");
  await page.getByLabel("Quick replies (optional)").fill("Thanks\nStop");
  const preview = page.getByLabel("Preview");
  await preview.getByText("Hi <b>Ana</b>, your order A-1 is ready.").waitFor();
  assert.equal(await preview.locator("b").count(), 0);
  await preview.getByText("Stop").waitFor();
  // Meta's rules are checked by Paige: the problem shows at its field, Meta sees nothing.
  await page.getByRole("button", { name: "Submit to Meta" }).click();
  await page.locator("label.field").filter({ hasText: "Name" }).locator(".field-error").getByText("lower case").waitFor();
  assert.equal((await atMeta()).length, 0);

  await metasim("PUT", "/control/templates/review", { delay_ms: 1500 });
  await page.getByLabel(/^Name/).fill("order_ready");
  await page.getByRole("button", { name: "Submit to Meta" }).click();
  const row = page.getByRole("row").filter({ hasText: "order_ready" });
  await row.getByText("pending").waitFor();
  await row.getByText("approved").waitFor();  // Meta's webhook, shown without a reload
  const made = (await api("GET", `${templates()}/order_ready/en_US`)).body;
  assert.deepEqual(made.components[0].example, { body_text: [["<b>Ana</b>", "A-1"]] });

  // Meta pauses it: the reason shows.
  await metasim("POST", `/control/templates/${made.id}/webhooks`,
    { field: "message_template_status_update", event: "PAUSED", reason: "LOW_QUALITY" });
  await row.getByText("paused").waitFor();
  await row.getByText("LOW_QUALITY").waitFor();

  // Edited: back in review, with the new text at Meta.
  await row.getByRole("button", { name: "Edit" }).click();
  await page.getByRole("heading", { name: "Edit order_ready (en_US)" }).waitFor();
  assert.equal(await page.getByLabel("Example for {{1}}").inputValue(), "<b>Ana</b>");
  await page.getByLabel(/^Body/).fill("Hello {{1}}, order {{2}} is ready for pickup.");
  await page.getByRole("button", { name: "Submit the change to Meta" }).click();
  await row.getByText("pending").waitFor();
  await eventually(async () => (await atMeta())[0].components[0].text.includes("pickup"), "the edit at Meta");

  await row.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("textbox").fill("order_ready");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await page.getByText("No templates yet").waitFor();
  assert.equal((await atMeta()).length, 0);
  assertClean(page);
});

test("templates made at Meta come in with Sync from Meta", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/templates`);
  await page.getByRole("heading", { name: "Message templates" }).waitFor();
  // Made in Meta's own tools, and never announced by a webhook (the review takes long).
  await metasim("PUT", "/control/templates/review", { delay_ms: 600000 });
  const res = await fetch(`${env.metasim}/v21.0/2001/message_templates`, {
    method: "POST",
    headers: { Authorization: "Bearer token-1001", "Content-Type": "application/json" },
    body: JSON.stringify({ name: "made_at_meta", language: "pt_BR", category: "MARKETING",
      components: [{ type: "BODY", text: "Olá! Novidades na loja." }] }),
  });
  assert.equal(res.status, 200);
  await page.getByRole("button", { name: "Sync from Meta" }).click();
  await page.getByText("1 template at Meta.").waitFor();
  const row = page.getByRole("row").filter({ hasText: "made_at_meta" });
  await row.getByText("pt_BR").waitFor();
  await row.getByText("marketing").waitFor();
  // The status filter.
  await page.getByLabel("Status").selectOption("APPROVED");
  await page.getByText("No template has this status.").waitFor();
  assertClean(page);
});

test("a broadcast is counted, sent from the form and followed live; a contact opts out", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await metasim("PUT", "/control/templates/review", { delay_ms: 100 });
  assert.equal((await api("POST", templates(), { name: "notice", language: "en_US", category: "UTILITY",
    components: [{ type: "BODY", text: "Hi {{1}}, your code is {{2}}.", example: { body_text: [["Ana", "B-1"]] } }] })).status, 201);
  await eventually(async () => (await api("GET", `${templates()}/notice/en_US`)).body.status === "APPROVED", "approval");
  for (const [waId, name] of [["15550501", "Ana <b>"], ["15550502", "Bea"], ["15550503", "Cy"]]) await userSays(waId, "hi", name);

  // Cy opts out on the contact's page.
  await page.goto(`${env.url}/#/p/${env.project}/contacts`);
  await page.getByRole("link", { name: "Cy" }).click();
  await page.getByRole("button", { name: "Opt out of marketing" }).click();
  await page.getByText("Opted out", { exact: false }).first().waitFor();
  await page.getByRole("button", { name: "Opt in to marketing again" }).waitFor();

  await page.goto(`${env.url}/#/p/${env.project}/broadcasts`);
  await page.getByRole("heading", { name: "New broadcast" }).waitFor();
  await page.getByLabel("Template").selectOption({ label: "notice (en_US, utility)" });
  await page.getByLabel("Body {{1}}").fill("{name}");
  await page.getByLabel("Body {{2}}").fill("B-7");
  await page.getByRole("button", { name: "Count recipients" }).click();
  await page.getByText("3 recipients now").waitFor();
  await page.getByRole("button", { name: "Send broadcast" }).click();
  await page.getByRole("heading", { name: /Broadcast \d+/ }).waitFor();
  await page.getByText("completed").first().waitFor();
  // Meta's statuses keep the progress current after the last recipient was queued.
  await page.getByTestId("progress").getByText("2 of 3 sent (2 delivered, 2 read), 1 skipped").waitFor();
  const rows = page.getByRole("row");
  await rows.filter({ hasText: "15550503" }).getByText("opted_out").waitFor();
  const templatesTo = async (waId) => (await sentTo(waId)).filter((m) => m.message.type === "template");
  const sent = await templatesTo("15550501");
  assert.equal(sent.length, 1);
  assert.equal(sent[0].message.template.components[0].parameters[0].text, "Ana <b>");
  assert.equal((await templatesTo("15550503")).length, 0);
  // Back to the list: the broadcast is there, completed.
  await page.getByRole("link", { name: "← Broadcasts" }).click();
  await page.getByRole("row").filter({ hasText: "notice" }).getByText("completed").waitFor();
  assertClean(page);
});

test("a media header is uploaded from the form and sent with the template", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await metasim("PUT", "/control/templates/review", { delay_ms: 100 });
  await page.goto(`${env.url}/#/p/${env.project}/templates`);
  await page.getByRole("heading", { name: "Message templates" }).waitFor();
  await page.getByLabel(/^Name/).fill("promo_image");
  await page.getByLabel(/^Body/).fill("New in store this week.");
  const png = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png, 0);
  png.writeUInt32BE(13, 8);
  png.write("IHDR", 12, "ascii");
  png.writeUInt32BE(640, 16);
  png.writeUInt32BE(320, 20);
  await page.getByLabel(/^Header image, video or document/).setInputFiles({ name: "promo.png", mimeType: "image/png", buffer: png });
  await page.getByText("promo.png uploaded: the header is this image.").waitFor();
  await page.getByLabel("Preview").getByText("[image]").waitFor();
  await page.getByRole("button", { name: "Submit to Meta" }).click();
  await page.getByRole("row").filter({ hasText: "promo_image" }).getByText("approved").waitFor();
  const made = (await api("GET", `${templates()}/promo_image/en_US`)).body;
  assert.equal(made.components[0].format, "IMAGE");
  assert.ok(made.components[0].example.header_handle[0]);
  assertClean(page);
});
