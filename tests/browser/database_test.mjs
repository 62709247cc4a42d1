// The project database in the browser: a table with every type, rows inserted, edited and
// deleted inline, a bad value's error at its field, sorting, filters, pages, SQL, dropping.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launch, newPage, signIn } from "./browser.mjs";
import { api, assertClean, env, eventually } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const base = `/v1/projects/${env.project}`;
const sql = async (query) => (await api("POST", `${base}/sql`, { query })).body;

/** A page in a zone other than the machine's: times must be shown and read in the browser's. */
async function signedIn() {
  const page = await newPage(browser, { timezoneId: "Asia/Kolkata" });
  await signIn(page, env.url, env.adminKey);
  return page;
}

test("a table with every type: created, rows inserted, edited and deleted; a bad value's error at its field", async () => {
  const page = await signedIn();
  await page.goto(`${env.url}/#/p/${env.project}/database`);
  await page.getByRole("link", { name: "contacts", exact: true }).waitFor();
  await page.getByLabel("Table name").fill("everything");
  const types = ["text", "varchar", "integer", "bigint", "numeric", "boolean", "date", "timestamptz", "uuid", "jsonb", "serial"];
  for (let i = 0; i < types.length; i++) {
    if (i > 0) await page.getByRole("button", { name: "Add column" }).click();
    const row = page.locator(".column-editor").nth(i);
    await row.getByLabel("Column name").fill("c_" + types[i]);
    await row.getByLabel("Column type").selectOption(types[i]);
  }
  // One column not null with a default, one unique.
  await page.locator(".column-editor").nth(0).getByLabel("Default").fill("none");
  await page.locator(".column-editor").nth(0).getByText("nullable").click();
  await page.locator(".column-editor").nth(8).getByText("unique").click();
  await page.getByRole("button", { name: "Create table" }).click();
  await page.getByRole("heading", { name: "Rows of everything" }).waitFor();

  const table = (await api("GET", `${base}/tables/everything`)).body;
  assert.deepEqual(table.columns.map((c) => c.type), ["bigserial", ...types]);
  assert.equal(table.columns.find((c) => c.name === "c_text").nullable, false);
  assert.equal(table.columns.find((c) => c.name === "c_uuid").unique, true);

  const insert = page.locator("tr.insert");
  await insert.getByLabel("c_text", { exact: true }).fill("hello <b>there</b>");
  await insert.getByLabel("c_varchar").fill("vee");
  await insert.getByLabel("c_integer").fill("not a number");
  await insert.getByLabel("c_bigint").fill("9007199254740993");
  await insert.getByLabel("c_numeric").fill("3.14159265358979323846");
  await insert.getByLabel("c_boolean").selectOption("true");
  await insert.getByLabel("c_date").fill("2026-12-06");
  await insert.getByLabel("c_timestamptz").fill("2026-12-06T10:30");
  await insert.getByLabel("c_uuid").fill("123e4567-e89b-12d3-a456-426614174000");
  await insert.getByLabel("c_jsonb").fill('{"a": [1, 2]}');
  await insert.getByRole("button", { name: "Insert" }).click();
  // The API refuses the integer: its message under that input, nothing stored.
  const error = insert.locator("td").filter({ has: page.getByLabel("c_integer") }).locator(".field-error");
  await error.getByText("expects an integer").waitFor();
  assert.equal(await insert.getByLabel("c_integer").getAttribute("aria-invalid"), "true");
  assert.equal((await sql("SELECT count(*) AS n FROM everything")).rows[0][0], 0);

  await insert.getByLabel("c_integer").fill("42");
  await insert.getByRole("button", { name: "Insert" }).click();
  const row = page.locator("tbody tr:not(.editing)").first();
  await row.getByText("hello <b>there</b>").waitFor();  // text, not markup
  const stored = await sql("SELECT c_text, c_integer, c_bigint::text, c_numeric::text, c_boolean, c_date::text, " +
    "to_char(c_timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at, c_uuid::text, c_jsonb, c_serial FROM everything");
  assert.deepEqual(stored.rows[0], ["hello <b>there</b>", 42, "9007199254740993", "3.14159265358979323846", true,
    "2026-12-06", "2026-12-06 05:00:00", "123e4567-e89b-12d3-a456-426614174000", { a: [1, 2] }, 1]);
  // Shown in the browser's zone (Kolkata, UTC+5:30) again.
  await row.getByText(/10:30:00/).waitFor();

  // Edit inline: only what changed is sent.
  await row.getByRole("button", { name: "Edit" }).click();
  const editing = page.locator("tr.editing:not(.insert)");
  await editing.getByLabel("c_varchar").fill("");
  await editing.getByLabel("c_integer").fill("43");
  await editing.getByLabel("c_jsonb").fill("[broken");
  await editing.getByRole("button", { name: "Save" }).click();
  await editing.getByText("expects JSON").waitFor();  // checked before it leaves the page
  await editing.getByLabel("c_jsonb").fill('"fixed"');
  await editing.getByRole("button", { name: "Save" }).click();
  await page.locator("tbody tr:not(.editing)").first().getByText("43").waitFor();
  const edited = await sql("SELECT c_varchar, c_integer, c_jsonb, c_text FROM everything");
  assert.deepEqual(edited.rows[0], ["", 43, "fixed", "hello <b>there</b>"]);

  // A unique value twice: the conflict is shown, one row stays.
  await insert.getByLabel("c_text", { exact: true }).fill("second");
  await insert.getByLabel("c_uuid").fill("123e4567-e89b-12d3-a456-426614174000");
  await insert.getByRole("button", { name: "Insert" }).click();
  await insert.locator(".field-error:not(:empty)").first().waitFor();
  assert.equal((await sql("SELECT count(*) FROM everything")).rows[0][0], 1);

  await page.locator("tbody tr:not(.editing)").first().getByRole("button", { name: "Delete" }).click();
  await eventually(async () => (await sql("SELECT count(*) FROM everything")).rows[0][0] === 0, "the row to be deleted");
  assertClean(page);
});

