// A message template as the dashboard's form holds it, and as the API takes it (Meta's shape:
// spec/meta-cloud-api.md §8), both ways; and the message bubble it makes, with each parameter
// shown as its example. Pure: no DOM.

/** The parameters of a text in order of first appearance: "1", "2"... or names. */
export function paramsOf(text) {
  const out = [];
  for (const m of String(text ?? "").matchAll(/\{\{\s*([^{}\s]+)\s*\}\}/g))
    if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

/** The form's empty state. */
export function blankForm() {
  return {
    name: "", language: "en_US", category: "UTILITY", parameter_format: "positional",
    header: "", body: "", footer: "", quickReplies: [], url: { text: "", url: "" },
    flow: { text: "", flow_name: "", screen: "" },  // a button that opens one of the project's flows
    examples: {},  // parameter name → example (header and body share names)
    // What the form does not show (a media header, other buttons), sent back as it was.
    keep: { header: null, buttons: [] },
  };
}

function example(f, p) {
  return f.examples[p] ?? "";
}

/**
 * The template the API takes, and which form field each component came from (problems come
 * back with pointers such as /components/1/text).
 */
export function templateOf(f) {
  const named = f.parameter_format === "named";
  const components = [];
  const fields = [];
  const exampleOf = (params, positionalKey, namedKey, nested) => {
    if (!params.length) return undefined;
    if (named) return { [namedKey]: params.map((p) => ({ param_name: p, example: example(f, p) })) };
    const list = params.map((p) => example(f, p));
    return { [positionalKey]: nested ? [list] : list };
  };
  if (f.header.trim()) {
    const c = { type: "HEADER", format: "TEXT", text: f.header };
    const ex = exampleOf(paramsOf(f.header), "header_text", "header_text_named_params", false);
    if (ex) c.example = ex;
    components.push(c);
    fields.push("header");
  } else if (f.keep?.header) {
    components.push(f.keep.header);
    fields.push("header");
  }
  const body = { type: "BODY", text: f.body };
  const ex = exampleOf(paramsOf(f.body), "body_text", "body_text_named_params", true);
  if (ex) body.example = ex;
  components.push(body);
  fields.push("body");
  if (f.footer.trim()) {
    components.push({ type: "FOOTER", text: f.footer });
    fields.push("footer");
  }
  const buttons = f.quickReplies.filter((t) => t.trim()).map((text) => ({ type: "QUICK_REPLY", text }));
  if (f.url.text.trim() || f.url.url.trim()) {
    const b = { type: "URL", text: f.url.text, url: f.url.url };
    // Meta wants an example of the whole URL when its end is a parameter.
    if (paramsOf(f.url.url).length) b.example = [f.url.url.replace(/\{\{[^}]*\}\}/, "abc123")];
    buttons.push(b);
  }
  if (f.flow?.text.trim() || f.flow?.flow_name) {
    const b = { type: "FLOW", text: f.flow.text, flow_action: "navigate" };
    if (f.flow.flow_name) b.flow_name = f.flow.flow_name;  // none: Paige says a flow is needed
    if (f.flow.screen.trim()) b.navigate_screen = f.flow.screen.trim();
    buttons.push(b);
  }
  buttons.push(...(f.keep?.buttons ?? []));
  if (buttons.length) {
    components.push({ type: "BUTTONS", buttons });
    fields.push("buttons");
  }
  return {
    template: { name: f.name, language: f.language, category: f.category, parameter_format: f.parameter_format, components },
    fields,
  };
}

/** The form of a stored template (what this form cannot show, e.g. a media header, is left out). */
export function formOf(t) {
  const f = blankForm();
  f.name = t.name;
  f.language = t.language;
  f.category = t.category;
  f.parameter_format = t.parameter_format === "named" ? "named" : "positional";
  for (const c of t.components ?? []) {
    const type = String(c.type).toUpperCase();
    if (type === "HEADER") {
      if (String(c.format).toUpperCase() === "TEXT") f.header = c.text ?? "";
      else f.keep.header = c;
    }
    if (type === "BODY") f.body = c.text ?? "";
    if (type === "FOOTER") f.footer = c.text ?? "";
    if (type === "BUTTONS")
      for (const b of c.buttons ?? []) {
        if (b.type === "QUICK_REPLY") f.quickReplies.push(b.text ?? "");
        else if (b.type === "URL" && !f.url.text && !f.url.url) f.url = { text: b.text ?? "", url: b.url ?? "" };
        else if (b.type === "FLOW" && b.flow_name && !f.flow.flow_name)
          f.flow = { text: b.text ?? "", flow_name: b.flow_name, screen: b.navigate_screen ?? "" };
        else f.keep.buttons.push(b);
      }
    const ex = c.example ?? {};
    const named = [...(ex.header_text_named_params ?? []), ...(ex.body_text_named_params ?? [])];
    for (const p of named) f.examples[p.param_name] = p.example;
    if (type === "HEADER") paramsOf(c.text).forEach((p, i) => { f.examples[p] ??= ex.header_text?.[i]; });
    if (type === "BODY") paramsOf(c.text).forEach((p, i) => { f.examples[p] ??= ex.body_text?.[0]?.[i]; });
  }
  return f;
}

/** The message bubble: texts with each parameter replaced by its example (or left as {{p}}). */
export function previewOf(f) {
  const fill = (text) => String(text ?? "").replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (all, p) => example(f, p) || all);
  const buttons = f.quickReplies.filter((t) => t.trim());
  if (f.url.text.trim()) buttons.push(f.url.text);
  if (f.flow?.text.trim()) buttons.push(f.flow.text);
  return { header: fill(f.header), body: fill(f.body), footer: f.footer, buttons };
}
