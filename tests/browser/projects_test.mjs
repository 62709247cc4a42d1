// Sign-in, projects, settings, lifecycle and keys, as an operator does it in the browser.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn } from "./browser.mjs";
import { api, assertClean, env, eventually, metasim, sentTo, userSays } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a wrong key is refused; the admin key signs in and stays out of URLs and cookies", async () => {
  const page = await newPage(browser);
  await page.goto(env.url + "/");
  await page.getByLabel("API key").fill("not-a-key");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("This key is not valid").waitFor();
  await page.getByLabel("API key").fill(env.adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  assert.ok(!page.url().includes(env.adminKey));
  assert.deepEqual(await page.context().cookies(), []);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("paige.key")), env.adminKey);
  // Signing out forgets it.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("API key").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("paige.key")), null);
  assertClean(page);
});

test("a new project shows up, becomes active by itself, is renamed, set, paused and resumed", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.getByLabel("Name").fill("Made in a browser");
  await page.getByRole("button", { name: "Create project" }).click();
  const row = page.getByRole("row").filter({ hasText: "Made in a browser" });
  await row.getByText("active").waitFor();  // the list refreshes itself while provisioning
  await row.getByRole("link").click();
  await page.getByRole("heading", { name: "Settings" }).waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Renamed in a browser");
  await page.getByLabel("Inactivity timeout (seconds)").fill("600");
  await page.getByLabel("Send rate (messages per second)").fill("12");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { level: 1, name: "Renamed in a browser" }).waitFor();
  const id = page.url().split("#/p/")[1];
  const stored = (await api("GET", `/v1/projects/${id}`)).body;
  assert.equal(stored.name, "Renamed in a browser");
  assert.equal(stored.settings.conversation_timeout_seconds, 600);
  assert.equal(stored.settings.messages_per_second, 12);
  // A bad setting: the API's error, nothing changed.
  await page.getByLabel("Send rate (messages per second)").fill("0");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator(".state.error, .field-error:not(:empty)").first().waitFor();
  assert.equal((await api("GET", `/v1/projects/${id}`)).body.settings.messages_per_second, 12);

  await page.getByRole("button", { name: "Pause" }).click();
  await page.getByTestId("project-status").getByText("paused").waitFor();
  await page.getByRole("button", { name: "Resume" }).click();
  await page.getByTestId("project-status").getByText("active").waitFor();
  assert.equal((await api("GET", `/v1/projects/${id}`)).body.status, "active");
  assertClean(page);
});

test("keys: shown once; a project key sees its project only; a revoked key is signed out", async () => {
  const other = (await api("POST", "/v1/projects", { name: "<img src=x onerror=alert(1)>" })).body;
  const admin = await newPage(browser);
  await signIn(admin, env.url, env.adminKey);
  // A stranger's project name is text in the list.
  await admin.getByRole("link", { name: "<img src=x onerror=alert(1)>", exact: true }).waitFor();
  assert.equal(await admin.locator("main img").count(), 0);

  await admin.goto(`${env.url}/#/p/${env.project}`);
  await admin.getByLabel("Key name").fill("browser");
  await admin.getByRole("button", { name: "Create key" }).click();
  const shown = admin.getByLabel("New key");
  await shown.waitFor();
  const key = await shown.inputValue();
  assert.match(key, /^paige_pk_[0-9a-f]{40}$/);
  const keyRow = admin.getByRole("row").filter({ hasText: "browser" });
  await keyRow.waitFor();
  assert.ok(!(await keyRow.textContent()).includes(key));  // the list shows a prefix only

  const scoped = await newPage(browser);
  await signIn(scoped, env.url, key);
  await scoped.getByRole("heading", { name: "Overview" }).waitFor();  // its project, straight away
  assert.ok(scoped.url().endsWith(`#/p/${env.project}`));
  assert.equal(await scoped.getByRole("link", { name: "Projects" }).count(), 0);
  assert.equal(await scoped.getByRole("heading", { name: "Settings" }).count(), 0);  // admin only
  await scoped.goto(`${env.url}/#/p/${other.id}`);
  await scoped.getByText(`no project ${other.id}`).first().waitFor();
  await scoped.goto(`${env.url}/#/p/${other.id}/database`);
  await scoped.getByText(`no project ${other.id}`).first().waitFor();
  await scoped.goto(`${env.url}/#/p/${env.project}/database`);
  await scoped.getByRole("link", { name: "contacts", exact: true }).waitFor();

  await keyRow.getByRole("button", { name: "Revoke" }).click();
  await eventually(async () => (await admin.getByRole("row").filter({ hasText: "browser" }).count()) === 0, "the key to leave the list");
  await scoped.goto(`${env.url}/#/p/${env.project}/sql`);  // its next request
  await scoped.getByText("sign in again").waitFor();
  await scoped.getByLabel("API key").waitFor();
  assert.equal(await scoped.evaluate(() => sessionStorage.getItem("paige.key")), null);
  assertClean(admin);
  assertClean(scoped);
});

