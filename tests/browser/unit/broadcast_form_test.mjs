// The broadcast form's pure half: values and columns, the components a template takes, the
// audience of each kind, the progress line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { audienceOf, componentsFor, parametersOf, progressLine, valueOf } from "../../../api/web/assets/broadcast_form.js";

test("a value in braces is the recipient's column; anything else is text", () => {
  assert.deepEqual(valueOf("{first_name}"), { column: "first_name" });
  assert.deepEqual(valueOf(" { name } "), { column: "name" });
  assert.equal(valueOf("Dear {friend}!"), "Dear {friend}!");
  assert.equal(valueOf("{1}"), "{1}");
});

test("components carry one value per parameter, named ones with their names", () => {
  const positional = { components: [{ type: "HEADER", format: "TEXT", text: "Order {{1}}" }, { type: "BODY", text: "Hi {{1}}, {{2}}" }] };
  assert.deepEqual(parametersOf(positional).map((p) => `${p.component}:${p.name}`), ["header:1", "body:1", "body:2"]);
  assert.deepEqual(componentsFor(positional, { "header:1": "A-1", "body:1": "{name}", "body:2": "soon" }), [
    { type: "header", parameters: [{ type: "text", text: "A-1" }] },
    { type: "body", parameters: [{ type: "text", text: { column: "name" } }, { type: "text", text: "soon" }] }]);
  const named = { parameter_format: "named", components: [{ type: "BODY", text: "Hi {{first_name}}" }] };
  assert.deepEqual(componentsFor(named, { "body:first_name": "{first_name}" }),
    [{ type: "body", parameters: [{ type: "text", text: { column: "first_name" }, parameter_name: "first_name" }] }]);
  assert.deepEqual(componentsFor({ components: [{ type: "BODY", text: "No parameters" }] }, {}), []);
});

test("audiences of each kind", () => {
  assert.deepEqual(audienceOf("all"), { all_contacts: true });
  assert.deepEqual(audienceOf("states", { states: "support, collect_info," }), { states: ["support", "collect_info"] });
  assert.deepEqual(audienceOf("numbers", { numbers: "+1 555 0100\n15550101; " }), { wa_ids: ["15550100", "15550101"] });
  assert.deepEqual(audienceOf("table", { table: " customers ", phoneColumn: "phone" }), { table: "customers", phone_column: "phone" });
});

test("progress in one line", () => {
  assert.equal(progressLine({ total: 10, pending: 2, queued: 1, skipped: 1, sent: 3, delivered: 2, read: 1, failed: 0 }),
    "6 of 10 sent (3 delivered, 1 read), 1 skipped, 3 waiting");
  assert.equal(progressLine(null), "");
});
