// The flows page's pure half: a Flow JSON's screens as the page outlines them, and where a
// problem's pointer lands in the editor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actionText, pointerInFlowJson, screensOf } from "../../../api/web/assets/flow_screens.js";

const booking = {
  version: "7.3",
  screens: [
    { id: "BOOKING", title: "Book a visit", layout: { type: "SingleColumnLayout", children: [
      { type: "Form", name: "form", children: [
        { type: "TextInput", name: "name", label: "Your name", required: true },
        { type: "Dropdown", name: "service", label: "Service", "data-source": [{ id: "cut", title: "Haircut" }] },
        { type: "If", condition: "${form.name} != ''", then: [{ type: "TextBody", text: ["Hello", "again"] }],
          else: [{ type: "TextCaption", text: "Who?" }] },
        { type: "Footer", label: "Continue", "on-click-action": { name: "navigate", next: { type: "screen", name: "CONFIRM" } } },
      ] },
    ] } },
    { id: "CONFIRM", terminal: true, layout: { children: [
      { type: "Footer", label: "Book", "on-click-action": { name: "complete", payload: {} } },
    ] } },
    "not a screen",
  ],
};

test("screens are outlined in order, forms flattened, branches marked", () => {
  const screens = screensOf(booking);
  assert.equal(screens.length, 2);
  assert.deepEqual(screens[0].items.map((i) => [i.kind, i.depth, i.text]), [
    ["input", 0, "Your name"], ["input", 0, "Service"], ["branch", 0, "if ${form.name} != ''"],
    ["body", 1, "Hello\nagain"], ["branch", 0, "else"], ["caption", 1, "Who?"], ["button", 0, "Continue"]]);
  assert.deepEqual(screens[0].items[1].options, ["Haircut"]);
  assert.equal(screens[0].items[0].required, true);
  assert.equal(screens[0].items.at(-1).action, "→ CONFIRM");
  assert.equal(screens[1].terminal, true);
  assert.equal(screens[1].items[0].action, "completes the flow");
});

test("what is not a Flow JSON outlines as nothing", () => {
  assert.deepEqual(screensOf(null), []);
  assert.deepEqual(screensOf({ screens: "x" }), []);
  assert.deepEqual(screensOf({ screens: [{ id: "A" }] }), [{ id: "A", title: "", terminal: false, items: [] }]);
  assert.equal(actionText({ name: "data_exchange" }), "asks the endpoint");
  assert.equal(actionText(null), "");
});

test("a problem's pointer lands in the editor's document", () => {
  assert.equal(pointerInFlowJson("/flow_json/screens/0/id"), "/screens/0/id");
  assert.equal(pointerInFlowJson("/flow_json"), "");
  assert.equal(pointerInFlowJson("/name"), null);
});