test("deleting a project asks for its name", async () => {
  const p = (await api("POST", "/v1/projects", { name: "Doomed" })).body;
  await eventually(async () => (await api("GET", `/v1/projects/${p.id}`)).body.status === "active", "Doomed to be active");
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${p.id}`);
  await page.getByRole("button", { name: "Delete project…" }).click();
  const dialog = page.getByRole("dialog");
  const go = dialog.getByRole("button", { name: "Delete" });
  await dialog.getByRole("textbox").fill("Doome");
  assert.ok(await go.isDisabled());
  await dialog.getByRole("textbox").fill("Doomed");
  await go.click();
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  await eventually(async () => (await api("GET", `/v1/projects/${p.id}`)).status === 404, "the project to be gone");
  assertClean(page);
});

test("WhatsApp: a number is connected with the form; Meta's refusal and a number in use are explained", async () => {
  const p = (await api("POST", "/v1/projects", { name: "Connect me" })).body;
  await eventually(async () => (await api("GET", `/v1/projects/${p.id}`)).body.status === "active", "the project to be active");
  const added = await metasim("PUT", "/control/numbers/1002", {
    waba_id: "2002", display_phone_number: "15550001002", verified_name: "Second Clinic", access_token: "token-1002" });
  assert.equal(added.status, 200);
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${p.id}/whatsapp`);
  await page.getByText("No WhatsApp number is connected").waitFor();
  const connect = async (number, waba, token) => {
    await page.getByLabel("Phone number id").fill(number);
    await page.getByLabel("WhatsApp Business account id").fill(waba);
    await page.getByLabel("Access token").fill(token);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
  };
  await connect("1002", "2002", "a-wrong-token");
  await page.locator(".form-status .state.error").waitFor();
  assert.equal((await api("GET", `/v1/projects/${p.id}`)).body.whatsapp, null);
  await connect(env.number, "2001", "token-1001");  // the pipeline project's number
  await page.locator(".form-status").getByText("number_in_use").waitFor();
  await connect("1002", "2002", "token-1002");
  const details = page.getByTestId("whatsapp-details");
  await details.getByText("15550001002").waitFor();
  await details.getByText("Second Clinic").waitFor();
  assert.equal((await api("GET", `/v1/projects/${p.id}`)).body.whatsapp.phone_number_id, "1002");
  assert.ok(!(await page.content()).includes("token-1002"));  // the token is never shown back
  assertClean(page);
});

