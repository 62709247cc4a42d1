// The dashboard's pure modules: the event-stream parser, JSON pointers in a text, metrics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sseParser } from "../../../api/web/assets/events.js";
import { lineOf, locatePointer } from "../../../api/web/assets/json_pointer.js";
import { parseMetrics, perMinute, total } from "../../../api/web/assets/metrics.js";

test("events: frames split anywhere are parsed whole, comments skipped", () => {
  const p = sseParser();
  const text = ": keep-alive\n\nid: e-1\nevent: message.received\ndata: {\"a\":1}\n\nid: e-2\r\nevent: x\r\ndata: one\r\ndata: two\r\n\r\n";
  const events = [];
  for (let i = 0; i < text.length; i += 3) events.push(...p.feed(text.slice(i, i + 3)));
  assert.deepEqual(events, [
    { id: "e-1", event: "message.received", data: "{\"a\":1}" },
    { id: "e-2", event: "x", data: "one\ntwo" },
  ]);
  assert.deepEqual(p.feed("data: tail"), []);  // incomplete: nothing yet
  assert.deepEqual(p.feed("\n\n"), [{ id: undefined, event: "message", data: "tail" }]);
  assert.deepEqual(p.feed("id: e-0\n\n"), [{ id: "e-0", event: null, data: "" }]);  // a position
});

test("pointers: the value a pointer names, in objects, arrays and escaped keys", () => {
  const text = JSON.stringify({ initial_state: "x", states: { "a/b": { routes: [{ when: "always" }, { when: { text_matches: "(" } }] }, "m~n": 1 } }, null, 2);
  const at = (ptr) => { const [s, e] = locatePointer(text, ptr); return text.slice(s, e); };
  assert.equal(at("/initial_state"), '"x"');
  assert.equal(at("/states/a~1b/routes/1/when/text_matches"), '"("');
  assert.equal(at("/states/m~0n"), "1");
  assert.equal(JSON.parse(at("/states/a~1b/routes/0")).when, "always");
  assert.equal(at(""), text);
  // A pointer past what exists selects the deepest value found on its way.
  assert.equal(JSON.parse(at("/states/a~1b/routes/7")).length, 2);
  assert.equal(lineOf(text, locatePointer(text, "/states")[0]), 3);
});

test("metrics: samples summed by name and labels; rates per minute", () => {
  const text = [
    "# HELP paige_webhook_events_total webhook events received by kind",
    "# TYPE paige_webhook_events_total counter",
    'paige_webhook_events_total{kind="message"} 120',
    'paige_webhook_events_total{kind="status"} 30',
    "paige_outbound_backlog 4",
    'paige_outbound_failed_total{code="131047"} 2',
    'paige_outbound_failed_total{code="429",x="a\\"b"} 1',
  ].join("\n");
  const s = parseMetrics(text);
  assert.equal(total(s, "paige_webhook_events_total", { kind: "message" }), 120);
  assert.equal(total(s, "paige_webhook_events_total"), 150);
  assert.equal(total(s, "paige_outbound_failed_total"), 3);
  assert.equal(total(s, "paige_outbound_backlog"), 4);
  assert.equal(total(s, "missing"), 0);
  assert.equal(perMinute(100, 130, 30), 60);
  assert.equal(perMinute(130, 5, 30), 0);  // the process restarted
});

test("events: a dropped stream is resumed with Last-Event-ID; a 401 signs out", async () => {
  const { followEvents } = await import("../../../api/web/assets/events.js");
  const signals = [];
  globalThis.sessionStorage = { getItem: () => "paige_pk_k", setItem() {}, removeItem() {} };
  globalThis.window = { dispatchEvent: (e) => signals.push(e.type) };
  globalThis.CustomEvent ??= class extends Event { constructor(type, init) { super(type); this.detail = init?.detail; } };
  const requests = [];
  // The first stream starts at a position (an id alone) and carries one event; the second one
  // event; the third is refused (a revoked key).
  const frames = ["id: e-6\n\nid: e-7\nevent: message.received\ndata: {\"n\":1}\n\n", "id: e-8\nevent: message.received\ndata: {\"n\":2}\n\n"];
  globalThis.fetch = async (url, init) => {
    requests.push({ url, headers: init.headers });
    if (requests.length === 3) return new Response("", { status: 401 });
    // Each stream carries one event, then ends (as a dropped connection does).
    return new Response(frames[requests.length - 1], { status: 200, headers: { "Content-Type": "text/event-stream" } });
  };
  const seen = [];
  const statuses = [];
  await new Promise((resolve) => {
    followEvents("prj_1", {
      conversationId: 9,
      onEvent: (type, data) => seen.push([type, data.n]),
      onStatus: (s) => statuses.push(s),
    });
    const check = setInterval(() => { if (signals.length) { clearInterval(check); resolve(); } }, 10);
  });
  assert.deepEqual(seen, [["message.received", 1], ["message.received", 2]]);
  assert.equal(requests[0].url, "/v1/projects/prj_1/events?conversation_id=9");
  assert.equal(requests[0].headers.Authorization, "Bearer paige_pk_k");
  assert.equal(requests[0].headers["Last-Event-ID"], undefined);
  assert.equal(requests[1].headers["Last-Event-ID"], "e-7");
  assert.equal(requests[2].headers["Last-Event-ID"], "e-8");
  assert.deepEqual(statuses, ["live", "reconnecting", "live", "reconnecting"]);
  assert.deepEqual(signals, ["paige:signedout"]);
});
