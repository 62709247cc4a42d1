// A Flow JSON's screens as the dashboard shows them, read-only: each screen's components in
// order (If and Switch branches marked), each reduced to what a reader needs (its kind, its
// text or label, its options, where its button leads). Pure: no DOM.

const inputs = new Set(["TextInput", "TextArea", "CheckboxGroup", "RadioButtonsGroup", "Dropdown", "ChipsSelector",
  "DatePicker", "CalendarPicker", "OptIn", "PhotoPicker", "DocumentPicker"]);
const texts = { TextHeading: "heading", TextSubheading: "subheading", TextBody: "body", TextCaption: "caption", RichText: "body" };

const asText = (v) => Array.isArray(v) ? v.filter((x) => typeof x === "string").join("\n")
  : typeof v === "string" ? v : v && typeof v === "object" ? JSON.stringify(v) : "";

/** Where an action leads, in words. */
export function actionText(action) {
  if (!action || typeof action !== "object") return "";
  if (action.name === "navigate") return `→ ${action.next?.name ?? "?"}`;
  if (action.name === "complete") return "completes the flow";
  if (action.name === "data_exchange") return "asks the endpoint";
  if (action.name === "open_url") return `opens ${action.url ?? "a link"}`;
  return String(action.name ?? "");
}

function items(children, depth, out) {
  if (!Array.isArray(children)) return out;
  for (const c of children) {
    if (!c || typeof c !== "object") continue;
    const type = String(c.type ?? "?");
    if (type === "Form") { items(c.children, depth, out); continue; }
    if (type === "If") {
      out.push({ kind: "branch", depth, text: `if ${asText(c.condition)}` });
      items(c.then, depth + 1, out);
      if (Array.isArray(c.else)) { out.push({ kind: "branch", depth, text: "else" }); items(c.else, depth + 1, out); }
      continue;
    }
    if (type === "Switch") {
      for (const [value, list] of Object.entries(c.cases ?? {})) {
        out.push({ kind: "branch", depth, text: `when ${asText(c.value)} is ${value}` });
        items(list, depth + 1, out);
      }
      continue;
    }
    if (texts[type]) out.push({ kind: texts[type], depth, text: asText(c.text) });
    else if (type === "Footer") out.push({ kind: "button", depth, text: asText(c.label), action: actionText(c["on-click-action"]) });
    else if (type === "EmbeddedLink") out.push({ kind: "link", depth, text: asText(c.text), action: actionText(c["on-click-action"]) });
    else if (type === "Image") out.push({ kind: "image", depth, text: asText(c["alt-text"]) || "image" });
    else if (inputs.has(type)) {
      const source = c["data-source"];
      out.push({ kind: "input", depth, type, name: asText(c.name), text: asText(c.label), required: c.required === true,
        options: Array.isArray(source) ? source.map((o) => asText(o?.title)) : typeof source === "string" ? [source] : [] });
    } else out.push({ kind: "other", depth, type, text: asText(c.text ?? c.label ?? "") });
  }
  return out;
}

/** The screens of a Flow JSON, or [] when it has none to show. */
export function screensOf(flow) {
  if (!flow || typeof flow !== "object" || !Array.isArray(flow.screens)) return [];
  return flow.screens.filter((s) => s && typeof s === "object").map((s) => ({
    id: String(s.id ?? "?"),
    title: asText(s.title),
    terminal: s.terminal === true,
    items: items(s.layout?.children, 0, []),
  }));
}

/** The pointer of a problem inside the Flow JSON ("/flow_json/screens/0" → "/screens/0"), or null. */
export function pointerInFlowJson(pointer) {
  if (pointer === "/flow_json") return "";
  return pointer.startsWith("/flow_json/") ? pointer.slice("/flow_json".length) : null;
}
