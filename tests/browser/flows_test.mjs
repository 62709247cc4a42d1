// WhatsApp Flows as an operator makes them: the Flow JSON's problems at their pointers (Paige's
// before Meta sees it, then Meta's own), the screens outlined as text, publishing, Meta's status
// arriving live, deprecation and deletion.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn } from "./browser.mjs";
import { api, assertClean, env, eventually, metasim, sentTo, userSays } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const flows = () => `/v1/projects/${env.project}/flows`;
const atMeta = async () => (await metasim("GET", "/control/flows")).body.flows;

const booking = {
  version: "7.3",
  screens: [
    { id: "BOOKING", title: "Book <b>now</b>", layout: { type: "SingleColumnLayout", children: [
      { type: "Form", name: "form", children: [
        { type: "TextInput", name: "name", label: "Your name", required: true },
        { type: "Dropdown", name: "service", label: "Service", "data-source": [{ id: "cut", title: "Haircut" }, { id: "color", title: "Colour" }] },
        { type: "Footer", label: "Continue", "on-click-action": { name: "navigate", next: { type: "screen", name: "CONFIRM" },
          payload: { name: "${form.name}", service: "${form.service}" } } },
      ] },
    ] } },
    { id: "CONFIRM", title: "Confirm", terminal: true,
      data: { name: { type: "string", __example__: "Ana" }, service: { type: "string", __example__: "cut" } },
      layout: { type: "SingleColumnLayout", children: [
        { type: "TextBody", text: "${data.name}, see you soon" },
        { type: "Footer", label: "Book", "on-click-action": { name: "complete", payload: { name: "${data.name}", service: "${data.service}" } } },
      ] } },
  ],
};

test("a flow is checked at its pointers, made at Meta, fixed, published, blocked live, deprecated", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/flows`);
  await page.getByRole("heading", { name: "WhatsApp Flows" }).waitFor();
  await page.getByText("No flows yet").waitFor();
  // The number's key for dynamic flows: none yet, then made and uploaded to Meta.
  await page.getByText("No endpoint key yet").waitFor();
  await page.getByRole("button", { name: "Make a new endpoint key" }).click();
  await page.getByText("Meta: VALID").waitFor();
  assert.equal((await api("GET", `/v1/projects/${env.project}/whatsapp/flows-key`)).status, 200);

  // A problem Paige finds: shown at its pointer, selected in the editor; Meta sees nothing.
  const editor = page.getByLabel("Flow JSON");
  const broken = structuredClone(booking);
  broken.screens[1].layout.children[0].text = "${data.nickname}";
  await page.getByLabel(/^Name/).fill("booking");
  await page.getByLabel("appointment booking").check();
  await editor.fill(JSON.stringify(broken, null, 2));
  // The outline shows the screens as text (a title with markup stays text).
  const outline = page.getByLabel("Screens");
  await outline.getByText("Book <b>now</b>").waitFor();
  assert.equal(await outline.locator("b").count(), 0);
  await outline.getByText("→ CONFIRM").waitFor();
  await page.getByRole("button", { name: "Make the flow at Meta" }).click();
  const problem = page.getByRole("button", { name: /\/flow_json\/screens\/1\/layout\/children\/0\/text/ });
  await problem.waitFor();
  await problem.click();
  const selected = await editor.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd));
  assert.equal(selected, '"${data.nickname}"');
  assert.equal((await atMeta()).length, 0);

  // A problem only Meta finds: the flow is made, with it, and cannot be published.
  await metasim("PUT", "/control/flows/validation", { rules: [{ match: "Colour", error: "INVALID_PROPERTY_VALUE",
    message: "Invalid value found for property 'title'.", path: "screens[0].layout.children[0].children[1].data-source[1].title" }] });
  await editor.fill(JSON.stringify(booking, null, 2));
  await page.getByRole("button", { name: "Make the flow at Meta" }).click();
  await page.getByRole("heading", { name: "Edit booking" }).waitFor();
  await page.getByText("Invalid value found for property 'title'.").waitFor();
  const row = page.getByRole("row").filter({ hasText: "booking" });
  await row.getByText("draft").waitFor();
  await row.getByRole("button", { name: "Publish" }).click();
  await page.getByText("fix them before publishing").waitFor();
  assert.equal((await atMeta())[0].status, "DRAFT");

  // Fixed in the editor and saved: Meta finds nothing now; published.
  await editor.fill(JSON.stringify(booking, null, 2).replace("Colour", "Color"));
  await page.getByRole("button", { name: "Save the draft at Meta" }).click();
  await eventually(async () => (await api("GET", `${flows()}/booking`)).body.validation_errors.length === 0, "Meta's problems gone");
  await row.getByRole("button", { name: "Publish" }).click();
  await row.getByText("published").waitFor();
  assert.equal((await atMeta())[0].status, "PUBLISHED");

  // An answer shows under the flow as it comes, a stranger's text as text.
  await row.getByRole("button", { name: "View", exact: true }).click();
  await page.getByRole("heading", { name: "View booking" }).waitFor();
  await page.getByText("No answers yet.").waitFor();
  await userSays("15550777", "hi");
  const sent = await api("POST", `/v1/projects/${env.project}/messages`, { to: "15550777", type: "interactive",
    interactive: { type: "flow", body: { text: "Book" }, action: { name: "flow", parameters: { flow_name: "booking", flow_cta: "Book" } } } });
  assert.equal(sent.status, 202);
  await eventually(async () => (await sentTo("15550777")).some((m) => m.message.interactive?.type === "flow"), "the flow sent");
  const done = await metasim("POST", `/control/numbers/${env.number}/users/15550777/flows/complete`,
    { response: { name: "<b>Ana</b>", service: "cut" } });
  assert.equal(done.status, 200);
  const answers = page.locator("section").filter({ has: page.getByRole("heading", { name: "Answers" }) });
  await answers.getByText("<b>Ana</b>").waitFor();
  assert.equal(await answers.locator("b").count(), 0);

  // Meta blocks it: the webhook's status shows without a reload.
  const id = (await api("GET", `${flows()}/booking`)).body.id;
  await metasim("POST", `/control/flows/${id}/status`, { status: "BLOCKED" });
  await row.getByText("blocked").waitFor();
  await row.getByRole("button", { name: "Deprecate" }).click();
  await row.getByText("deprecated").waitFor();
  assert.equal((await atMeta())[0].status, "DEPRECATED");
  assertClean(page);
});

test("a draft is deleted after its name is typed", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  const made = await api("POST", flows(), { name: "survey draft", categories: ["SURVEY"], flow_json: booking });
  assert.equal(made.status, 201);
  await page.goto(`${env.url}/#/p/${env.project}/flows`);
  const row = page.getByRole("row").filter({ hasText: "survey draft" });
  await row.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("textbox").fill("survey draft");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await eventually(async () => (await api("GET", `${flows()}/survey%20draft`)).status === 404, "the draft gone");
  assert.ok(!(await atMeta()).some((f) => f.name === "survey draft"));
  assertClean(page);
});

