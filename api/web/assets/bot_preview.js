// The preview chat (POST .../bot/preview, docs/bot-preview.md): what is written or tapped here
// runs against the current or a kept version of the bot for a sandbox contact, and each step
// shows the bot's replies, its state change, the rows it would write and its queries. Nothing is
// sent or kept. Every string the bot or its rows hold is rendered as text.
import { call } from "./api.js";
import { h, replace } from "./dom.js";
import { errorBox } from "./ui.js";
import { messageBody } from "./messages.js";

/** A reply's buttons or list rows, each a tap that the chat sends as the contact's next message. */
function taps(reply, send) {
  const i = reply.type === "interactive" ? reply.interactive ?? {} : {};
  const options = i.type === "button"
    ? (i.action?.buttons ?? []).map((b) => ({ button_id: b.reply?.id ?? "", text: b.reply?.title ?? "" }))
    : i.type === "list"
      ? (i.action?.sections ?? []).flatMap((s) => (s.rows ?? []).map((r) => ({ list_id: r.id ?? "", text: r.title ?? "" })))
      : [];
  if (!options.length) return null;
  return h("div", { class: "buttons taps" }, options.map((o) => h("button", { type: "button", class: "pill", onclick: () => send(o) }, o.text)));
}

/** What else the step did: its state change, why it was skipped, its rows and its fetches. */
function stepNote(step) {
  const moved = step.state.from === step.state.to ? `state ${step.state.to}` : `state ${step.state.from} → ${step.state.to}`;
  const details = (summary, value) => h("details", {}, h("summary", {}, summary), h("pre", { class: "mono" }, JSON.stringify(value, null, 2)));
  return h("li", { class: "preview-step" },
    h("span", {}, moved + (step.closed ? ", conversation closed" : "")),
    step.skipped ? h("span", { class: "notice error" }, `${step.skipped.code}: ${step.skipped.message}`) : null,
    step.rows.length ? details(`${step.rows.length} row${step.rows.length === 1 ? "" : "s"} it would write`, step.rows) : null,
    step.fetches.length ? details(`${step.fetches.length} quer${step.fetches.length === 1 ? "y" : "ies"} and requests`, step.fetches) : null,
    Object.keys(step.vars).length ? details("variables", step.vars) : null);
}

/** The Preview card; versions(items) offers the kept versions. */
export function previewPanel(projectId) {
  let at = null;  // where the sandbox conversation is ({state, vars}); null: a new one
  const version = h("select", { "aria-label": "Preview version" }, h("option", { value: "" }, "Current version"));
  const thread = h("ol", { class: "thread", "aria-label": "Preview chat" });
  const input = h("input", { "aria-label": "Preview message", placeholder: "Write as a contact…", maxlength: 4096 });
  const status = h("span", { class: "muted", role: "status" });
  let busy = false;

  function reset() {
    at = null;
    replace(thread);
    replace(status);
  }
  version.addEventListener("change", reset);

  async function send(message) {
    if (busy) return;
    busy = true;
    replace(status, "Running…");
    const body = { messages: [message] };
    if (version.value) body.version = Number(version.value);
    if (at) Object.assign(body, at);
    try {
      const r = await call("botPreview", { project_id: projectId }, { body });
      for (const step of r.steps) {
        thread.append(h("li", { class: "bubble in" }, messageBody(step.message.type, step.message)));
        for (const reply of step.replies)
          thread.append(h("li", { class: "bubble out" }, messageBody(reply.type, reply), taps(reply, send)));
        thread.append(stepNote(step));
      }
      at = { state: r.state, vars: r.vars };
      replace(status, `version ${r.version}, state ${r.state}`);
    } catch (e) {
      thread.append(h("li", {}, errorBox(e)));
      replace(status);
    } finally {
      busy = false;
      thread.scrollTop = thread.scrollHeight;
    }
  }

  const card = h("section", { class: "card" },
    h("div", { class: "row" }, h("h2", {}, "Preview"), version, status),
    h("p", { class: "muted" }, "Write as a contact would: the bot answers here, and nothing is sent, opened or written (its rows are shown, then rolled back). A code bot gets each event with \"preview\": true."),
    h("div", { class: "chat preview-chat" }, thread),
    h("form", {
      class: "composer",
      onsubmit: (ev) => {
        ev.preventDefault();
        if (!input.value) return;
        const text = input.value;
        input.value = "";
        send(text);
      },
    }, input, h("button", { type: "submit", class: "primary" }, "Send"), h("button", { type: "button", onclick: reset }, "Start over")));

  return {
    card,
    versions(items) {
      const chosen = version.value;
      replace(version, h("option", { value: "" }, "Current version"),
        items.map((v) => h("option", { value: String(v.version) }, `Version ${v.version}`)));
      version.value = items.some((v) => String(v.version) === chosen) ? chosen : "";
    },
  };
}
