// What the scenarios share: their environment (set by browser_test.cpp), the API and the
// simulator for set-up and checks, and waiting on a condition with a deadline.
export const env = {
  url: process.env.PAIGE_URL,
  adminKey: process.env.PAIGE_ADMIN_KEY,
  project: process.env.PAIGE_PROJECT,
  metasim: process.env.METASIM_URL,
  number: process.env.METASIM_NUMBER,
};
for (const [name, value] of Object.entries(env))
  if (!value) throw new Error(`missing ${name}: run through browser_tests (tests/browser/browser_test.cpp)`);

/** Calls Paige's API with the admin key (or `key`); resolves to { status, body }. */
export async function api(method, path, body, key = env.adminKey) {
  const res = await fetch(env.url + path, {
    method,
    headers: { Authorization: "Bearer " + key, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Calls the simulator's control API. */
export async function metasim(method, path, body) {
  const res = await fetch(env.metasim + path, {
    method, headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** A WhatsApp user writes to the project's number (as Meta would deliver it). */
export async function userSays(waId, text, name) {
  const r = await metasim("POST", `/control/numbers/${env.number}/users/${waId}/messages`,
    { message: { type: "text", text: { body: text } }, ...(name ? { name } : {}) });
  if (r.status !== 200 || !r.body.delivered) throw new Error("the simulator could not deliver: " + JSON.stringify(r.body));
  return r.body.wamid;
}

/** What the business sent to a user, as the simulator recorded it. */
export async function sentTo(waId) {
  const r = await metasim("GET", `/control/numbers/${env.number}/users/${waId}/messages?after=0`);
  return r.body.items.filter((m) => m.direction === "out");
}

/** Polls `check` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function eventually(check, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A page's problems (uncaught errors, console errors, dialogs, outside requests) must be none. */
export function assertClean(page) {
  if (page.problems.length) throw new Error("the page had problems:\n" + page.problems.join("\n"));
}

/** Restarts paige on the same port (restartable scenarios only: browser_test.cpp does it). */
export async function restartPaige() {
  const fs = await import("node:fs");
  const dir = process.env.PAIGE_CONTROL_DIR;
  fs.rmSync(`${dir}/restarted`, { force: true });
  fs.writeFileSync(`${dir}/restart`, "");
  await eventually(() => fs.existsSync(`${dir}/restarted`), "paige to restart", 60000);
}
