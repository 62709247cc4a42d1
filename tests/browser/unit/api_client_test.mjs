// The dashboard's API client against api/web/openapi.json: every operation it calls exists
// with that method and path, and its paths are filled and escaped as one segment each.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { operations, pathOf, requestOf } from "../../../api/web/assets/api.js";

const doc = JSON.parse(fs.readFileSync(new URL("../../../api/web/openapi.json", import.meta.url), "utf8"));

test("every operation of the client is documented with its method", () => {
  for (const [name, [method, path]] of Object.entries(operations)) {
    const item = doc.paths[path];
    assert.ok(item, `${name}: ${path} is not in openapi.json`);
    assert.ok(item[method.toLowerCase()], `${name}: ${method} ${path} is not in openapi.json`);
  }
});

test("the client names every documented /v1 operation the dashboard needs", () => {
  // Each documented /v1 route but those the dashboard has no use for (Meta's side and the
  // business-initiated send to a wa_id, which needs templates) is reachable from a page.
  const used = new Set(Object.values(operations).map(([m, p]) => m + " " + p));
  const unused = new Set(["GET /v1/openapi.json", "POST /v1/projects/{project_id}/messages",
    "POST /v1/flows/endpoint/{project_id}",
    "GET /v1/projects/{project_id}/contacts/{contact_id}/messages"]);
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith("/v1/")) continue;
    for (const method of Object.keys(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const op = method.toUpperCase() + " " + path;
      if (!unused.has(op)) assert.ok(used.has(op), `${op} has no page`);
    }
  }
});

test("paths are filled from parameters, each escaped as one segment", () => {
  assert.equal(pathOf("getTable", { project_id: "prj_1", table: "a/b?c" }), "/v1/projects/prj_1/tables/a%2Fb%3Fc");
  assert.throws(() => pathOf("getTable", { project_id: "prj_1" }), /missing table/);
  assert.throws(() => pathOf("nope"), /unknown operation/);
});

test("queries skip empty values; the key goes in the Authorization header only", () => {
  const r = requestOf("listRows", { project_id: "p", table: "t" },
    { query: { limit: 50, cursor: null, order_by: "", "where.name": "a&b" }, key: "paige_pk_secret" });
  assert.equal(r.url, "/v1/projects/p/tables/t/rows?limit=50&where.name=a%26b");
  assert.equal(r.init.method, "GET");
  assert.equal(r.init.headers.Authorization, "Bearer paige_pk_secret");
  assert.ok(!r.url.includes("secret"));
  const post = requestOf("insertRow", { project_id: "p", table: "t" }, { body: { n: "1" }, key: "k" });
  assert.equal(post.init.body, '{"n":"1"}');
  assert.equal(post.init.headers["Content-Type"], "application/json");
});