test("pages fit a tablet: nothing but tables scrolls sideways", async () => {
  const page = await newPage(browser, { width: 820, height: 1180 });
  await signIn(page, env.url, env.adminKey);
  for (const hash of ["#/projects", `#/p/${env.project}`, `#/p/${env.project}/whatsapp`, `#/p/${env.project}/conversations`,
    `#/p/${env.project}/contacts`, `#/p/${env.project}/database`, `#/p/${env.project}/database/messages`,
    `#/p/${env.project}/sql`, `#/p/${env.project}/bot`, "#/operations"]) {
    await page.goto(`${env.url}/${hash}`);
    await page.locator("main h1, main h2").first().waitFor();
    await page.locator(".state.loading").first().waitFor({ state: "detached" }).catch(() => {});
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${hash} is ${overflow}px wider than the screen`);
  }
  assertClean(page);
});

test("the keyboard reaches everything: skip link, tabs, forms", async () => {
  const page = await newPage(browser);
  await page.goto(env.url + "/");
  await page.getByLabel("API key").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.name), "key");  // focus starts in the form
  await page.keyboard.type(env.adminKey);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Projects" }).waitFor();
  await page.goto(`${env.url}/#/p/${env.project}`);
  await page.reload();  // a fresh load: the skip link comes first
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to the page");
  await page.keyboard.press("Enter");  // to the page, which stays as it is
  assert.equal(await page.evaluate(() => document.activeElement?.id), "app");
  assert.ok(page.url().endsWith(`#/p/${env.project}`));
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  // Tabbing goes through the project's sections; Enter opens one.
  let found = false;
  for (let i = 0; i < 20 && !found; i++) {
    await page.keyboard.press("Tab");
    found = await page.evaluate(() => document.activeElement?.textContent === "SQL");
  }
  assert.ok(found, "the SQL tab is reachable with Tab");
  await page.keyboard.press("Enter");
  await page.getByLabel("SQL statement").waitFor();
  assertClean(page);
});

test("WhatsApp: the business profile is shown from Meta, checked, and saved there", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/whatsapp`);
  await page.getByRole("heading", { name: "Business profile" }).waitFor();
  await page.getByLabel("About").fill("Open 9–17 <b>Mon–Fri</b>");
  await page.getByLabel("Email").fill("desk@clinic.example");
  await page.getByLabel("Website 1").fill("clinic.example");  // no scheme: refused at its field
  await page.getByLabel("Category").selectOption("HEALTH");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.locator("label.field").filter({ hasText: "Websites" }).locator(".field-error").getByText("http://").waitFor();
  const before = (await api("GET", `/v1/projects/${env.project}/whatsapp/profile`)).body;
  assert.equal(before.about, "");  // nothing was sent to Meta
  await page.getByLabel("Website 1").fill("https://clinic.example");
  await page.getByRole("button", { name: "Save profile" }).click();
  await page.getByText("Profile saved at Meta.").waitFor();
  const after = (await api("GET", `/v1/projects/${env.project}/whatsapp/profile`)).body;
  assert.equal(after.about, "Open 9–17 <b>Mon–Fri</b>");
  assert.equal(after.vertical, "HEALTH");
  assert.deepEqual(after.websites, ["https://clinic.example"]);
  // A fresh page shows what Meta keeps.
  await page.reload();
  await page.getByRole("heading", { name: "Business profile" }).waitFor();
  assert.equal(await page.getByLabel("About").inputValue(), "Open 9–17 <b>Mon–Fri</b>");
  assert.equal(await page.getByLabel("Category").inputValue(), "HEALTH");
  // The photo: a file too small is refused with why; a PNG of 640 pixels is set at Meta.
  const png = (w, hgt) => {
    const b = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
    b.writeUInt32BE(13, 8);
    b.write("IHDR", 12, "ascii");
    b.writeUInt32BE(w, 16);
    b.writeUInt32BE(hgt, 20);
    return b;
  };
  await page.getByLabel("Profile photo").setInputFiles({ name: "tiny.png", mimeType: "image/png", buffer: png(64, 64) });
  await page.getByRole("button", { name: "Upload photo" }).click();
  await page.getByText("at least 192", { exact: false }).first().waitFor();
  await page.getByLabel("Profile photo").setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: png(640, 640) });
  await page.getByRole("button", { name: "Upload photo" }).click();
  await page.getByTestId("photo").getByText("https://pps.whatsapp.net/", { exact: false }).waitFor();
  assert.ok((await api("GET", `/v1/projects/${env.project}/whatsapp/profile`)).body.profile_picture_url.startsWith("https://"));
  assertClean(page);
});

test("WhatsApp: a token Meta refuses is shown; connecting again sends what waited", async () => {
  const rotated = await metasim("PUT", `/control/numbers/${env.number}`, {
    waba_id: "2001", display_phone_number: "15551001", verified_name: "Business 1001", access_token: "token-new" });
  assert.equal(rotated.status, 200);
  await userSays("15550500", "hello while the token is bad", "Waiting");
  await eventually(async () => (await api("GET", `/v1/projects/${env.project}`)).body.whatsapp.status === "token_invalid", "the refusal to be stored");
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}`);
  await page.getByRole("link", { name: "token_invalid" }).click();
  await page.getByText("Meta refused this number's access token").waitFor();
  assert.equal((await sentTo("15550500")).length, 0);  // the greeting waits
  await page.getByLabel("Phone number id").fill(env.number);
  await page.getByLabel("WhatsApp Business account id").fill("2001");
  await page.getByLabel("Access token").fill("token-new");
  await page.getByRole("button", { name: "Connect", exact: true }).click();
  await page.getByTestId("whatsapp-details").getByText("connected").waitFor();
  assert.equal(await page.getByText("Meta refused this number's access token").count(), 0);
  await eventually(async () => (await sentTo("15550500")).length === 1, "the greeting to go out once");
  assertClean(page);
});