test("a template's flow button is chosen from the project's flows", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  const made = await api("POST", flows(), { name: "visit", categories: ["APPOINTMENT_BOOKING"], flow_json: booking });
  assert.equal(made.status, 201);
  await page.goto(`${env.url}/#/p/${env.project}/templates`);
  await page.getByRole("heading", { name: "Message templates" }).waitFor();
  await page.getByLabel(/^Name/).fill("visit_due");
  await page.getByLabel(/^Body/).fill("Your next visit is due.");
  await page.getByLabel("Flow button text").fill("Book <i>now</i>");
  // A text without a flow: Paige says the button needs one, Meta sees nothing.
  await page.getByRole("button", { name: "Submit to Meta" }).click();
  await page.getByText("names its flow").first().waitFor();
  assert.ok(!(await metasim("GET", "/control/templates")).body.templates.some((t) => t.name === "visit_due"));
  await page.getByLabel("Flow button (optional)").selectOption("visit");
  await page.getByLabel("Flow screen (optional)").fill("BOOKING");
  await page.getByLabel("Preview").getByText("Book <i>now</i>").waitFor();
  await page.getByRole("button", { name: "Submit to Meta" }).click();
  await page.getByRole("row").filter({ hasText: "visit_due" }).waitFor();
  const atMetaNow = (await metasim("GET", "/control/templates")).body.templates.find((t) => t.name === "visit_due");
  const buttons = atMetaNow.components.find((c) => c.type === "BUTTONS").buttons;
  assert.equal(buttons.length, 1);
  assert.equal(buttons[0].type, "FLOW");
  assert.equal(buttons[0].text, "Book <i>now</i>");
  assert.equal(buttons[0].flow_name, "visit");
  assert.equal(buttons[0].navigate_screen, "BOOKING");
  assertClean(page);
});
