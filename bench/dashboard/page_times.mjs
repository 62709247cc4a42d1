// Time from navigation to content on the dashboard at 100 000 conversations and 1 000 000 rows
// (after seed.sh), in Debian's chromium; three runs each, from the operations page.
import { launch, newPage, signIn } from "../../tests/browser/browser.mjs";
import fs from "node:fs";
const base = "http://127.0.0.1:8080";
const dir = process.env.PAIGE_DATA_DIR ?? "var";
const key = fs.readFileSync(`${dir}/admin-token`, "utf8").split("\n")[0];
const project = fs.readFileSync(`${dir}/demo-project`, "utf8").trim();
const b = await launch();
const page = await newPage(b);
await signIn(page, base, key);
const time = async (label, hash, ready, action) => {
  const out = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(`${base}/#/operations`);
    await page.getByRole("heading", { name: "Operations" }).waitFor();
    const t0 = performance.now();
    await page.goto(`${base}/${hash}`);
    await ready();
    if (action) await action();
    out.push(Math.round(performance.now() - t0));
  }
  console.log(`${label}: ${out.join(", ")} ms`);
};
const firstRow = () => page.locator("tbody tr:not(.editing)").first().waitFor();
await time("table big, first page", `#/p/${project}/database/big`, firstRow);
await time("table big, sorted by n (no index), first page", `#/p/${project}/database/big`, firstRow, async () => {
  const before = await page.locator("tbody tr").first().textContent();
  await page.getByRole("button", { name: "Sort by n integer" }).click();
  await page.waitForFunction((b) => document.querySelector("tbody tr")?.textContent !== b && !document.querySelector(".state.loading"), before);
});
await time("table big, next page", `#/p/${project}/database/big`, firstRow, async () => {
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByText("Page 2").waitFor();
});
await time("conversations (100 000 open), list and state counts", `#/p/${project}/conversations`,
  async () => { await page.locator("tbody tr").first().waitFor(); await page.locator("fieldset.states input").first().waitFor(); });
await time("contacts (100 000)", `#/p/${project}/contacts`, () => page.locator("tbody tr").first().waitFor());
await time("contacts, search by name", `#/p/${project}/contacts`, () => page.locator("tbody tr").first().waitFor(), async () => {
  await page.getByLabel("Search contacts").fill("User 99999");
  await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
});
await b.close();