test("rows sort by any column, filter by value, and page by keys; columns are added; tables cleared and dropped", async () => {
  assert.equal((await api("POST", `${base}/tables`, { name: "many", columns: [{ name: "n", type: "integer" }, { name: "tag", type: "text" }] })).status, 201);
  const values = Array.from({ length: 120 }, (_, i) => `(${i}, '${i % 3 === 0 ? "three" : "other"}')`).join(",");
  await sql(`INSERT INTO many (n, tag) VALUES ${values}`);
  const page = await signedIn();
  await page.goto(`${env.url}/#/p/${env.project}/database/many`);
  const firstN = async () => page.locator("tbody tr:not(.editing)").first().locator("td").nth(1).textContent();
  await eventually(async () => (await firstN()) === "0", "the first page in key order");
  await page.getByRole("button", { name: "Next page" }).click();
  await eventually(async () => (await firstN()) === "50", "the second page");
  await page.getByRole("button", { name: "Previous page" }).click();
  await eventually(async () => (await firstN()) === "0", "the first page again");

  await page.getByRole("button", { name: "Sort by n integer" }).click();
  await eventually(async () => (await firstN()) === "0", "ascending by n");
  await page.getByRole("button", { name: "Sort by n integer" }).click();
  await eventually(async () => (await firstN()) === "119", "descending by n");
  await page.getByRole("button", { name: "Next page" }).click();
  await eventually(async () => (await firstN()) === "69", "the second page, descending");

  await page.getByLabel("Filter column").selectOption("tag");
  await page.getByLabel("Filter value").fill("three");
  await page.getByRole("button", { name: "Add filter" }).click();
  await eventually(async () => (await firstN()) === "117", "the filtered first page");
  assert.equal(await page.locator("tbody tr:not(.editing)").count(), 40);
  await page.getByRole("button", { name: "Remove filter on tag" }).click();
  await eventually(async () => (await firstN()) === "119", "unfiltered again");

  const add = page.locator("section").filter({ has: page.getByRole("heading", { name: "Add a column" }) });
  await add.getByLabel("Column name").fill("note");
  await add.getByLabel("Column type").selectOption("jsonb");
  await add.getByRole("button", { name: "Add column" }).click();
  await page.getByRole("button", { name: "Sort by note jsonb" }).waitFor();
  // A bad name: the error at the column's editor.
  await add.getByLabel("Column name").fill("bad name!");
  await add.getByRole("button", { name: "Add column" }).click();
  await add.locator(".field-error:not(:empty), .state.error").first().waitFor();

  await page.getByRole("button", { name: "Clear table…" }).click();
  await page.getByRole("dialog").getByRole("textbox").fill("many");
  await page.getByRole("dialog").getByRole("button", { name: "Delete every row" }).click();
  await page.getByText("No rows yet.").waitFor();
  assert.equal((await sql("SELECT count(*) FROM many")).rows[0][0], 0);

  await page.getByRole("button", { name: "Drop table…" }).click();
  await page.getByRole("dialog").getByRole("textbox").fill("many");
  await page.getByRole("dialog").getByRole("button", { name: "Drop table" }).click();
  await page.getByRole("heading", { name: "New table" }).waitFor();
  assert.equal((await api("GET", `${base}/tables/many`)).status, 404);
  assertClean(page);
});

