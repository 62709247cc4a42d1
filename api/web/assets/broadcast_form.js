// A broadcast as the dashboard's form holds it, made into what the API takes: the audience of
// the kind chosen, and the template's components with one value per parameter (a fixed text,
// or "{column}": each recipient's own value). Pure: no DOM.
import { paramsOf } from "./template_form.js";

/** A value as written in the form: "{first_name}" is the recipient's column, anything else text. */
export function valueOf(text) {
  const m = /^\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$/.exec(String(text).trim());
  return m ? { column: m[1] } : String(text);
}

/** The parameters a template takes, by component: [{component: "header"|"body", name}]. */
export function parametersOf(template) {
  const out = [];
  for (const c of template?.components ?? []) {
    const type = String(c.type).toUpperCase();
    if (type === "HEADER" && String(c.format).toUpperCase() === "TEXT")
      for (const name of paramsOf(c.text)) out.push({ component: "header", name });
    if (type === "BODY") for (const name of paramsOf(c.text)) out.push({ component: "body", name });
  }
  return out;
}

/** The send's components for the values typed, by "component:name". */
export function componentsFor(template, values) {
  const named = template?.parameter_format === "named";
  const byComponent = new Map();
  for (const p of parametersOf(template)) {
    const param = { type: "text", text: valueOf(values[`${p.component}:${p.name}`] ?? "") };
    if (named) param.parameter_name = p.name;
    if (!byComponent.has(p.component)) byComponent.set(p.component, []);
    byComponent.get(p.component).push(param);
  }
  return [...byComponent].map(([type, parameters]) => ({ type, parameters }));
}

/** The audience of a kind: all, states ("a, b"), numbers (one a line), table ("t", "phone"). */
export function audienceOf(kind, { states = "", numbers = "", table = "", phoneColumn = "" } = {}) {
  const split = (s, re) => s.split(re).map((x) => x.trim()).filter(Boolean);
  if (kind === "states") return { states: split(states, /,/) };
  if (kind === "numbers") return { wa_ids: split(numbers, /[\n,;]/).map((n) => n.replace(/[^0-9]/g, "")) };
  if (kind === "table") return { table: table.trim(), phone_column: phoneColumn.trim() };
  return { all_contacts: true };
}

/** The broadcast's counts as one line: "12 of 40 sent (3 read), 1 failed, 2 skipped". */
export function progressLine(p) {
  if (!p) return "";
  const out = p.sent + p.delivered + p.read;
  const parts = [`${out} of ${p.total} sent`];
  if (p.delivered + p.read) parts[0] += ` (${p.delivered + p.read} delivered, ${p.read} read)`;
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.skipped) parts.push(`${p.skipped} skipped`);
  if (p.pending + p.queued) parts.push(`${p.pending + p.queued} waiting`);
  return parts.join(", ");
}
