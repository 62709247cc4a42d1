// The template form's pure half: the API body it makes (examples where Meta wants them), the
// form of a stored template, and the preview's texts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { blankForm, formOf, paramsOf, previewOf, templateOf } from "../../../api/web/assets/template_form.js";

test("parameters are found once each, in order", () => {
  assert.deepEqual(paramsOf("Hi {{1}}, order {{2}} ({{1}})"), ["1", "2"]);
  assert.deepEqual(paramsOf("{{first_name}} and {{ deal }}"), ["first_name", "deal"]);
  assert.deepEqual(paramsOf("no {braces} here"), []);
});

test("a positional form becomes Meta's components, examples included", () => {
  const f = { ...blankForm(), name: "order_ready", header: "Order {{1}}", body: "Hi {{1}}, {{2}} is ready.", footer: "Thanks",
    quickReplies: ["Stop", " "], examples: { 1: "Ana", 2: "A-1" } };
  const { template, fields } = templateOf(f);
  assert.deepEqual(fields, ["header", "body", "footer", "buttons"]);
  assert.deepEqual(template.components[0], { type: "HEADER", format: "TEXT", text: "Order {{1}}", example: { header_text: ["Ana"] } });
  assert.deepEqual(template.components[1].example, { body_text: [["Ana", "A-1"]] });
  assert.deepEqual(template.components[3], { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Stop" }] });
  assert.equal(template.parameter_format, "positional");
});

test("named parameters carry their names; a stored template comes back as the same form", () => {
  const f = { ...blankForm(), name: "deal", parameter_format: "named", category: "MARKETING",
    body: "Hi {{first_name}}, {{deal}} ends soon", examples: { first_name: "Ana", deal: "20% off" },
    url: { text: "Shop", url: "https://shop.example/{{1}}" } };
  const { template } = templateOf(f);
  assert.deepEqual(template.components[0].example, { body_text_named_params: [
    { param_name: "first_name", example: "Ana" }, { param_name: "deal", example: "20% off" }] });
  assert.deepEqual(template.components[1].buttons[0].example, ["https://shop.example/abc123"]);
  const back = formOf({ ...template, components: template.components });
  assert.equal(back.body, f.body);
  assert.deepEqual(back.examples, { first_name: "Ana", deal: "20% off" });
  assert.deepEqual(back.url, f.url);
  assert.equal(back.parameter_format, "named");
});

test("the preview shows examples in place, and placeholders without one", () => {
  const f = { ...blankForm(), header: "Order {{1}}", body: "Hi {{1}}, {{2}}.", examples: { 1: "<b>Ana</b>" }, quickReplies: ["Yes"] };
  const p = previewOf(f);
  assert.equal(p.header, "Order <b>Ana</b>");  // text: the page renders it as text
  assert.equal(p.body, "Hi <b>Ana</b>, {{2}}.");
  assert.deepEqual(p.buttons, ["Yes"]);
});

test("what the form does not show is sent back as it was", () => {
  const stored = { name: "promo", language: "en", category: "MARKETING", parameter_format: "positional", components: [
    { type: "HEADER", format: "IMAGE", example: { header_handle: ["h:1"] } },
    { type: "BODY", text: "New in store" },
    { type: "BUTTONS", buttons: [{ type: "PHONE_NUMBER", text: "Call", phone_number: "+15550001" },
      { type: "URL", text: "Shop", url: "https://a.example" }, { type: "URL", text: "Map", url: "https://b.example" }] }] };
  const f = formOf(stored);
  f.body = "New in store today";
  const { template, fields } = templateOf(f);
  assert.deepEqual(fields, ["header", "body", "buttons"]);
  assert.deepEqual(template.components[0], stored.components[0]);
  assert.deepEqual(template.components[2].buttons.map((b) => b.text).sort(), ["Call", "Map", "Shop"]);
  assert.equal(template.components[1].text, "New in store today");
});

test("a flow button names the project's flow and comes back as the same form", () => {
  const f = { ...blankForm(), name: "visit_due", body: "Your visit is due.",
    flow: { text: "Book", flow_name: "booking", screen: " BOOKING " } };
  const { template, fields } = templateOf(f);
  assert.deepEqual(fields, ["body", "buttons"]);
  assert.deepEqual(template.components[1].buttons,
    [{ type: "FLOW", text: "Book", flow_action: "navigate", flow_name: "booking", navigate_screen: "BOOKING" }]);
  assert.deepEqual(previewOf(f).buttons, ["Book"]);
  const back = formOf(template);
  assert.deepEqual(back.flow, { text: "Book", flow_name: "booking", screen: "BOOKING" });
  assert.deepEqual(back.keep.buttons, []);
  // Text without a flow: sent without one, for Paige to say a flow is needed.
  const none = templateOf({ ...blankForm(), body: "x", flow: { text: "Book", flow_name: "", screen: "" } });
  assert.equal(none.template.components[1].buttons[0].flow_name, undefined);
  // A flow button by Meta's id only (made at Meta) is kept as it was.
  const byId = formOf({ components: [{ type: "BODY", text: "x" },
    { type: "BUTTONS", buttons: [{ type: "FLOW", text: "Go", flow_id: "123" }] }] });
  assert.equal(byId.flow.flow_name, "");
  assert.deepEqual(byId.keep.buttons, [{ type: "FLOW", text: "Go", flow_id: "123" }]);
});
