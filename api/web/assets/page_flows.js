// Flows: the project's WhatsApp Flows with Meta's status as it comes; an editor for a flow's
// Flow JSON with the problems Paige and Meta find at their pointers and an outline of each
// screen; publish, deprecate, preview and delete as Meta allows.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { badge, confirmByTyping, empty, errorBox, field, fill, notify, pager } from "./ui.js";
import { followEvents } from "./events.js";
import { projectFrame } from "./frame.js";
import { lineOf, locatePointer, selectPointer } from "./json_pointer.js";
import { pointerInFlowJson, screensOf } from "./flow_screens.js";

const statuses = ["", "DRAFT", "PUBLISHED", "DEPRECATED", "BLOCKED", "THROTTLED"];
const categories = ["SIGN_UP", "SIGN_IN", "APPOINTMENT_BOOKING", "LEAD_GENERATION", "CONTACT_US",
  "CUSTOMER_SUPPORT", "SURVEY", "OTHER"];
const starter = {
  version: "7.3",
  screens: [{
    id: "WELCOME", title: "Welcome", terminal: true,
    layout: { type: "SingleColumnLayout", children: [
      { type: "TextInput", name: "name", label: "Your name", required: true },
      { type: "Footer", label: "Send", "on-click-action": { name: "complete", payload: { name: "${form.name}" } } },
    ] },
  }],
};

/** A screen's outline: what the user sees, in order, as text. */
function screenCard(s) {
  return h("article", { class: "flow-screen" },
    h("h4", {}, s.title || s.id, " ", h("code", {}, s.id), s.terminal ? " " : null, s.terminal ? badge("terminal") : null),
    s.items.length ? h("ul", {}, s.items.map((i) => h("li", { class: `flow-item flow-${i.kind} depth-${Math.min(i.depth, 3)}` },
      i.kind === "input" ? [h("span", { class: "muted" }, i.type + " "), i.text, i.required ? " *" : "",
        i.options.length ? h("span", { class: "muted" }, " (" + i.options.join(", ") + ")") : null]
        : i.kind === "button" || i.kind === "link" ? [h("span", { class: "pill" }, i.text), " ", h("span", { class: "muted" }, i.action)]
          : i.kind === "branch" ? h("em", {}, i.text)
            : i.kind === "other" ? [h("span", { class: "muted" }, i.type + " "), i.text]
              : i.text)))
      : h("p", { class: "muted" }, "No components."));
}

