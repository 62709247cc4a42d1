// Projects: the list (admin), one project's overview with its settings, lifecycle and keys.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { badge, confirmByTyping, empty, errorBox, field, fill, form, latest, loading, notify, pager } from "./ui.js";
import { projectFrame } from "./frame.js";

const settling = new Set(["provisioning", "deleting"]);

/** The list of projects, refreshed while any of them is still settling. */
export function projectsPage(ctx) {
  document.title = "Projects — Paige";
  const list = h("div", { class: "list" }, loading());
  const cursors = [null];
  const take = latest();
  let timer = null;
  ctx.onDispose(() => clearTimeout(timer));

  async function load() {
    clearTimeout(timer);
    const mine = take();
    try {
      const page = await call("listProjects", {}, { query: { limit: 100, cursor: cursors.at(-1) } });
      if (!mine() || !ctx.active()) return;
      if (!page.items.length && cursors.length === 1) return replace(list, empty("No projects yet: create the first one above."));
      replace(list, h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "WhatsApp number"), h("th", { scope: "col" }, "Created"))),
        h("tbody", {}, page.items.map((p) => h("tr", {},
          h("td", {}, h("a", { href: `#/p/${encodeURIComponent(p.id)}` }, p.name)),
          h("td", {}, badge(p.status), p.status_detail ? h("span", { class: "muted" }, " " + p.status_detail) : null),
          h("td", {}, p.whatsapp?.display_phone_number ?? h("span", { class: "muted" }, "not connected")),
          h("td", {}, timeEl(p.created_at)))))),
      pager(cursors, page.next_cursor, load));
      if (page.items.some((p) => settling.has(p.status))) timer = setTimeout(load, 1000);
    } catch (e) {
      if (mine() && ctx.active()) replace(list, errorBox(e, load));
    }
  }

  const name = h("input", { type: "text", name: "name", required: true, maxlength: 200 });
  const nameField = field("Name", name);
  const create = form({
    fields: { name: nameField },
    children: [nameField],
    submit: "Create project",
    action: async () => {
      const p = await call("createProject", {}, { body: { name: name.value } });
      name.value = "";
      notify(`Project “${p.name}” is being provisioned.`);
      load();
    },
  });
  load();
  return h("div", {},
    h("header", { class: "page-head" }, h("h1", {}, "Projects")),
    h("section", { class: "card" }, h("h2", {}, "New project"), create),
    list);
}

