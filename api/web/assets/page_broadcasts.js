// Broadcasts: the list; a form that sends an approved template to an audience (counted before
// sending), with one value per parameter; one broadcast's progress live, its recipients, and
// pause, resume and cancel.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { badge, empty, errorBox, field, fill, notify, pager } from "./ui.js";
import { followEvents } from "./events.js";
import { projectFrame } from "./frame.js";
import { audienceOf, componentsFor, parametersOf, progressLine } from "./broadcast_form.js";

export function broadcastsPage(ctx) {
  const id = ctx.params.project;
  const list = h("div");
  const cursors = [null];
  const loadList = () => fill(list, () => call("listBroadcasts", { project_id: id }, { query: { limit: 25, cursor: cursors.at(-1) } }),
    (r) => h("div", {}, r.items.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Broadcast", "Template", "Status", "Recipients", "Created"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((b) => h("tr", {},
        h("td", {}, h("a", { href: `#/p/${encodeURIComponent(id)}/broadcasts/${b.id}` }, b.name || `Broadcast ${b.id}`)),
        h("td", {}, h("code", {}, b.template.name), " ", b.template.language),
        h("td", {}, badge(b.status)), h("td", {}, String(b.recipients)), h("td", {}, timeEl(b.created_at)))))) : empty("No broadcasts yet."),
    pager(cursors, r.next_cursor, loadList)));

  // The form.
  let templates = [];
  const name = h("input", { type: "text", autocomplete: "off" });
  const template = h("select", {}, h("option", { value: "" }, "Loading approved templates…"));
  const kind = h("select", {}, [["all", "All contacts"], ["states", "Contacts in states"], ["numbers", "A list of numbers"], ["table", "Rows of a table"]]
    .map(([v, t]) => h("option", { value: v }, t)));
  const states = h("input", { type: "text", placeholder: "support, collect_info" });
  const numbers = h("textarea", { rows: 3, placeholder: "One WhatsApp number a line" });
  const table = h("input", { type: "text", placeholder: "customers" });
  const phoneColumn = h("input", { type: "text", placeholder: "phone" });
  const schedule = h("input", { type: "datetime-local" });
  const kindFields = {
    states: field("States", states, "Contacts whose open conversation is in one of these."),
    numbers: field("Numbers", numbers),
    table: h("div", {}, field("Table", table), field("Phone column", phoneColumn)),
  };
  const params = h("div");
  const values = {};
  const count = h("span", { role: "status" });
  const problems = h("div", { role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, "Send broadcast");

  const chosen = () => templates[Number(template.value)] ?? null;
  function showKind() {
    for (const [k, el] of Object.entries(kindFields)) el.hidden = k !== kind.value;
    replace(count);
  }
  function showParams() {
    const t = chosen();
    const list = parametersOf(t);
    replace(params, list.length ? h("fieldset", {}, h("legend", {}, "Values"),
      h("p", { class: "hint" }, "Text, or {column} for each recipient's own value: {name} and {wa_id} of a contact, or a column of the table."),
      list.map((p) => {
        const input = h("input", { type: "text", autocomplete: "off", value: values[`${p.component}:${p.name}`] ?? "" });
        input.addEventListener("input", () => { values[`${p.component}:${p.name}`] = input.value; });
        return field(`${p.component === "header" ? "Header" : "Body"} {{${p.name}}}`, input);
      })) : t ? h("p", { class: "muted" }, "This template takes no values.") : null);
  }
  const audience = () => audienceOf(kind.value, { states: states.value, numbers: numbers.value, table: table.value, phoneColumn: phoneColumn.value });

  async function countRecipients() {
    replace(count, "Counting…");
    try {
      const r = await call("countAudience", { project_id: id }, { body: { audience: audience() } });
      replace(count, `${r.count} recipient${r.count === 1 ? "" : "s"} now (contacts who opted out are skipped).`);
    } catch (e) {
      replace(count, errorBox(e));
    }
  }

  async function send(ev) {
    ev.preventDefault();
    replace(problems);
    const t = chosen();
    if (!t) return replace(problems, errorBox({ message: "Choose an approved template." }));
    const body = { name: name.value, template: { name: t.name, language: t.language }, audience: audience(), components: componentsFor(t, values) };
    if (schedule.value) body.schedule_at = new Date(schedule.value).toISOString().replace(/\.\d{3}Z$/, "Z");
    submit.disabled = true;
    try {
      const b = await call("createBroadcast", { project_id: id }, { body });
      notify(b.status === "scheduled" ? "Scheduled." : "Sending.");
      location.hash = `#/p/${encodeURIComponent(id)}/broadcasts/${b.id}`;
    } catch (e) {
      const list = e.details?.problems ?? [];
      replace(problems, list.length
        ? h("div", { class: "state error" }, h("strong", {}, e.message),
          h("ul", { class: "problems" }, list.map((p) => h("li", {}, h("code", {}, p.pointer || "/"), " ", p.message))))
        : errorBox(e));
    } finally {
      submit.disabled = false;
    }
  }

  kind.addEventListener("change", showKind);
  template.addEventListener("change", showParams);
  call("listTemplates", { project_id: id }, { query: { status: "APPROVED", limit: 200 } }).then((r) => {
    templates = r.items;
    replace(template, templates.length
      ? [h("option", { value: "" }, "Choose a template"), templates.map((t, i) => h("option", { value: String(i) }, `${t.name} (${t.language}, ${t.category.toLowerCase()})`))]
      : h("option", { value: "" }, "No approved template yet"));
  }).catch((e) => replace(problems, errorBox(e)));
  showKind();
  loadList();

  return projectFrame(ctx, "broadcasts", h("div", {},
    h("section", { class: "card" }, h("h2", {}, "Broadcasts"),
      h("p", { class: "muted" }, "An approved template sent to many contacts, paced below the number's rate and after live replies."), list),
    h("section", { class: "card" }, h("h2", {}, "New broadcast"),
      h("form", { onsubmit: send },
        field("Name (optional)", name), field("Template", template), params,
        field("Audience", kind), kindFields.states, kindFields.numbers, kindFields.table,
        h("div", { class: "row" }, h("button", { type: "button", onclick: countRecipients }, "Count recipients"), count),
        field("Send at (optional)", schedule, "Your local time; empty: now."),
        problems, h("div", { class: "buttons" }, submit)))));
}