test("WhatsApp: what Meta reports shows as it comes; a restriction is explained; a display name is reviewed", async () => {
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/whatsapp`);
  await page.getByRole("heading", { name: "From Meta" }).waitFor();
  const says = async (field, value) => {
    const r = await metasim("POST", `/control/numbers/${env.number}/webhooks`, { field, value });
    assert.equal(r.body.delivered, true);
  };
  // Live, without a reload: the quality, and an alert whose text a stranger wrote.
  await says("phone_number_quality_update", { display_phone_number: "15551001", event: "FLAGGED", current_limit: "TIER_1K" });
  await page.getByTestId("quality").getByText("RED").waitFor();
  await says("account_alerts", { entity_type: "PHONE_NUMBER", entity_id: env.number, alert_severity: "WARNING",
    alert_type: "INCREASED_TEMPLATE_REJECTIONS", alert_description: "<img src=x onerror=alert(1)> rejections" });
  await page.getByTestId("account-events").getByText("<img src=x onerror=alert(1)> rejections", { exact: false }).waitFor();

  // A restriction: explained, the reply waits; lifted: it goes out.
  const until = Math.floor(Date.now() / 1000) + 3600;
  await says("account_update", { event: "ACCOUNT_RESTRICTION",
    restriction_info: [{ restriction_type: "RESTRICTED_CUSTOMER_INITIATED_MESSAGING", expiration: until }] });
  await page.getByText("Meta is holding this number's messages").waitFor();
  await userSays("15550600", "hello while restricted", "Held");
  await says("account_update", { event: "ACCOUNT_RESTRICTION", restriction_info: [] });
  await page.getByTestId("whatsapp-details").getByText("connected").waitFor();
  assert.equal(await page.getByText("Meta is holding this number's messages").count(), 0);
  await eventually(async () => (await sentTo("15550600")).length === 1, "the held reply to go out once");

  // A display name: checked by the browser and the API, then rejected by Meta with its reason.
  await metasim("PUT", `/control/numbers/${env.number}/name_review`,
    { decision: "REJECTED", rejection_reason: "NAME_NOT_CONSISTENT", delay_ms: 50 });
  await page.getByLabel("New display name").fill("Acme Clinic");
  await page.getByRole("button", { name: "Ask Meta for this name" }).click();
  await page.getByTestId("name-review").getByText("rejected").waitFor();
  await page.getByTestId("name-review").getByText("NAME_NOT_CONSISTENT", { exact: false }).waitFor();
  await metasim("PUT", `/control/numbers/${env.number}/name_review`, { decision: "APPROVED", delay_ms: 50 });
  await page.getByRole("button", { name: "Ask Meta for this name" }).click();
  await page.getByTestId("name-review").getByText("approved").waitFor();
  await page.getByTestId("whatsapp-details").getByText("Acme Clinic").waitFor();
  assertClean(page);
});

test("WhatsApp: Connect with Facebook runs Meta's signup in a window and connects the number it shared", async () => {
  const p = (await api("POST", "/v1/projects", { name: "Signed up in a browser" })).body;
  await eventually(async () => (await api("GET", `/v1/projects/${p.id}`)).body.status === "active", "the project to be active");
  await metasim("PUT", "/control/numbers/1003", {
    waba_id: "2003", display_phone_number: "15550001003", verified_name: "Third Clinic", access_token: "token-1003" });
  await metasim("PUT", "/control/signup", { phone_number_id: "1003", refuse: "scope" });
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${p.id}/whatsapp`);
  const signUp = async () => {
    const [dialog] = await Promise.all([page.waitForEvent("popup"), page.getByRole("button", { name: "Connect with Facebook" }).click()]);
    const closed = dialog.waitForEvent("close");  // it closes itself, perhaps before the click returns
    await dialog.getByRole("button", { name: "Continue" }).click().catch((e) => {
      if (!dialog.isClosed()) throw e;
    });
    await closed;
  };
  // Meta's token lacks a permission: the step and the reason are shown, nothing is connected.
  await signUp();
  await page.getByTestId("signup-state").getByText("check", { exact: false }).waitFor();
  await page.getByText("whatsapp_business_messaging", { exact: false }).first().waitFor();
  assert.equal((await api("GET", `/v1/projects/${p.id}`)).body.whatsapp.status, "failed");
  // Meta takes it: connected with the number Meta shared.
  await metasim("PUT", "/control/signup", { phone_number_id: "1003" });
  await signUp();
  await page.getByTestId("whatsapp-details").getByText("Third Clinic").waitFor();
  const w = (await api("GET", `/v1/projects/${p.id}`)).body.whatsapp;
  assert.equal(w.status, "connected");
  assert.equal(w.phone_number_id, "1003");
  assert.equal((await metasim("GET", "/control/numbers/1003")).body.registered, true);
  assert.ok(!(await page.content()).includes("token-1003"));
  assertClean(page);
});