/** One project: status, settings, pause/resume, delete, keys. */
export function projectPage(ctx) {
  const id = ctx.params.project;
  const admin = ctx.me.role === "admin";
  const body = h("div", {}, loading());
  const facts = h("div");
  const actions = h("div");
  let built = false;
  let timer = null;
  ctx.onDispose(() => clearTimeout(timer));

  // The forms (settings, keys) are built once; what follows the status (the overview and the
  // lifecycle buttons) is refreshed, so polling never wipes what is typed or a key shown once.
  async function load() {
    clearTimeout(timer);
    try {
      const p = await call("getProject", { project_id: id });
      if (!ctx.active()) return;
      frame.show(p);
      replace(facts, overview(p));
      replace(actions, admin ? lifecycle(p) : null);
      if (!built) {
        built = true;
        replace(body, facts, admin ? settings(p) : null, actions, admin ? keys() : null);
      }
      if (settling.has(p.status)) timer = setTimeout(load, 1000);
    } catch (e) {
      if (ctx.active()) replace(built ? facts : body, errorBox(e, load));
    }
  }

  function overview(p) {
    return h("section", { class: "card" }, h("h2", {}, "Overview"),
      h("dl", { class: "facts" },
        h("dt", {}, "Status"), h("dd", { "data-testid": "project-status" }, badge(p.status), p.status_detail ? " " + p.status_detail : ""),
        h("dt", {}, "Id"), h("dd", {}, h("code", {}, p.id)),
        h("dt", {}, "Created"), h("dd", {}, timeEl(p.created_at)),
        h("dt", {}, "WhatsApp"), h("dd", {}, p.whatsapp ? `${p.whatsapp.display_phone_number ?? ""} (${p.whatsapp.verified_name ?? p.whatsapp.phone_number_id}) ` : "not connected",
          p.whatsapp?.status === "token_invalid" ? h("a", { href: `#/p/${encodeURIComponent(p.id)}/whatsapp` }, badge("token_invalid")) : null),
        h("dt", {}, "Conversation timeout"), h("dd", {}, `${p.settings.conversation_timeout_seconds} s`),
        h("dt", {}, "Send rate"), h("dd", {}, `${p.settings.messages_per_second} messages/s`)));
  }

  function settings(p) {
    const name = h("input", { type: "text", name: "name", value: p.name, required: true, maxlength: 200 });
    const timeout = h("input", { type: "number", name: "conversation_timeout_seconds", step: 1, value: p.settings.conversation_timeout_seconds });
    const rate = h("input", { type: "number", name: "messages_per_second", step: 1, value: p.settings.messages_per_second });
    const fields = {
      name: field("Name", name),
      conversation_timeout_seconds: field("Inactivity timeout (seconds)", timeout, "An open conversation closes after this long without a message (60 s to 30 days)."),
      messages_per_second: field("Send rate (messages per second)", rate, "1 to 1000: how fast the bot's and operators' messages go out."),
    };
    return h("section", { class: "card" }, h("h2", {}, "Settings"), form({
      fields,
      children: Object.values(fields),
      action: async () => {
        await call("updateProject", { project_id: id }, {
          body: { name: name.value, settings: { conversation_timeout_seconds: Number(timeout.value), messages_per_second: Number(rate.value) } },
        });
        notify("Saved.");
        load();
      },
    }));
  }

  function lifecycle(p) {
    const act = (op, done) => async () => {
      try {
        await call(op, { project_id: id });
        notify(done);
        load();
      } catch (e) {
        notify(e.message, "error");
      }
    };
    return h("section", { class: "card" }, h("h2", {}, "Lifecycle"),
      h("p", { class: "muted" }, "A paused project keeps its data and answers webhooks, but its bot does not run."),
      h("div", { class: "buttons" },
        p.status === "active" ? h("button", { type: "button", onclick: act("pauseProject", "Paused.") }, "Pause") : null,
        p.status === "paused" ? h("button", { type: "button", onclick: act("resumeProject", "Resumed.") }, "Resume") : null,
        h("button", {
          type: "button", class: "danger",
          onclick: () => confirmByTyping({
            title: "Delete project", name: p.name,
            text: "Its database, messages and keys are deleted for good.",
            action: async () => {
              await call("deleteProject", { project_id: id });
              notify(`Project “${p.name}” is being deleted.`);
              location.hash = "#/projects";
            },
          }),
        }, "Delete project…")));
  }

  function keys() {
    const list = h("div");
    const shown = h("div", { role: "status" });
    const reload = () => fill(list, () => call("listKeys", { project_id: id }), (r) =>
      r.items.length ? h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, ["Name", "Prefix", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, r.items.map((k) => h("tr", {},
          h("td", {}, k.name), h("td", {}, h("code", {}, k.prefix + "…")), h("td", {}, timeEl(k.created_at)),
          h("td", {}, h("button", {
            type: "button", class: "danger",
            onclick: async () => {
              try {
                await call("revokeKey", { project_id: id, key_id: k.id });
                notify(`Key “${k.name}” revoked.`);
                reload();
              } catch (e) {
                notify(e.message, "error");
              }
            },
          }, "Revoke")))))) : empty("No keys: create one for a program that uses this project's API."));
    const name = h("input", { type: "text", name: "key_name", required: true, maxlength: 200 });
    const nameField = field("Key name", name);
    const create = form({
      fields: { name: nameField },
      children: [nameField],
      submit: "Create key",
      action: async () => {
        const k = await call("createKey", { project_id: id }, { body: { name: name.value } });
        name.value = "";
        replace(shown, h("div", { class: "once" },
          h("p", {}, "The new key, shown this once: copy it now."),
          h("input", { type: "text", readonly: true, value: k.key, "aria-label": "New key", class: "mono", onfocus: (e) => e.target.select() })));
        reload();
      },
    });
    reload();
    return h("section", { class: "card" }, h("h2", {}, "API keys"),
      h("p", { class: "muted" }, "A project key reaches this project only."), create, shown, list);
  }

  const frame = projectFrame(ctx, "overview", body);
  load();
  return frame;
}
