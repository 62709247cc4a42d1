// A hosted code bot's files (`{"kind": "code", "files": {path: content}}`), one at a time: the
// list of paths, the open file's editor, adding and removing files. The page's JSON editor keeps
// the rest of the definition; saving puts the two together.
import { h, replace } from "./dom.js";

/** Code-editor keys on a textarea: Ctrl+S saves, Tab indents (Escape then Tab moves on). */
export function editorKeys(textarea, save) {
  textarea.addEventListener("keydown", (ev) => {
    if (ev.key === "s" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); save(); }
    if (ev.key === "Tab" && !ev.shiftKey) {
      if (textarea.dataset.escaped) { delete textarea.dataset.escaped; return; }
      ev.preventDefault();
      textarea.setRangeText("  ", textarea.selectionStart, textarea.selectionEnd, "end");
    }
    if (ev.key === "Escape") textarea.dataset.escaped = "1";
  });
}

/** The file opened first: the package's main file, else package.json, else the first. */
function firstOf(files) {
  try {
    const main = JSON.parse(files.get("package.json") ?? "{}").main;
    if (typeof main === "string" && files.has(main.replace(/^\.\//, ""))) return main.replace(/^\.\//, "");
  } catch {
    // a package.json being written: not JSON yet
  }
  return files.has("package.json") ? "package.json" : [...files.keys()][0] ?? null;
}

/** The Files panel; set(files) shows a hosted bot's files (null hides it), get() reads them. */
export function filesPanel(save) {
  let files = null;  // path → content; null: the definition is not a hosted code bot's
  let open = null;
  const list = h("ul", { class: "file-list", "aria-label": "Files" });
  const editor = h("textarea", { class: "mono code-editor", rows: 24, spellcheck: "false", autocapitalize: "off", "aria-label": "File content" });
  const path = h("code");
  const message = h("p", { role: "alert", "aria-live": "polite" });
  const newPath = h("input", { "aria-label": "New file path", placeholder: "src/states.js", autocapitalize: "off", spellcheck: "false" });
  editorKeys(editor, save);
  editor.addEventListener("input", () => { if (open !== null) files.set(open, editor.value); });

  function render() {
    replace(list, [...files.keys()].sort().map((p) => h("li", {},
      h("button", { type: "button", class: "link", "aria-current": p === open ? "true" : null, onclick: () => show(p) }, p))));
    replace(path, open ?? "");
    editor.value = open === null ? "" : files.get(open);
    editor.disabled = open === null;
  }

  /** Opens `p` in the editor; returns the editor (a problem's pointer selects in it). */
  function show(p) {
    if (!files?.has(p)) return null;
    open = p;
    render();
    return editor;
  }

  function add(ev) {
    ev.preventDefault();
    const p = newPath.value.trim().replace(/^\.\//, "");
    if (!p) return;
    if (files.has(p)) return replace(message, h("span", { class: "notice error" }, `${p} exists already.`));
    replace(message);
    files.set(p, "");
    newPath.value = "";
    show(p);
    editor.focus();
  }

  function remove() {
    if (open === null) return;
    files.delete(open);
    open = firstOf(files);
    render();
  }

  const card = h("div", { class: "files-panel", hidden: true },
    h("div", { class: "row" }, h("h3", {}, "Files"),
      h("span", { class: "muted" }, "Saved with the definition, as one new version.")),
    h("div", { class: "files" },
      h("nav", { "aria-label": "Bot files" }, list,
        h("form", { class: "add-file", onsubmit: add }, newPath, h("button", { type: "submit" }, "Add file")), message),
      h("div", { class: "file" },
        h("div", { class: "row" }, path, h("button", { type: "button", onclick: remove }, "Remove file")),
        editor)));

  return {
    card,
    show,
    set(filesObject) {
      files = filesObject && typeof filesObject === "object" ? new Map(Object.entries(filesObject).map(([p, c]) => [p, String(c)])) : null;
      card.hidden = files === null;
      replace(message);
      if (files === null) return;
      open = files.has(open) ? open : firstOf(files);
      render();
    },
    get: () => (files === null ? null : Object.fromEntries(files)),
  };
}
