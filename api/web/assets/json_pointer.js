// Where a JSON pointer (RFC 6901) points in a JSON text: the bot editor selects the value a
// validation problem names.

/** [start, end) of the value at `pointer` in `text`, or of the deepest value found on its way. */
export function locatePointer(text, pointer) {
  const tokens = pointer === "" ? [] : pointer.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
  };
  const readString = () => {
    const start = i;
    skipString();
    try { return JSON.parse(text.slice(start, i)); } catch { return null; }
  };
  const skipValue = () => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === "{" || c === "[") {
      let depth = 0;
      while (i < text.length) {
        const d = text[i];
        if (d === '"') { skipString(); continue; }
        if (d === "{" || d === "[") depth++;
        if (d === "}" || d === "]") { depth--; if (depth === 0) { i++; return; } }
        i++;
      }
      return;
    }
    while (i < text.length && !/[,\]}\s]/.test(text[i])) i++;
  };

  ws();
  let start = i;
  for (const token of tokens) {
    ws();
    const open = text[i];
    if (open === "{") {
      i++;
      let found = false;
      for (;;) {
        ws();
        if (text[i] !== '"') break;
        const key = readString();
        ws();
        if (text[i] !== ":") break;
        i++;
        ws();
        if (key === token) { found = true; break; }
        skipValue();
        ws();
        if (text[i] !== ",") break;
        i++;
      }
      if (!found) break;
    } else if (open === "[") {
      i++;
      const index = Number(token);
      let n = 0;
      let found = false;
      for (;;) {
        ws();
        if (text[i] === "]" || i >= text.length) break;
        if (n === index) { found = true; break; }
        skipValue();
        ws();
        if (text[i] !== ",") break;
        i++;
        n++;
      }
      if (!found) break;
    } else {
      break;
    }
    start = i;
  }
  i = start;
  skipValue();
  return [start, Math.max(start, i)];
}

/** The 1-based line of an offset. */
export function lineOf(text, offset) {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text[k] === "\n") line++;
  return line;
}

/** Selects the value at `pointer` in a textarea and scrolls it into view. */
export function selectPointer(editor, pointer) {
  const [start, end] = locatePointer(editor.value, pointer);
  editor.focus();
  editor.setSelectionRange(start, end);
  // A line is about 1.4em.
  const line = lineOf(editor.value, start);
  editor.scrollTop = Math.max(0, (line - 5) * parseFloat(getComputedStyle(editor).lineHeight || "18"));
}
