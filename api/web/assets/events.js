// Live events of a project. EventSource cannot send an Authorization header, and the key may
// never be put in a URL, so the stream is read with fetch and parsed here.
import { requestOf } from "./api.js";

/**
 * A parser of the text/event-stream format: feed(chunk) returns the frames it completed; a
 * frame with an id and nothing else comes back with `event: null` (a position, not an event).
 */
export function sseParser() {
  let buffer = "";
  let event = { data: [] };
  return {
    feed(chunk) {
      buffer += chunk;
      const done = [];
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        // A CR that ends the chunk may be the first half of a CRLF: wait for the next one.
        if (buffer[nl] === "\r" && nl === buffer.length - 1) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith("\r\n", nl) ? 2 : 1));
        if (line === "") {
          if (event.data.length || event.event)
            done.push({ id: event.id, event: event.event ?? "message", data: event.data.join("\n") });
          else if (event.id !== undefined)
            done.push({ id: event.id, event: null, data: "" });  // a resume point, no event
          event = { data: [], id: undefined };
          continue;
        }
        if (line.startsWith(":")) continue;  // a comment: the server's keep-alive
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") event.data.push(value);
        else if (field === "event") event.event = value;
        else if (field === "id") event.id = value;
      }
      return done;
    },
  };
}

/**
 * Follows the project's events until stop() is called: onEvent(type, data) for each event,
 * onStatus("live" | "reconnecting", detail) when the connection changes. A dropped stream is
 * resumed with Last-Event-ID, so nothing in the server's replay window is missed; what is no
 * longer kept arrives as an "events.lost" event (the page reloads its state). `op` names another
 * stream of the same kind (the bot log's), and `after` the id to resume after.
 */
export function followEvents(projectId, { onEvent, onStatus, conversationId, op = "events", after = null } = {}) {
  let lastId = after;
  let stopped = false;
  let controller = null;
  let delay = 500;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = lastId ? { "Last-Event-ID": lastId } : {};
        const { url, init } = requestOf(op, { project_id: projectId },
          { query: { conversation_id: conversationId }, headers });
        const res = await fetch(url, { ...init, signal: controller.signal });
        if (res.status === 401) {
          window.dispatchEvent(new CustomEvent("paige:signedout", { detail: "the key was revoked" }));
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
        onStatus?.("live");
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = sseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parser.feed(value)) {
            if (e.id) lastId = e.id;
            if (e.event === null) continue;
            let data = null;
            try { data = JSON.parse(e.data); } catch { data = { raw: e.data }; }
            try {
              onEvent?.(e.event, data);
            } catch (err) {
              console.warn("a page failed on event", e.event, err);  // the stream itself is fine
            }
          }
        }
        throw new Error("the stream ended");
      } catch (e) {
        if (stopped) return;
        onStatus?.("reconnecting", e.message);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 10000);
      }
    }
  }
  connect();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
