// Refreshes docs/screenshots/: every page of the dashboard with a little data in it. Run by
// scripts/screenshots.sh (through browser_tests "[.screenshots]", which starts paige and the
// simulator); not a test.
import { launch, newPage, signIn } from "./browser.mjs";
import { api, env, eventually, metasim, userSays } from "./support.mjs";

const out = process.env.SCREENSHOTS_DIR;
if (!out) throw new Error("SCREENSHOTS_DIR is not set");
const base = `/v1/projects/${env.project}`;
const must = async (method, path, body) => {
  const r = await api(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
};

// Data: three contacts at different points of the starter bot, a table with bookings.
await must("PATCH", base, { name: "Clinic bot" });
await userSays("15550001", "Hello!", "Ada Lovelace");
await metasim("POST", `/control/numbers/${env.number}/users/15550001/messages`,
  { name: "Ada Lovelace", message: { type: "interactive", interactive: { type: "button_reply", button_reply: { id: "book", title: "Book" } } } });
await userSays("15550002", "Hi, I need help with my order", "Grace Hopper");
await metasim("POST", `/control/numbers/${env.number}/users/15550002/messages`,
  { name: "Grace Hopper", message: { type: "interactive", interactive: { type: "button_reply", button_reply: { id: "support", title: "Support" } } } });
await userSays("15550003", "hey", "Linus");
await must("POST", `${base}/tables`, { name: "bookings", columns: [
  { name: "name", type: "text", nullable: false }, { name: "service", type: "varchar" },
  { name: "starts_at", type: "timestamptz" }, { name: "confirmed", type: "boolean", default: false },
  { name: "details", type: "jsonb" }] });
for (const [name, service, day, confirmed] of [["Ada Lovelace", "Check-up", 8, true], ["Grace Hopper", "Cleaning", 9, false], ["Linus", "X-ray", 10, true]])
  await must("POST", `${base}/tables/bookings/rows`, { name, service, starts_at: `2026-12-${String(day).padStart(2, "0")}T09:30:00Z`, confirmed, details: { room: day - 7 } });
await must("POST", `${base}/keys`, { name: "website" });
await must("PATCH", `${base}/whatsapp/profile`, { about: "Appointments Mon–Fri, 9–17", address: "1 Main St, Springfield",
  description: "A small family clinic.", email: "desk@clinic.example", websites: ["https://clinic.example"], vertical: "HEALTH" });
const ada = await eventually(async () => (await api("GET", `${base}/conversations?search=Ada`)).body.items[0], "Ada's conversation");
await eventually(async () => (await api("GET", `${base}/conversations/${ada.id}/messages`)).body.items.length >= 4, "Ada's messages");

const browser = await launch();
const page = await newPage(browser, { width: 1280, height: 800 });
const shot = async (name, hash, ready) => {
  await page.goto(`${env.url}/${hash}`);
  await ready();
  await page.screenshot({ path: `${out}/${name}.png` });
  console.log(`${out}/${name}.png`);
};
await page.goto(env.url + "/");
await page.getByLabel("API key").waitFor();
await page.screenshot({ path: `${out}/sign-in.png` });
await signIn(page, env.url, env.adminKey);
await shot("projects", "#/projects", () => page.getByRole("link", { name: "Clinic bot" }).waitFor());
await shot("project", `#/p/${env.project}`, () => page.getByRole("row").filter({ hasText: "website" }).waitFor());
await shot("whatsapp", `#/p/${env.project}/whatsapp`, () => page.getByTestId("whatsapp-details").waitFor());
await shot("conversations", `#/p/${env.project}/conversations`, () => page.getByText("● live").waitFor());
await shot("conversation", `#/p/${env.project}/conversations/${ada.id}`, () => page.locator(".bubble.out").nth(1).waitFor());
await shot("contacts", `#/p/${env.project}/contacts`, () => page.getByRole("link", { name: "Linus" }).waitFor());
await shot("database", `#/p/${env.project}/database`, () => page.getByRole("link", { name: "bookings" }).waitFor());
await shot("table", `#/p/${env.project}/database/bookings`, () => page.getByText("Check-up").waitFor());
await page.goto(`${env.url}/#/p/${env.project}/sql`);
await page.getByLabel("SQL statement").fill("SELECT service, count(*) AS bookings, bool_and(confirmed) AS all_confirmed\nFROM bookings GROUP BY service ORDER BY service");
await page.getByRole("button", { name: "Run" }).click();
await page.getByTestId("sql-summary").waitFor();
await page.screenshot({ path: `${out}/sql.png` });
await page.goto(`${env.url}/#/p/${env.project}/bot`);
await eventually(async () => (await page.getByLabel("Bot definition (JSON)").inputValue()).includes("initial_state"), "the bot");
await page.getByLabel("Bot definition (JSON)").fill(JSON.stringify({ initial_state: "start", states: { start: { kind: "await", routes: [{ when: { text_matches: "(" }, then: [] }] } } }, null, 2));
await page.getByRole("button", { name: "Save new version" }).click();
await page.getByText("problem").first().waitFor();
await page.getByLabel("Preview message").fill("Hi, I'd like to book");
await page.getByRole("button", { name: "Send", exact: true }).click();
await page.getByLabel("Preview chat").locator(".preview-step").first().waitFor();
await page.screenshot({ path: `${out}/bot.png`, fullPage: true });
await shot("operations", "#/operations", () => page.getByText("Outbound backlog 0").waitFor());
await browser.close();
