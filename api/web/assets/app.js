// The dashboard: sign-in, the routes of its pages (in the URL's fragment, never the key), and
// the layout around them.
import { call, session } from "./api.js";
import { h, replace } from "./dom.js";
import { errorBox, field, loading } from "./ui.js";
import { projectsPage, projectPage } from "./page_projects.js";
import { whatsappPage } from "./page_whatsapp.js";
import { tablesPage, tablePage, sqlPage } from "./page_database.js";
import { conversationsPage, conversationPage, contactsPage, contactPage } from "./page_conversations.js";
import { botPage } from "./page_bot.js";
import { templatesPage } from "./page_templates.js";
import { flowsPage } from "./page_flows.js";
import { broadcastPage, broadcastsPage } from "./page_broadcasts.js";
import { operationsPage } from "./page_operations.js";

const routes = [
  [/^\/?$/, (ctx) => ctx.me.role === "admin" ? projectsPage(ctx) : redirect(`#/p/${ctx.me.project_id}`)],
  [/^\/projects$/, projectsPage],
  [/^\/p\/([^/]+)$/, projectPage, ["project"]],
  [/^\/p\/([^/]+)\/whatsapp$/, whatsappPage, ["project"]],
  [/^\/p\/([^/]+)\/database$/, tablesPage, ["project"]],
  [/^\/p\/([^/]+)\/database\/([^/]+)$/, tablePage, ["project", "table"]],
  [/^\/p\/([^/]+)\/sql$/, sqlPage, ["project"]],
  [/^\/p\/([^/]+)\/conversations$/, conversationsPage, ["project"]],
  [/^\/p\/([^/]+)\/conversations\/(\d+)$/, conversationPage, ["project", "conversation"]],
  [/^\/p\/([^/]+)\/contacts$/, contactsPage, ["project"]],
  [/^\/p\/([^/]+)\/contacts\/(\d+)$/, contactPage, ["project", "contact"]],
  [/^\/p\/([^/]+)\/bot$/, botPage, ["project"]],
  [/^\/p\/([^/]+)\/templates$/, templatesPage, ["project"]],
  [/^\/p\/([^/]+)\/flows$/, flowsPage, ["project"]],
  [/^\/p\/([^/]+)\/broadcasts$/, broadcastsPage, ["project"]],
  [/^\/p\/([^/]+)\/broadcasts\/(\d+)$/, broadcastPage, ["project", "broadcast"]],
  [/^\/operations$/, operationsPage],
];

function redirect(hash) {
  location.replace(hash);
  return h("div");
}

let me = null;
let disposers = [];
let generation = 0;  // which page is shown: a page's late work checks it is still the one

const main = document.getElementById("app");
const nav = document.getElementById("nav");

function dispose() {
  generation++;
  for (const d of disposers) d();
  disposers = [];
}

function signInPage(message) {
  const input = h("input", { type: "password", name: "key", autocomplete: "off", required: true, spellcheck: "false" });
  const keyField = field("API key", input, "The admin key (the data directory's admin-token file) or a project key (paige_pk_…).");
  const status = h("div", { role: "alert" }, message ? errorBox({ message }) : null);
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const formEl = h("form", {
    class: "signin",
    onsubmit: async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      replace(status);
      try {
        me = await call("me", {}, { key: input.value.trim() });
        session.signIn(input.value.trim());
        render();
      } catch (e) {
        replace(status, errorBox(e.status === 401 ? { message: "This key is not valid (or was revoked).", code: e.code } : e));
      } finally {
        button.disabled = false;
      }
    },
  }, h("h1", {}, "Sign in to Paige"), keyField, status, h("div", { class: "buttons" }, button),
  h("p", { class: "muted" }, "The key stays in this tab only (session storage); closing the tab signs you out."));
  replace(nav);
  replace(main, formEl);
  input.focus();
}

function signOut(message) {
  dispose();
  session.signOut();
  me = null;
  signInPage(message);
}

function renderNav() {
  replace(nav,
    h("a", { href: "#/", class: "brand" }, "Paige"),
    me.role === "admin" ? h("a", { href: "#/projects" }, "Projects") : h("a", { href: `#/p/${me.project_id}` }, "Project"),
    h("a", { href: "#/operations" }, "Operations"),
    h("a", { href: "/docs" }, "API docs"),
    h("span", { class: "who" }, me.role === "admin" ? "admin key" : "project key"),
    h("button", { type: "button", onclick: () => signOut() }, "Sign out"));
}

/** Shows the page of the URL's fragment; after a navigation, focus moves to it. */
async function render(navigated = false) {
  dispose();
  if (!session.key()) return signInPage();
  if (!me) {
    replace(main, loading("Signing in"));
    try {
      me = await call("me");
    } catch (e) {
      if (e.status === 401) return signOut("The key is no longer valid; sign in again.");
      return replace(main, errorBox(e, () => render()));
    }
  }
  renderNav();
  // Matched as written, each part decoded alone: a table named "a/b" is one part ("a%2Fb").
  const path = location.hash.replace(/^#/, "") || "/";
  for (const [pattern, page, names = []] of routes) {
    const m = path.match(pattern);
    if (!m) continue;
    let params;
    try {
      params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    } catch {
      break;  // a malformed escape: no such page
    }
    const shown = generation;
    const ctx = { me, params, onDispose: (f) => disposers.push(f), active: () => shown === generation };
    replace(main, page(ctx));
    if (navigated) main.focus({ preventScroll: true });
    return;
  }
  replace(main, errorBox({ message: "No such page: " + path }));
}

window.addEventListener("hashchange", () => render(true));
// The skip link moves focus to the page without touching the route.
document.querySelector("a.skip")?.addEventListener("click", (ev) => {
  ev.preventDefault();
  main.focus();
});
window.addEventListener("paige:signedout", () => signOut("The key was revoked or is no longer valid; sign in again."));
render();
