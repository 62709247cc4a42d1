// Values of project tables between the API's JSON and the page's inputs, by column type.
import { formatTime, h } from "./dom.js";

export const columnTypes = ["text", "varchar", "integer", "bigint", "numeric", "boolean", "date",
  "timestamptz", "uuid", "jsonb", "serial"];

const integerTypes = new Set(["integer", "bigint", "serial", "bigserial"]);
const textTypes = new Set(["text", "varchar", "uuid", "other"]);

/** A cell's text: null as "null", JSON as JSON, times in the browser's zone. */
export function cellText(value, type) {
  if (value === null || value === undefined) return null;
  if (type === "timestamptz" && typeof value === "string") return formatTime(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** "2026-11-21T10:00:00Z" → "2026-11-21T11:00:00" in the browser's zone (datetime-local). */
export function toLocalInput(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}T${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

/** A value the input cannot turn into JSON; shown at its field. */
export class InputError extends Error {
  constructor(column, message) {
    super(message);
    this.details = { column };
  }
}

/**
 * An input fitting a column's type, holding `value`. read() gives the JSON to send, or
 * `undefined` when the input was left empty (the column's default applies on insert).
 * Integers and numerics travel as strings, so no digit is lost to a JavaScript number.
 */
export function valueInput(column, value, label) {
  const type = column.type;
  const aria = label ?? column.name;
  let el;
  if (type === "boolean") {
    el = h("select", { name: column.name, "aria-label": aria },
      h("option", { value: "" }, "—"), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
    el.value = value === true ? "true" : value === false ? "false" : "";
  } else if (type === "jsonb") {
    el = h("textarea", { name: column.name, rows: 1, "aria-label": aria, class: "mono", spellcheck: "false" });
    el.value = value === null || value === undefined ? "" : JSON.stringify(value);
  } else if (type === "date") {
    el = h("input", { type: "date", name: column.name, "aria-label": aria, value: value ?? "" });
  } else if (type === "timestamptz") {
    el = h("input", { type: "datetime-local", step: 1, name: column.name, "aria-label": aria, value: value ? toLocalInput(value) : "" });
  } else {
    el = h("input", {
      type: "text", name: column.name, "aria-label": aria, spellcheck: "false",
      inputmode: integerTypes.has(type) ? "numeric" : type === "numeric" ? "decimal" : undefined,
      value: value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value),
    });
  }
  // A column made with SQL (json, arrays...) whose value came as JSON is edited as JSON.
  const asJson = type === "jsonb" || (type === "other" && value !== null && typeof value === "object");
  const initial = el.value;
  /** Whether the user changed what the input first showed. */
  el.edited = () => el.value !== initial;
  el.read = () => {
    const text = el.value;
    if (text === "") return textTypes.has(type) && value !== null && value !== undefined ? "" : undefined;
    if (type === "boolean") return text === "true";
    if (asJson) {
      try { return JSON.parse(text); } catch { throw new InputError(column.name, `column '${column.name}' expects JSON`); }
    }
    if (type === "timestamptz") return new Date(text).toISOString();
    return text;
  };
  return el;
}
