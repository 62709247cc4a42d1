// Debian's chromium driven by playwright-core, as the browser tests and the screenshot script
// use it: no browser download, no network beyond 127.0.0.1, and every page error is a failure.
import { chromium } from "playwright-core";

const executablePath = process.env.PAIGE_CHROMIUM ?? "/usr/bin/chromium";

/** A fresh browser (its own empty profile). */
export async function launch() {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage"],
  });
}

/**
 * A page of a new context (its own sessionStorage) that records what went wrong: uncaught
 * errors, console errors, dialogs (an alert() would mean injected script ran), and requests
 * that left 127.0.0.1.
 */
export async function newPage(browser, { width = 1280, height = 860, timezoneId } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, timezoneId });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push("page error: " + e.message));
  page.on("console", (m) => {
    // A failed request logs "Failed to load resource" (4xx answers the tests provoke on purpose).
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) page.problems.push("console: " + m.text());
  });
  page.on("dialog", (d) => { page.problems.push("dialog: " + d.message()); d.dismiss(); });
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.hostname !== "127.0.0.1" && url.protocol !== "data:") page.problems.push("outside request: " + r.url());
  });
  return page;
}

/** Signs in with `key` on the dashboard at `base`. */
export async function signIn(page, base, key) {
  await page.goto(base + "/");
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}