export function flowsPage(ctx) {
  const id = ctx.params.project;
  const list = h("div");
  const cursors = [null];
  const filter = h("select", { "aria-label": "Status" }, statuses.map((s) => h("option", { value: s }, s ? s.toLowerCase() : "Any status")));
  let editing = null;  // the flow being edited, or null for a new one

  async function act(f, action, done) {
    try {
      await call(action, { project_id: id, name: f.name });
      notify(done);
      loadList();
      if (editing?.name === f.name) open(f.name);
    } catch (e) {
      if (e.code === "invalid_flow" && e.details?.problems) { await open(f.name); showProblems(e.details.problems, "Meta found problems: fix them before publishing."); }
      else notify(e.message, "error");
    }
  }

  async function preview(f) {
    try {
      const p = await call("flowPreview", { project_id: id, name: f.name });
      window.open(p.preview_url, "_blank", "noopener");
    } catch (e) {
      notify(e.message, "error");
    }
  }

  // The number's key for dynamic flows' endpoint: its state, and a new one on demand.
  const keyStatus = h("span", { class: "muted", role: "status" });
  async function loadKey() {
    try {
      const k = await call("getFlowsKey", { project_id: id });
      replace(keyStatus, "Endpoint key made ", timeEl(k.created_at), `; Meta: ${k.signature_status ?? "unknown"}.`);
    } catch (e) {
      replace(keyStatus, e.code === "flow_key_missing" ? "No endpoint key yet (dynamic flows need one)." : e.message);
    }
  }
  async function makeKey() {
    try {
      await call("makeFlowsKey", { project_id: id });
      notify("A new endpoint key is made and uploaded to Meta.");
      loadKey();
    } catch (e) {
      notify(e.message, "error");
    }
  }

  const loadList = () => fill(list, () => call("listFlows", { project_id: id },
    { query: { status: filter.value, limit: 25, cursor: cursors.at(-1) } }), (r) => h("div", {},
    r.items.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Name", "Categories", "Status", "Problems", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((f) => h("tr", {},
        h("td", {}, f.name), h("td", {}, f.categories.map((c) => c.toLowerCase().replace(/_/g, " ")).join(", ")),
        h("td", {}, badge(f.status.toLowerCase())),
        h("td", {}, f.validation_errors.length ? String(f.validation_errors.length) : "—"),
        h("td", {}, timeEl(f.updated_at)),
        h("td", { class: "actions" },
          h("button", { type: "button", onclick: () => open(f.name) }, f.status === "DRAFT" ? "Edit" : "View"),
          f.status === "DRAFT" ? h("button", { type: "button", onclick: () => act(f, "publishFlow", `${f.name} is published.`) }, "Publish") : null,
          ["PUBLISHED", "BLOCKED", "THROTTLED"].includes(f.status)
            ? h("button", { type: "button", onclick: () => act(f, "deprecateFlow", `${f.name} is deprecated.`) }, "Deprecate") : null,
          f.status !== "DEPRECATED" ? h("button", { type: "button", onclick: () => preview(f) }, "Preview") : null,
          f.status === "DRAFT" ? h("button", {
            type: "button", class: "danger", onclick: () => confirmByTyping({
              title: `Delete ${f.name}`,
              text: "Meta deletes the draft too.",
              name: f.name,
              action: async () => {
                await call("deleteFlow", { project_id: id, name: f.name });
                notify(`Deleted ${f.name}.`);
                if (editing?.name === f.name) show(null);
                loadList();
              },
            }),
          }, "Delete") : null))))) : empty(filter.value ? "No flow has this status." : "No flows yet: make one below."),
    pager(cursors, r.next_cursor, loadList)));
  filter.addEventListener("change", () => { cursors.splice(1); loadList(); });

  // The editor.
  const nameInput = h("input", { type: "text", autocomplete: "off", maxlength: 200 });
  const endpointInput = h("input", { type: "url", autocomplete: "off", placeholder: "https://…" });
  const boxes = categories.map((c) => h("label", { class: "check" }, h("input", { type: "checkbox", value: c }), " " + c.toLowerCase().replace(/_/g, " ")));
  const categoryBox = h("fieldset", { class: "checks" }, h("legend", {}, "Categories"), boxes);
  const editor = h("textarea", { class: "mono code-editor", rows: 24, spellcheck: "false", "aria-label": "Flow JSON", autocapitalize: "off" });
  const fields = {
    name: field("Name", nameInput, "Up to 200 characters, no '/'; the bot sends the flow by this name."),
    endpoint_uri: field("Endpoint (optional)", endpointInput, "The data-exchange endpoint of a dynamic flow (https)."),
  };
  const answersInput = h("textarea", { class: "mono", rows: 6, spellcheck: "false", autocapitalize: "off",
    placeholder: '{"table": "bookings", "create_table": true, "columns": {"name": "{{flow.name}}", "phone": "{{contact.wa_id}}"}}' });
  fields.answers = field("Where the answers go (optional)", answersInput,
    "A row of a project table per answer: each column's value a template ({{flow.<field>}}, {{contact.wa_id}}...); create_table makes the table with fitting types.");
  const sourcesInput = h("textarea", { class: "mono", rows: 6, spellcheck: "false", autocapitalize: "off",
    placeholder: '{"PICK": {"next": "DONE", "data": {"services": {"sql": "SELECT id, title FROM services"}}}}' });
  fields.data_sources = field("Screens' data for the endpoint (optional)", sourcesInput,
    "For a dynamic flow: each screen's data from SQL over the project's database, the request's values as $1, $2 (params: data.<name>, flow_token, screen).");
  const answersList = h("div");
  const answersCard = h("section", { class: "card", hidden: true }, h("h2", {}, "Answers"), answersList);
  const answerCursors = [null];
  const loadAnswers = () => editing && fill(answersList, () => call("flowAnswers", { project_id: id, name: editing.name },
    { query: { limit: 25, cursor: answerCursors.at(-1) } }), (r) => h("div", {},
    r.items.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Received", "Contact", "Answer"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((a) => h("tr", {},
        h("td", {}, timeEl(a.created_at)),
        h("td", {}, a.contact?.name ? `${a.contact.name} (${a.contact.wa_id})` : a.contact?.wa_id ?? "—"),
        h("td", {}, h("dl", { class: "answer" }, Object.entries(a.response ?? {}).filter(([k]) => k !== "flow_token")
          .map(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "string" ? v : JSON.stringify(v))]))))))) : empty("No answers yet."),
    pager(answerCursors, r.next_cursor, loadAnswers)));
  const categoryError = h("span", { class: "field-error", role: "alert" });
  const problems = h("div", { role: "alert", "aria-live": "polite" });
  const outline = h("div", { class: "flow-screens", "aria-label": "Screens" });
  const heading = h("h2", {}, "New flow");
  const status = h("span");
  const submit = h("button", { type: "submit", class: "primary" }, "Make the flow at Meta");
  const cancel = h("button", { type: "button", hidden: true, onclick: () => show(null) }, "New flow");

  const select = (pointer) => selectPointer(editor, pointer);

  function showProblems(list, title) {
    for (const f of Object.values(fields)) f.showError("");
    categoryError.textContent = "";
    const inJson = [];
    for (const p of list) {
      const at = pointerInFlowJson(p.pointer);
      if (at !== null) inJson.push({ ...p, at });
      else if (p.pointer.startsWith("/categories")) categoryError.textContent = p.message;
      else fields[p.pointer.slice(1).split("/")[0]]?.showError(p.message) ?? inJson.push({ ...p, at: null });
    }
    replace(problems, list.length ? h("div", { class: "state error" }, h("strong", {}, title),
      h("ul", { class: "problems" }, inJson.map((p) => h("li", {},
        p.at === null ? h("code", {}, p.pointer || "/")
          : h("button", { type: "button", class: "link", onclick: () => select(p.at), title: "Show in the editor" },
            h("code", {}, p.pointer), ` (line ${lineOf(editor.value, locatePointer(editor.value, p.at)[0])})`),
        " ", p.message)))) : null);
  }

  let outlineTimer = 0;
  function renderOutline() {
    clearTimeout(outlineTimer);
    outlineTimer = setTimeout(() => {
      let doc;
      try { doc = JSON.parse(editor.value); } catch { return replace(outline, h("p", { class: "muted" }, "The outline follows once the JSON parses.")); }
      const screens = screensOf(doc);
      replace(outline, screens.length ? screens.map(screenCard) : h("p", { class: "muted" }, "No screens."));
    }, 150);
  }
  editor.addEventListener("input", renderOutline);
  editor.addEventListener("keydown", (ev) => {
    if (ev.key === "Tab" && !ev.shiftKey) {  // two spaces; Escape then Tab leaves the editor
      if (editor.dataset.escaped) { delete editor.dataset.escaped; return; }
      ev.preventDefault();
      editor.setRangeText("  ", editor.selectionStart, editor.selectionEnd, "end");
    }
    if (ev.key === "Escape") editor.dataset.escaped = "1";
  });

  function show(f) {
    editing = f;
    nameInput.value = f?.name ?? "";
    endpointInput.value = f?.endpoint_uri ?? "";
    for (const b of boxes) b.firstChild.checked = (f?.categories ?? ["OTHER"]).includes(b.firstChild.value);
    editor.value = JSON.stringify(f?.flow_json ?? starter, null, 2);
    answersInput.value = f?.answers ? JSON.stringify(f.answers, null, 2) : "";
    sourcesInput.value = f?.data_sources ? JSON.stringify(f.data_sources, null, 2) : "";
    const frozen = f && f.status !== "DRAFT";
    for (const control of [nameInput, endpointInput, editor, ...boxes.map((b) => b.firstChild)]) control.disabled = !!frozen;
    answersCard.hidden = !f;
    answerCursors.splice(1);
    if (f) loadAnswers();
    replace(heading, f ? `${frozen ? "View" : "Edit"} ${f.name}` : "New flow");
    replace(status, f ? badge(f.status.toLowerCase()) : null);
    replace(submit, frozen ? "Save where the answers go and the screens' data" : f ? "Save the draft at Meta" : "Make the flow at Meta");
    cancel.hidden = !f;
    showProblems(f?.validation_errors ?? [], "Meta found problems in this Flow JSON:");
    renderOutline();
  }

  async function open(name) {
    try {
      show(await call("getFlow", { project_id: id, name }));
      heading.scrollIntoView?.({ block: "start" });
    } catch (e) {
      notify(e.message, "error");
    }
  }

  async function save(ev) {
    ev.preventDefault();
    let flowJson;
    try {
      flowJson = JSON.parse(editor.value);
    } catch (e) {
      return replace(problems, errorBox({ message: "The Flow JSON is not valid JSON: " + e.message, code: "invalid_json" }));
    }
    const frozen = editing && editing.status !== "DRAFT";
    const body = frozen ? {} : { name: nameInput.value, categories: boxes.filter((b) => b.firstChild.checked).map((b) => b.firstChild.value),
      flow_json: flowJson };
    if (!frozen && (endpointInput.value || editing?.endpoint_uri)) body.endpoint_uri = endpointInput.value;
    if (answersInput.value.trim()) {
      try {
        body.answers = JSON.parse(answersInput.value);
      } catch (e) {
        return fields.answers.showError("Not valid JSON: " + e.message);
      }
    } else if (editing?.answers || frozen) body.answers = null;
    if (sourcesInput.value.trim()) {
      try {
        body.data_sources = JSON.parse(sourcesInput.value);
      } catch (e) {
        return fields.data_sources.showError("Not valid JSON: " + e.message);
      }
    } else if (editing?.data_sources || frozen) body.data_sources = null;
    submit.disabled = true;
    try {
      const f = editing ? await call("updateFlow", { project_id: id, name: editing.name }, { body })
        : await call("createFlow", { project_id: id }, { body });
      notify(f.validation_errors.length ? `${f.name} is saved at Meta, with problems to fix before publishing.` : `${f.name} is saved at Meta as a draft.`);
      show(f);
      loadList();
    } catch (e) {
      if (e.code === "invalid_flow" && e.details?.problems) showProblems(e.details.problems, "Meta would refuse this flow; nothing was sent:");
      else replace(problems, errorBox(e));
    } finally {
      submit.disabled = false;
    }
  }

  const events = followEvents(id, {
    onEvent: (type, data) => {
      if (type === "message.received" && editing) return loadAnswers();
      if (!type.startsWith("flow") && type !== "events.lost") return;
      loadList();
      if (editing && data?.flow?.name === editing.name && data.flow.status !== editing.status) open(editing.name);
    },
  });
  ctx.onDispose(() => { events.stop(); clearTimeout(outlineTimer); });

  show(null);
  loadList();
  loadKey();
  return projectFrame(ctx, "flows", h("div", {},
    h("section", { class: "card" },
      h("div", { class: "row" }, h("h2", {}, "WhatsApp Flows"), filter),
      h("div", { class: "row" }, keyStatus, h("button", { type: "button", onclick: makeKey }, "Make a new endpoint key")),
      h("p", { class: "muted" }, "Forms of several screens that open inside the chat. A flow is a draft until published; Meta's status shows here as it changes."),
      list),
    h("section", { class: "card" },
      h("div", { class: "row" }, heading, status),
      h("form", { class: "template-form flow-form", onsubmit: save },
        h("div", { class: "columns" },
          h("div", {}, fields.name, categoryBox, categoryError, fields.endpoint_uri, editor, fields.answers, fields.data_sources),
          h("div", {}, h("h3", {}, "Screens"), outline)),
        problems,
        h("div", { class: "buttons" }, submit, cancel))),
    answersCard));
}
