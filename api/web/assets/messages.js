// A message as a chat bubble: what WhatsApp would show for each Cloud API message type. The
// content is whatever a contact (or the bot) sent: every string is set as text.
import { h, replace, timeEl } from "./dom.js";
import { badge } from "./ui.js";

const media = new Set(["image", "video", "audio", "document", "sticker"]);

function interactiveOut(i) {
  return [
    i.header?.text ? h("strong", { class: "header" }, i.header.text) : i.header?.type ? h("span", { class: "placeholder" }, `[${i.header.type}]`) : null,
    i.body?.text ? h("p", {}, i.body.text) : null,
    i.footer?.text ? h("p", { class: "footer" }, i.footer.text) : null,
    i.type === "button"
      ? h("div", { class: "buttons-preview" }, (i.action?.buttons ?? []).map((b) => h("span", { class: "pill" }, b.reply?.title ?? "")))
      : i.type === "list"
        ? h("div", { class: "list-preview" }, h("span", { class: "pill" }, "☰ " + (i.action?.button ?? "List")),
          h("ul", {}, (i.action?.sections ?? []).flatMap((s) => (s.rows ?? []).map((r) => h("li", {}, r.title ?? "", r.description ? h("span", { class: "muted" }, " — " + r.description) : null)))))
        : i.type === "flow" ? h("span", { class: "pill" }, i.action?.parameters?.flow_cta ?? "Open flow") : null,
  ];
}

function interactiveIn(i) {
  if (i.type === "button_reply") return [h("span", { class: "tag" }, "Button"), " ", i.button_reply?.title ?? ""];
  if (i.type === "list_reply")
    return [h("span", { class: "tag" }, "List"), " ", i.list_reply?.title ?? "", i.list_reply?.description ? h("span", { class: "muted" }, " — " + i.list_reply.description) : null];
  if (i.type === "nfm_reply") {
    // The project's own SQL may have written anything here: only an object has answers.
    let answers = null;
    try { answers = JSON.parse(i.nfm_reply?.response_json ?? "{}"); } catch { answers = null; }
    if (!answers || typeof answers !== "object") answers = {};
    return [h("span", { class: "tag" }, "Flow reply"),
      h("dl", { class: "facts small" }, Object.entries(answers).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]))];
  }
  return [h("span", { class: "tag" }, i.type ?? "interactive")];
}

/** The body of a bubble for a message's `type` and `content` (anything the database holds). */
export function messageBody(type, content) {
  const c = content && typeof content === "object" ? content : {};
  try {
    return bodyOf(type, c);
  } catch {
    return [h("span", { class: "tag" }, type), h("pre", {}, JSON.stringify(content))];
  }
}

function bodyOf(type, c) {
  if (type === "text") return [h("p", {}, c.text?.body ?? "")];
  if (type === "interactive") return c.interactive?.type?.endsWith("_reply") ? interactiveIn(c.interactive) : interactiveOut(c.interactive ?? {});
  if (type === "button") return [h("span", { class: "tag" }, "Button"), " ", c.button?.text ?? ""];
  if (media.has(type)) {
    const m = c[type] ?? {};
    return [h("span", { class: "placeholder" }, `[${type}${m.filename ? ": " + m.filename : ""}]`), m.caption ? h("p", {}, m.caption) : null];
  }
  if (type === "location") {
    const l = c.location ?? {};
    return [h("span", { class: "tag" }, "📍 Location"), h("p", {}, [l.name, l.address].filter(Boolean).join(", ")),
      h("p", { class: "muted" }, `${l.latitude ?? "?"}, ${l.longitude ?? "?"}`)];
  }
  if (type === "contacts")
    return [h("span", { class: "tag" }, "Contact card"),
      h("ul", {}, (c.contacts ?? []).map((p) => h("li", {}, p.name?.formatted_name ?? "", " ", (p.phones ?? []).map((x) => x.phone).join(", "))))];
  if (type === "reaction") return [h("span", { class: "reaction" }, c.reaction?.emoji || "(reaction removed)"), h("span", { class: "muted" }, " reacted to a message")];
  if (type === "template") return [h("span", { class: "tag" }, "Template"), " ", c.template?.name ?? "", h("span", { class: "muted" }, ` (${c.template?.language?.code ?? ""})`)];
  return [h("span", { class: "tag" }, type), h("pre", {}, JSON.stringify(c))];
}

/** Meta's error of a failed send, in a line. */
export function errorText(e) {
  if (!e) return "";
  if (typeof e !== "object") return String(e);
  const parts = [e.code ? `#${e.code}` : null, e.title ?? null, e.message ?? null, e.error_data?.details ?? null];
  return parts.filter(Boolean).join(" — ") || JSON.stringify(e);
}

/** A message as a bubble (`data-message-id` lets live status updates find it). */
export function bubble(m) {
  const el = h("li", { class: `bubble ${m.direction === "in" ? "in" : "out"}`, dataset: { messageId: String(m.id) } });
  el.update = (msg) => {
    replace(el,
      h("div", { class: "content" }, messageBody(msg.type, msg.content)),
      h("div", { class: "meta" }, timeEl(msg.created_at ?? msg.received_at),
        msg.direction === "out" ? [" ", badge(msg.status ?? "queued")] : null,
        msg.source ? h("span", { class: "muted" }, " by " + msg.source) : null),
      msg.status === "failed" && msg.error ? h("div", { class: "send-error", role: "note" }, errorText(msg.error)) : null);
    el.message = msg;
  };
  el.update(m);
  return el;
}