export function broadcastPage(ctx) {
  const id = ctx.params.project;
  const bid = ctx.params.broadcast;
  const head = h("section", { class: "card" });
  const recipients = h("div");
  const cursors = [null];
  const filter = h("select", { "aria-label": "Recipient status" },
    ["", "pending", "queued", "sent", "delivered", "read", "failed", "skipped"].map((s) => h("option", { value: s }, s || "Any status")));

  function show(b) {
    const p = b.progress;
    const done = p ? p.sent + p.delivered + p.read + p.failed + p.skipped : 0;
    const actions = [];
    const act = (op, label, cls) => h("button", {
      type: "button", class: cls,
      onclick: async () => {
        try {
          show({ ...(await call(op, { project_id: id, broadcast_id: bid })), progress: b.progress });
        } catch (e) {
          notify(e.message, "error");
        }
      },
    }, label);
    if (b.status === "running" || b.status === "scheduled") actions.push(act("pauseBroadcast", "Pause"));
    if (b.status === "paused") actions.push(act("resumeBroadcast", "Resume", "primary"));
    if (["running", "scheduled", "paused"].includes(b.status)) actions.push(act("cancelBroadcast", "Cancel", "danger"));
    replace(head,
      h("div", { class: "row" }, h("h2", {}, b.name || `Broadcast ${b.id}`), badge(b.status), b.status_detail ? h("span", { class: "muted" }, b.status_detail) : null),
      h("dl", { class: "facts" },
        h("dt", {}, "Template"), h("dd", {}, h("code", {}, b.template.name), " ", b.template.language),
        h("dt", {}, "Progress"), h("dd", { "data-testid": "progress" }, progressLine(p)),
        p && Object.keys(p.failed_by_code).length ? [h("dt", {}, "Failed by Meta's code"),
          h("dd", {}, Object.entries(p.failed_by_code).map(([code, n]) => `${code}: ${n}`).join(", "))] : null,
        b.schedule_at ? [h("dt", {}, "Scheduled for"), h("dd", {}, timeEl(b.schedule_at))] : null,
        h("dt", {}, "Started"), h("dd", {}, b.started_at ? timeEl(b.started_at) : "—"),
        h("dt", {}, "Finished"), h("dd", {}, b.finished_at ? timeEl(b.finished_at) : "—")),
      p && p.total ? h("progress", { max: String(p.total), value: String(done), "aria-label": "Done" }) : null,
      h("div", { class: "buttons" }, actions));
  }

  async function load() {
    try {
      show(await call("getBroadcast", { project_id: id, broadcast_id: bid }));
    } catch (e) {
      replace(head, errorBox(e, load));
    }
  }
  const loadRecipients = () => fill(recipients, () => call("broadcastRecipients", { project_id: id, broadcast_id: bid },
    { query: { status: filter.value, limit: 50, cursor: cursors.at(-1) } }), (r) => h("div", {},
    r.items.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Number", "Status", "Why"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((x) => h("tr", {}, h("td", {}, x.wa_id), h("td", {}, badge(x.status)),
        h("td", {}, x.skip_reason ?? (x.error ? `${x.error.code ?? ""} ${x.error.message ?? ""}` : "")))))) : empty("No recipients here."),
    pager(cursors, r.next_cursor, loadRecipients)));
  filter.addEventListener("change", () => { cursors.splice(1); loadRecipients(); });

  // Statuses of broadcasts' messages (no conversation) keep coming after the last recipient was
  // queued: they reload the progress, at most once a second.
  let reloading = null;
  const reloadSoon = () => { reloading ??= setTimeout(() => { reloading = null; if (ctx.active()) load(); }, 1000); };
  ctx.onDispose(() => clearTimeout(reloading));
  const events = followEvents(id, {
    onEvent: (type, data) => {
      if (type === "broadcast.progress" && String(data?.broadcast?.id) === String(bid)) show(data.broadcast);
      if (type === "message.status" && !data?.conversation_id) reloadSoon();
      if (type === "events.lost") load();
    },
  });
  ctx.onDispose(() => events.stop());
  load();
  loadRecipients();
  return projectFrame(ctx, "broadcasts", h("div", {},
    h("p", {}, h("a", { href: `#/p/${encodeURIComponent(id)}/broadcasts` }, "← Broadcasts")), head,
    h("section", { class: "card" }, h("div", { class: "row" }, h("h2", {}, "Recipients"), filter,
      h("button", { type: "button", onclick: loadRecipients }, "Refresh")), recipients)));
}
