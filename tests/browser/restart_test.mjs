// Paige restarted while the dashboard is open: the live views say they reconnect, come back,
// and say what they missed (the new process does not know the old one's event ids).
import { after, before, test } from "node:test";
import { launch, newPage, signIn } from "./browser.mjs";
import { assertClean, env, eventually, restartPaige, userSays } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("an open conversation reconnects after a restart, offers a reload, and is live again", async () => {
  await userSays("15550300", "before the restart", "Restart");
  const page = await newPage(browser);
  await signIn(page, env.url, env.adminKey);
  await page.goto(`${env.url}/#/p/${env.project}/conversations`);
  await page.getByRole("link", { name: "Restart" }).click();
  const thread = page.getByRole("list", { name: "History" });
  await thread.getByText("before the restart").waitFor();
  await page.getByText("● live").waitFor();

  await restartPaige();
  await page.getByText("Some live updates were missed.").waitFor();
  await page.getByText("● live").waitFor();  // reconnected meanwhile
  await userSays("15550300", "after the restart");
  await thread.getByText("after the restart").waitFor();  // live again without the reload
  await page.getByRole("button", { name: "Reload" }).click();
  await thread.getByText("before the restart").waitFor();  // still signed in: the key is the tab's
  await thread.getByText("after the restart").waitFor();
  await page.getByText("● live").waitFor();
  assertClean(page);
});