test("an edit sends only what was edited; errors about a column named like a field go to that column", async () => {
  assert.equal((await api("POST", `${base}/tables`, { name: "precise", columns: [
    { name: "label", type: "text" }, { name: "at", type: "timestamptz" }, { name: "big", type: "bigint" }] })).status, 201);
  // Microseconds, which a datetime input cannot show, and a bigint past 2^53.
  await sql("INSERT INTO precise (label, at, big) VALUES ('a', '2026-12-06 10:00:00.123456+00', 9007199254740993)");
  const page = await signedIn();
  await page.goto(`${env.url}/#/p/${env.project}/database/precise`);
  const row = page.locator("tbody tr:not(.editing)").first();
  await row.getByRole("button", { name: "Edit" }).click();
  const editing = page.locator("tr.editing:not(.insert)");
  assert.equal(await page.evaluate(() => document.activeElement?.closest("tr")?.classList.contains("editing")), true);
  await editing.getByLabel("label").fill("b");
  await editing.getByRole("button", { name: "Save" }).click();
  await page.locator("tbody tr:not(.editing)").first().getByText("b", { exact: true }).waitFor();
  const after = await sql("SELECT label, at::text, big::text FROM precise");
  assert.deepEqual(after.rows[0], ["b", "2026-12-06 10:00:00.123456+00", "9007199254740993"]);

  await page.goto(`${env.url}/#/p/${env.project}/database`);
  await page.getByLabel("Table name").fill("named");
  const column = page.locator(".column-editor").first();
  await column.getByLabel("Column name").fill("name");
  await column.getByLabel("Column type").selectOption("integer");
  await column.getByLabel("Default").fill("abc");
  await page.getByRole("button", { name: "Create table" }).click();
  await column.locator(".field-error").getByText("default").waitFor();
  assert.equal(await page.locator("label.field").filter({ hasText: "Table name" }).locator(".field-error").textContent(), "");
  assertClean(page);
});

test("system tables are read-only; the SQL console shows results, errors and its limits", async () => {
  const page = await signedIn();
  await page.goto(`${env.url}/#/p/${env.project}/database/messages`);
  await page.getByRole("heading", { name: "Rows of messages" }).getByText("system: read-only").waitFor();
  assert.equal(await page.locator("tr.insert").count(), 0);
  assert.equal(await page.getByRole("button", { name: "Drop table…" }).count(), 0);

  await page.goto(`${env.url}/#/p/${env.project}/sql`);
  await page.getByText(/at most \d+ rows/).waitFor();
  await page.getByText(/stopped after \d+(\.\d+)? s/).waitFor();
  const query = page.getByLabel("SQL statement");
  await query.fill("SELECT g AS n, 'row ' || g AS label, NULL AS nothing FROM generate_series(1, 3) g");
  await page.getByRole("button", { name: "Run" }).click();
  await page.getByTestId("sql-summary").getByText("3 rows").waitFor();
  assert.deepEqual(await page.locator(".grid thead th").allTextContents(), ["n", "label", "nothing"]);
  assert.equal(await page.locator(".grid tbody tr").nth(2).locator("td").nth(1).textContent(), "row 3");
  await query.fill("SELECT * FROM no_such_table");
  await query.press("Control+Enter");
  await page.locator(".state.error").getByText("no_such_table").waitFor();
  assertClean(page);
});
