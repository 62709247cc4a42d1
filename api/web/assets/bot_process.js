// A hosted code bot's process (GET .../bot/runtime, docs/bot-contract.md): its state, pid,
// restarts, why it failed, and its last output; and a version's diff against the current one.
// Everything the bot printed is rendered as text.
import { call } from "./api.js";
import { h, replace } from "./dom.js";
import { empty, errorBox, fill } from "./ui.js";

/** The process card's body: filled by reload(), empty when the bot is not hosted. */
export function processPanel(projectId) {
  const body = h("div");
  const card = h("section", { class: "card", hidden: true },
    h("div", { class: "row" }, h("h2", {}, "Process"),
      h("button", { type: "button", onclick: () => reload() }, "Refresh")),
    body);
  async function reload() {
    try {
      const r = await call("botRuntime", { project_id: projectId });
      card.hidden = !r.hosted;
      if (!r.hosted) return;
      replace(body,
        h("dl", { class: "facts" },
          h("dt", {}, "State"), h("dd", { "data-state": r.state }, r.state),
          h("dt", {}, "Version"), h("dd", {}, String(r.version ?? "")),
          h("dt", {}, "Process id"), h("dd", {}, r.pid ? String(r.pid) : "none"),
          h("dt", {}, "Exits in a row"), h("dd", {}, String(r.restarts ?? 0))),
        r.failure ? h("p", { class: "notice error" }, "Failed: " + r.failure + ". Deploy a version to start it again.") : "",
        h("h3", {}, "Output"),
        r.output ? h("pre", { class: "mono output", "aria-label": "Bot output" }, r.output) : empty("No output yet."));
    } catch (e) {
      card.hidden = false;
      replace(body, errorBox(e, reload));
    }
  }
  return { card, reload };
}

/** What a deploy that failed printed (422 bot_deploy_failed). */
export function deployFailure(err) {
  return h("div", { class: "state error" },
    h("strong", {}, err.message),
    h("pre", { class: "mono output", "aria-label": "Deploy output" }, err.details?.output ?? ""));
}

/** Fills `into` with version `from`'s diff against the current one, file by file. */
export function showDiff(into, projectId, from) {
  return fill(into, () => call("botDiff", { project_id: projectId }, { query: { from } }), (r) =>
    h("div", { class: "diff" },
      h("h3", {}, `Version ${r.from} → version ${r.to}`),
      r.files.length
        ? r.files.map((f) => h("details", { open: true },
          h("summary", {}, h("code", {}, f.path), ` ${f.change}`),
          h("pre", { class: "mono" }, f.diff.split("\n").map((line) =>
            h("span", { class: line.startsWith("+") ? "added" : line.startsWith("-") ? "removed" : "" }, line + "\n")))))
        : empty("No difference.")));
}
