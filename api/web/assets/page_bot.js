// Bot: the definition (spec/bot.md) in an editor (a hosted code bot's files each in their own),
// its problems at their JSON pointers, saving (a new version each time; a hosted code bot is
// deployed first), the preview chat, the kept versions with their diffs, and a hosted bot's
// process and logs.
import { call } from "./api.js";
import { h, replace, timeEl } from "./dom.js";
import { empty, errorBox, fill, loading, notify } from "./ui.js";
import { projectFrame } from "./frame.js";
import { lineOf, locatePointer, selectPointer } from "./json_pointer.js";
import { secretsPanel, shownOnce } from "./secrets_panel.js";
import { deployFailure, processPanel, showDiff } from "./bot_process.js";
import { logsPanel } from "./bot_logs.js";
import { editorKeys, filesPanel } from "./bot_files.js";
import { previewPanel } from "./bot_preview.js";

/** What a version is, in a word: its states, a hosted bot's files, or an external bot's URL. */
function describe(definition) {
  if (definition?.kind === "external") return "code bot at " + String(definition.url);
  if (definition?.kind === "code") return `hosted code bot: ${Object.keys(definition.files ?? {}).length} files`;
  return Object.keys(definition?.states ?? {}).join(", ");
}

export function botPage(ctx) {
  const id = ctx.params.project;
  const editor = h("textarea", { class: "mono code-editor", rows: 28, spellcheck: "false", "aria-label": "Bot definition (JSON)", autocapitalize: "off" });
  const problems = h("div", { role: "alert", "aria-live": "polite" });
  const current = h("span", { class: "muted" });
  const versions = h("div");
  const shown = h("div");  // the bot secret, the once Paige shows it
  const secrets = secretsPanel(id, shown);
  const botProcess = processPanel(id);
  const logs = logsPanel(id);
  ctx.onDispose(() => logs.stop());
  const diff = h("div");
  const files = filesPanel(() => save());
  const preview = previewPanel(id);

  /** A pointer into a file the Files card holds: that file's path, else null. */
  function fileOf(pointer) {
    const m = /^\/files\/([^/]*)/.exec(pointer ?? "");
    return m ? m[1].replace(/~1/g, "/").replace(/~0/g, "~") : null;
  }

  function select(pointer) {
    const file = fileOf(pointer);
    const fileEditor = file !== null && !editor.value.includes('"files"') ? files.show(file) : null;
    if (fileEditor) return fileEditor.focus();
    selectPointer(editor, pointer);
  }

  /** Shows a definition: a hosted code bot's files in the Files card, the rest in the editor. */
  function show(definition) {
    if (definition?.kind === "code" && definition.files && typeof definition.files === "object") {
      const { files: sources, ...rest } = definition;
      files.set(sources);
      editor.value = JSON.stringify(rest, null, 2);
    } else {
      files.set(null);
      editor.value = JSON.stringify(definition, null, 2);
    }
  }

  function showProblems(list) {
    replace(problems, h("div", { class: "state error" },
      h("strong", {}, `${list.length} problem${list.length === 1 ? "" : "s"}: the current version stays.`),
      h("ul", { class: "problems" }, list.map((p) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => select(p.pointer), title: "Show in the editor" },
          h("code", {}, p.pointer || "/"), fileOf(p.pointer) !== null && !editor.value.includes('"files"') ? ""
            : ` (line ${lineOf(editor.value, locatePointer(editor.value, p.pointer)[0])})`),
        " ", p.message)))));
  }

  async function load() {
    try {
      const bot = await call("getBot", { project_id: id });
      show(bot.definition);
      replace(current, `version ${bot.version}, saved `, timeEl(bot.created_at));
      replace(problems);  // a retry that worked clears the error
    } catch (e) {
      if (e.code !== "bot_not_found") return replace(problems, errorBox(e, load));
      replace(current, "no version yet");
      replace(problems);
    }
  }

  const loadVersions = () => fill(versions, () => call("botVersions", { project_id: id }), (r) => {
    preview.versions(r.items);
    return versionsTable(r);
  });

  const versionsTable = (r) => r.items.length
    ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["Version", "Saved", "States", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, r.items.map((v) => h("tr", {},
        h("td", {}, String(v.version)), h("td", {}, timeEl(v.created_at)),
        h("td", {}, describe(v.definition)),
        h("td", { class: "buttons" }, h("button", { type: "button", onclick: () => showDiff(diff, id, v.version) }, "Diff with current"), h("button", {
          type: "button",
          onclick: () => {
            show(v.definition);
            replace(problems, h("p", { class: "notice info" }, `Version ${v.version} is in the editor: save to make it the current version again.`));
          },
        }, "Open in editor"))))))
    : empty("No versions.");

  let saving = false;
  async function save() {
    if (saving) return;  // one version per click
    saving = true;
    try {
      await saveOnce();
    } finally {
      saving = false;
    }
  }

  async function saveOnce() {
    replace(problems);
    let doc;
    try {
      doc = JSON.parse(editor.value);
    } catch (e) {
      const at = /position (\d+)/.exec(e.message);
      if (at) editor.setSelectionRange(Number(at[1]), Number(at[1]) + 1);
      return replace(problems, errorBox({ message: "Not valid JSON: " + e.message, code: "invalid_json" }));
    }
    // A hosted bot's files come from the Files card, unless the editor holds some itself.
    if (doc && typeof doc === "object" && doc.kind === "code" && doc.files === undefined && files.get()) doc.files = files.get();
    try {
      const bot = await call("putBot", { project_id: id }, { body: doc });
      replace(current, `version ${bot.version}, saved `, timeEl(bot.created_at));
      show(bot.definition);
      notify(`Saved as version ${bot.version}.`);
      if (bot.secret) {
        replace(shown, shownOnce(bot.secret));
        secrets.reload();
      }
      loadVersions();
      botProcess.reload();
    } catch (e) {
      if (e.code === "invalid_bot" && e.details?.problems) showProblems(e.details.problems);
      else if (e.code === "bot_deploy_failed") replace(problems, deployFailure(e));
      else replace(problems, errorBox(e));
    }
  }
  editorKeys(editor, save);

  replace(problems, loading());
  load();
  loadVersions();
  botProcess.reload();
  logs.start();
  return projectFrame(ctx, "bot", h("div", {},
    h("section", { class: "card" },
      h("div", { class: "row" }, h("h2", {}, "Bot definition"), current),
      h("p", { class: "muted" }, "A state machine in JSON: states, their routes and actions (its \"queries\" read the project database: see docs/bot-queries.md), or a code bot: {\"kind\": \"code\", \"files\": {\"package.json\": \"…\", …}} that Paige installs and runs (its files are then edited one by one under Files), or {\"kind\": \"external\", \"url\": \"https://…\"} (see docs/bot-contract.md). Saving validates it (and deploys a code bot) and makes a new version; Ctrl+S saves. Tab indents; Escape then Tab moves on."),
      editor, files.card, problems, shown,
      h("div", { class: "buttons" }, h("button", { type: "button", class: "primary", onclick: save }, "Save new version"))),
    preview.card,
    botProcess.card,
    logs.card,
    h("section", { class: "card" }, h("h2", {}, "Versions"), h("p", { class: "muted" }, "The last 20 are kept."), versions, diff),
    secrets));
}
