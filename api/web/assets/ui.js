// Widgets every page uses: loading, empty and error states, forms with errors at their fields,
// confirmations, and notices.
import { h, replace } from "./dom.js";

export const loading = (what = "Loading") => h("p", { class: "state loading", role: "status" }, what + "…");
export const empty = (text) => h("p", { class: "state empty" }, text);

/** An error as the API gave it: its message, with the code for searching the docs. */
export function errorBox(err, retry) {
  return h("div", { class: "state error", role: "alert" },
    h("strong", {}, err?.message ?? String(err)),
    err?.code ? h("span", { class: "code" }, " (" + err.code + ")") : null,
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null);
}

/** Fills `target` from `load()`: loading, then `render(result)`, or the error with a retry. */
export async function fill(target, load, render) {
  replace(target, loading());
  try {
    const result = await load();
    replace(target, render(result));
  } catch (e) {
    if (e.name === "AbortError") return;
    replace(target, errorBox(e, () => fill(target, load, render)));
  }
}

/** A labelled field: <label>Text <input …></label> plus a slot for its error. */
export function field(label, control, hint) {
  const error = h("span", { class: "field-error", role: "alert" });
  const wrap = h("label", { class: "field" }, h("span", { class: "label" }, label), control,
    hint ? h("span", { class: "hint" }, hint) : null, error);
  wrap.showError = (text) => {
    error.textContent = text ?? "";
    control.setAttribute?.("aria-invalid", text ? "true" : "false");
  };
  return wrap;
}

/**
 * A form that submits through `action(form)`, one submission at a time (the button is disabled
 * meanwhile). An ApiError is shown at the field its details name: `details.field` in `fields`,
 * `details.column` through `column(name)`; otherwise above the buttons.
 */
export function form({ fields = {}, column = () => null, children, submit = "Save", action, extraButtons = [] }) {
  const status = h("div", { class: "form-status", role: "alert" });
  const button = h("button", { type: "submit", class: "primary" }, submit);
  let busy = false;
  const el = h("form", {
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      for (const f of Object.values(fields)) f.showError?.("");
      replace(status);
      button.disabled = true;
      try {
        await action(el);
      } catch (e) {
        const at = e?.details?.column !== undefined ? column(e.details.column) : fields[e?.details?.field];
        if (at) at.showError(e.message);
        else replace(status, errorBox(e));
      } finally {
        busy = false;
        button.disabled = false;
      }
    },
  }, children, status, h("div", { class: "buttons" }, button, extraButtons));
  el.status = status;
  return el;
}

/**
 * A modal dialog that asks to type `name` before `action` runs (deleting a project, dropping a
 * table). Resolves once it closes.
 */
export function confirmByTyping({ title, text, name, confirm = "Delete", action }) {
  return new Promise((resolve) => {
    const input = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
    const go = h("button", { type: "submit", class: "danger", disabled: true }, confirm);
    input.addEventListener("input", () => { go.disabled = input.value !== name; });
    const status = h("div", { role: "alert" });
    const dialog = h("dialog", { class: "confirm", "aria-label": title },
      h("form", {
        onsubmit: async (ev) => {
          ev.preventDefault();
          if (input.value !== name) return;
          go.disabled = true;
          try {
            await action();
            dialog.close();
          } catch (e) {
            replace(status, errorBox(e));
            go.disabled = false;
          }
        },
      },
      h("h2", {}, title), h("p", {}, text),
      h("label", { class: "field" }, h("span", { class: "label" }, "Type ", h("code", {}, name), " to confirm"), input),
      status,
      h("div", { class: "buttons" }, go,
        h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"))));
    dialog.addEventListener("close", () => { dialog.remove(); resolve(); });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}

/** A short notice at the top of the page that goes away by itself. */
export function notify(text, kind = "info") {
  const area = document.getElementById("notices");
  const note = h("div", { class: "notice " + kind, role: "status" }, text);
  area?.appendChild(note);
  setTimeout(() => note.remove(), 6000);
}

/** A status badge ("active", "delivered", "failed", ...). */
export const badge = (text) => h("span", { class: "badge badge-" + String(text).replace(/[^a-z_]/g, "") }, text);

/** Tabs of a project: links with the current one marked. */
export function tabs(items, current) {
  return h("nav", { class: "tabs", "aria-label": "Project sections" },
    items.map(([id, label, href]) => h("a", { href, "aria-current": id === current ? "page" : undefined }, label)));
}

/**
 * Keyset paging: `cursors` is the stack of the pages' cursors (`[null]` on the first page);
 * Previous pops it, Next pushes `next` (the answer's next_cursor); both call `load()`.
 */
export function pager(cursors, next, load, ...extra) {
  const buttons = [];
  const go = (move, label) => h("button", {
    type: "button",
    onclick: () => {
      for (const b of buttons) b.disabled = true;  // one move per answer: no page skipped
      move();
      refocus = label;
      load();
    },
  }, label);
  if (cursors.length > 1) buttons.push(go(() => cursors.pop(), "Previous page"));
  if (next) buttons.push(go(() => cursors.push(next), "Next page"));
  const el = h("div", { class: "pager" }, buttons, extra);
  // The button that was used is replaced by its new self: the keyboard stays on it.
  const again = buttons.find((b) => b.textContent === refocus) ?? (refocus ? buttons[0] : null);
  if (again) queueMicrotask(() => { if (again.isConnected) again.focus(); refocus = null; });
  return el;
}
let refocus = null;

/**
 * Keeps only the newest of overlapping loads: `const take = latest();` then, in each load,
 * `const mine = take();` before awaiting and `if (!mine()) return;` after. A slow answer to an
 * older request (a previous sort, filter or search) is dropped.
 */
export function latest() {
  let counter = 0;
  return () => {
    const id = ++counter;
    return () => id === counter;
  };
}
