// The project's bot log (GET .../bot/logs, followed live by .../bot/logs/stream): code bots'
// event records, hosted processes' output, starts and exits. Everything a bot printed or
// answered is rendered as text.
import { call } from "./api.js";
import { h, replace } from "./dom.js";
import { empty, errorBox } from "./ui.js";
import { followEvents } from "./events.js";

/** Most lines the card keeps (the oldest go first). */
const kept = 500;

function time(ms) {
  return ms ? new Date(ms).toISOString().slice(11, 23) : "";
}

/** One entry as a line of text. */
export function logLine(type, data) {
  const at = time(data.at_ms);
  if (type === "bot.output") return `${at} [${data.pid}] ${data.text}`;
  if (type === "bot.process") return `${at} process ${data.pid} ${data.what}${data.how ? ": " + data.how : ""}`;
  if (type === "bot.event") {
    const what = data.error ? `${data.error.code}: ${data.error.message}` : `${data.sends} sent, state ${data.state}`;
    const actions = data.actions ? " " + JSON.stringify(data.actions) : "";
    return `${at} event ${data.message_id} from ${data.wa_id} in ${Math.round(data.duration_ms)} ms: ${what}${actions}`;
  }
  return `${at} ${type}`;
}

/** The Logs card: the kept entries of a kind, then new ones as they come; stop() ends it. */
export function logsPanel(projectId) {
  const kind = h("select", { "aria-label": "Log entries" },
    h("option", { value: "" }, "Everything"),
    h("option", { value: "event" }, "Events"),
    h("option", { value: "output" }, "Output"),
    h("option", { value: "process" }, "Process"));
  const status = h("span", { class: "muted", "aria-live": "polite" });
  const lines = h("pre", { class: "mono output", "aria-label": "Bot log" });
  const body = h("div", {}, lines);
  const card = h("section", { class: "card" },
    h("div", { class: "row" }, h("h2", {}, "Logs"), kind, status),
    h("p", { class: "muted" }, "The last 1 000 entries (1 MiB) since the server started: each code bot event, and a hosted bot's output."),
    body);
  let follow = null;
  const wanted = (type) => !kind.value || type === "bot." + kind.value;
  const add = (type, data) => {
    if (!wanted(type)) return;
    lines.append(logLine(type, data) + (type === "bot.output" && data.text.endsWith("\n") ? "" : "\n"));
    while (lines.childNodes.length > kept) lines.firstChild.remove();
    lines.scrollTop = lines.scrollHeight;
  };
  async function start() {
    follow?.stop();
    replace(lines);
    replace(body, lines);
    try {
      const r = await call("botLogs", { project_id: projectId }, { query: { type: kind.value, limit: kept } });
      for (const e of r.items) add(e.type, e.data);
      if (!r.items.length) replace(body, empty("Nothing logged yet."), lines);
      follow = followEvents(projectId, {
        op: "botLogStream",
        after: r.last_id ?? null,
        onEvent: (type, data) => {
          if (body.firstChild !== lines) replace(body, lines);
          add(type, data);
        },
        onStatus: (s, detail) => { status.textContent = s === "live" ? "live" : "reconnecting: " + (detail ?? ""); },
      });
    } catch (e) {
      replace(body, errorBox(e, start));
    }
  }
  kind.addEventListener("change", start);
  return { card, start, stop: () => follow?.stop() };
}
