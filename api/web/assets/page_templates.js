// Templates: the project's message templates with Meta's decisions (status, reason, quality)
// as they come; a form that makes or edits one, with the message bubble it will be and Meta's
// rules checked by Paige at their fields; sync from Meta; deletion.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { badge, confirmByTyping, empty, errorBox, field, fill, notify, pager } from "./ui.js";
import { followEvents } from "./events.js";
import { projectFrame } from "./frame.js";
import { blankForm, formOf, paramsOf, previewOf, templateOf } from "./template_form.js";

const statuses = ["", "APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"];

export function templatesPage(ctx) {
  const id = ctx.params.project;
  const list = h("div");
  const cursors = [null];
  const filter = h("select", { "aria-label": "Status" }, statuses.map((s) => h("option", { value: s }, s || "Any status")));
  let editing = null;  // the template being edited (name and language fixed), or null

  const loadList = () => fill(list, () => call("listTemplates", { project_id: id },
    { query: { status: filter.value, limit: 25, cursor: cursors.at(-1) } }), (r) => h("div", {},
    r.items.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Name", "Language", "Category", "Status", "Quality", "Updated", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((t) => h("tr", {},
        h("td", {}, h("code", {}, t.name)), h("td", {}, t.language), h("td", {}, t.category.toLowerCase()),
        h("td", {}, badge(t.status.toLowerCase()), t.reason ? h("span", { class: "muted" }, " " + t.reason) : null),
        h("td", {}, t.quality ?? "—"), h("td", {}, timeEl(t.updated_at)),
        h("td", { class: "actions" },
          h("button", { type: "button", onclick: () => edit(t) }, "Edit"),
          h("button", {
            type: "button", class: "danger", onclick: () => confirmByTyping({
              title: `Delete ${t.name} (${t.language})`,
              text: "Meta deletes it too; sends of it are refused from then on.",
              name: t.name,
              action: async () => {
                await call("deleteTemplateLanguage", { project_id: id, name: t.name, language: t.language });
                notify(`Deleted ${t.name} (${t.language}).`);
                loadList();
              },
            }),
          }, "Delete")))))) : empty(filter.value ? "No template has this status." : "No templates yet: make one below, or sync those made at Meta."),
    pager(cursors, r.next_cursor, loadList)));
  filter.addEventListener("change", () => { cursors.splice(1); loadList(); });

  const syncStatus = h("span", { role: "status" });
  async function sync() {
    replace(syncStatus, "Reading Meta's list…");
    try {
      const r = await call("syncTemplates", { project_id: id });
      replace(syncStatus, `${r.templates} template${r.templates === 1 ? "" : "s"} at Meta.`);
      loadList();
    } catch (e) {
      replace(syncStatus, errorBox(e));
    }
  }

  // The form: each input writes into `state`; the preview and the examples follow.
  let state = blankForm();
  const inputs = {
    name: h("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "order_ready" }),
    language: h("input", { type: "text", autocomplete: "off", spellcheck: "false" }),
    category: h("select", {}, ["UTILITY", "MARKETING", "AUTHENTICATION"].map((c) => h("option", { value: c }, c.toLowerCase()))),
    parameter_format: h("select", {}, [["positional", "positional: {{1}}, {{2}}"], ["named", "named: {{first_name}}"]].map(([v, t]) => h("option", { value: v }, t))),
    header: h("input", { type: "text", autocomplete: "off" }),
    body: h("textarea", { rows: 4 }),
    footer: h("input", { type: "text", autocomplete: "off" }),
    buttons: h("textarea", { rows: 2, placeholder: "One quick reply per line" }),
    flowText: h("input", { type: "text", autocomplete: "off", placeholder: "Book now" }),
    flowName: h("select", {}, h("option", { value: "" }, "No flow button")),
    flowScreen: h("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "its first screen" }),
  };
  const media = h("input", { type: "file", accept: "image/jpeg,image/png,video/mp4,application/pdf" });
  const mediaStatus = h("span", { role: "status" });
  const fields = {
    name: field("Name", inputs.name, "Lower case letters, digits and _."),
    language: field("Language", inputs.language, "A code such as en or en_US."),
    category: field("Category", inputs.category),
    parameter_format: field("Parameters", inputs.parameter_format),
    header: field("Header (optional)", inputs.header, "At most 60 characters and one parameter."),
    body: field("Body", inputs.body, "At most 1024 characters; parameters as {{1}} or {{name}}, not first or last."),
    footer: field("Footer (optional)", inputs.footer, "At most 60 characters, no parameters."),
    buttons: field("Quick replies (optional)", inputs.buttons, "Up to 10, at most 25 characters each."),
    media: field("Header image, video or document (optional)", media, "Instead of a text header: Meta reviews this file as its example."),
    flowName: field("Flow button (optional)", inputs.flowName, "Opens one of the project's flows; each send gets its own flow token."),
    flowText: field("Flow button text", inputs.flowText, "At most 25 characters."),
    flowScreen: field("Flow screen (optional)", inputs.flowScreen, "The screen it opens; the flow's first otherwise."),
  };
  // The project's flows, for the flow button (a stored template may name one no longer listed).
  const flowChoices = (current) => call("listFlows", { project_id: id }, { query: { limit: 100 } })
    .then((r) => r.items.map((f) => f.name)).catch(() => [])
    .then((names) => {
      if (current && !names.includes(current)) names.push(current);
      replace(inputs.flowName, h("option", { value: "" }, "No flow button"), names.map((n) => h("option", { value: n }, n)));
      inputs.flowName.value = current ?? "";
    });
  // A media header: the file goes to Meta now; the template carries its handle.
  media.addEventListener("change", async () => {
    const file = media.files?.[0];
    if (!file) return;
    replace(mediaStatus, "Uploading…");
    try {
      const r = await call("uploadTemplateMedia", { project_id: id }, { file });
      const format = file.type.startsWith("image/") ? "IMAGE" : file.type.startsWith("video/") ? "VIDEO" : "DOCUMENT";
      state.keep.header = { type: "HEADER", format, example: { header_handle: [r.handle] } };
      inputs.header.value = state.header = "";
      replace(mediaStatus, `${file.name} uploaded: the header is this ${format.toLowerCase()}.`);
      renderPreview();
    } catch (e) {
      replace(mediaStatus, errorBox(e));
    }
  });
  const examples = h("div", { class: "examples" });
  const preview = h("div", { class: "chat template-preview", "aria-label": "Preview" });
  const problems = h("div", { role: "alert" });
  const heading = h("h2", {}, "New template");
  const submit = h("button", { type: "submit", class: "primary" }, "Submit to Meta");
  const cancel = h("button", { type: "button", hidden: true, onclick: () => show(blankForm(), null) }, "Cancel edit");

  function read() {
    for (const k of ["name", "language", "category", "parameter_format", "header", "body", "footer"]) state[k] = inputs[k].value;
    state.quickReplies = inputs.buttons.value.split("\n").map((s) => s.trim()).filter(Boolean);
    state.flow = { text: inputs.flowText.value, flow_name: inputs.flowName.value, screen: inputs.flowScreen.value };
  }

  function renderExamples() {
    const params = [...new Set([...paramsOf(state.header), ...paramsOf(state.body)])];
    replace(examples, params.length ? h("fieldset", {}, h("legend", {}, "Examples Meta reviews"), params.map((p) => {
      const input = h("input", { type: "text", value: state.examples[p] ?? "", autocomplete: "off" });
      input.addEventListener("input", () => { state.examples[p] = input.value; renderPreview(); });
      return field(`Example for {{${p}}}`, input);
    })) : null);
  }

  function renderPreview() {
    const p = previewOf(state);
    replace(preview, h("div", { class: "bubble out" },
      p.header ? h("p", {}, h("strong", {}, p.header))
        : state.keep?.header ? h("p", { class: "placeholder" }, `[${String(state.keep.header.format).toLowerCase()}]`) : null,
      h("p", {}, p.body || h("span", { class: "placeholder" }, "The body goes here")),
      p.footer ? h("p", { class: "footer" }, p.footer) : null,
      p.buttons.length ? h("div", {}, p.buttons.map((b) => h("span", { class: "pill" }, b))) : null));
  }

  for (const [k, input] of Object.entries(inputs))
    input.addEventListener("input", () => {
      read();
      if (k === "header" || k === "body") renderExamples();
      renderPreview();
    });

  function show(f, template) {
    state = f;
    editing = template;
    for (const k of ["name", "language", "category", "parameter_format", "header", "body", "footer"]) inputs[k].value = f[k];
    inputs.buttons.value = f.quickReplies.join("\n");
    inputs.flowText.value = f.flow.text;
    inputs.flowScreen.value = f.flow.screen;
    flowChoices(f.flow.flow_name);
    inputs.name.readOnly = inputs.language.readOnly = !!template;
    replace(heading, template ? `Edit ${template.name} (${template.language})` : "New template");
    replace(submit, template ? "Submit the change to Meta" : "Submit to Meta");
    cancel.hidden = !template;
    replace(problems);
    media.value = "";
    replace(mediaStatus);
    for (const fl of Object.values(fields)) fl.showError("");
    renderExamples();
    renderPreview();
  }

  function edit(t) {
    show(formOf(t), t);
    if (/\{\{/.test(state.header)) inputs.header.focus(); else inputs.body.focus();
  }

  async function save(ev) {
    ev.preventDefault();
    read();
    for (const fl of Object.values(fields)) fl.showError("");
    replace(problems);
    const { template, fields: componentField } = templateOf(state);
    submit.disabled = true;
    try {
      if (editing) {
        await call("updateTemplate", { project_id: id, name: editing.name, language: editing.language },
          { body: { components: template.components, category: template.category } });
        notify(`${editing.name} is in Meta's review again.`);
      } else {
        await call("createTemplate", { project_id: id }, { body: template });
        notify(`${template.name} was submitted: Meta reviews it.`);
      }
      show(blankForm(), null);
      loadList();
    } catch (e) {
      const list = e.details?.problems ?? [];
      for (const p of list) {
        const m = /^\/(components\/(\d+)|[a-z_]+)/.exec(p.pointer);
        const key = m?.[2] !== undefined ? componentField[Number(m[2])] : m?.[1];
        fields[key]?.showError(p.message);
      }
      replace(problems, list.length
        ? h("div", { class: "state error" }, h("strong", {}, "Meta would refuse this template:"),
          h("ul", { class: "problems" }, list.map((p) => h("li", {}, h("code", {}, p.pointer || "/"), " ", p.message))))
        : errorBox(e));
    } finally {
      submit.disabled = false;
    }
  }

  const events = followEvents(id, {
    onEvent: (type) => {
      if (type.startsWith("template") || type === "events.lost") loadList();
    },
  });
  ctx.onDispose(() => events.stop());

  show(blankForm(), null);
  loadList();
  return projectFrame(ctx, "templates", h("div", {},
    h("section", { class: "card" },
      h("div", { class: "row" }, h("h2", {}, "Message templates"), filter,
        h("button", { type: "button", onclick: sync }, "Sync from Meta"), syncStatus),
      h("p", { class: "muted" }, "Outside a contact's 24-hour window only an approved template may be sent. Meta reviews each one; its decision shows here as it comes."),
      list),
    h("section", { class: "card" }, heading,
      h("form", { class: "template-form", onsubmit: save },
        h("div", { class: "columns" },
          h("div", {}, fields.name, fields.language, fields.category, fields.parameter_format, fields.header, fields.media, mediaStatus, fields.body, fields.footer, fields.buttons, fields.flowName, fields.flowText, fields.flowScreen, examples),
          h("div", {}, h("h3", {}, "Preview"), preview)),
        problems,
        h("div", { class: "buttons" }, submit, cancel)))));
}
