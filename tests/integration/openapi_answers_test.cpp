// Real answers of a real server, checked against the schemas api/web/openapi.json gives for
// their operation and status: the document says what the API answers, not only which routes
// exist.
#include "api/web_assets.hpp"
#include "tests/support/project_server.hpp"

#include <catch2/catch.hpp>

using namespace paige::test;

namespace {

/// The document's schema at `ref` ("#/a/b/c").
const json& resolve(const json& doc, const std::string& ref) {
  const json* at = &doc;
  for (std::size_t i = 2; i < ref.size();) {
    auto end = ref.find('/', i);
    if (end == std::string::npos) end = ref.size();
    at = &at->at(ref.substr(i, end - i));
    i = end + 1;
  }
  return *at;
}

bool has_type(const json& value, const std::string& type) {
  if (type == "null") return value.is_null();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  return false;
}

/// Where `value` breaks `schema` (the keywords the document uses: $ref, type, required,
/// properties, items, enum, oneOf), each as "pointer: what".
void check(const json& doc, const json& schema, const json& value, const std::string& at,
           std::vector<std::string>& out) {
  if (schema.contains("$ref"))
    return check(doc, resolve(doc, schema["$ref"].get<std::string>()), value, at, out);
  if (schema.contains("oneOf")) {
    int matching = 0;
    for (const auto& alternative : schema["oneOf"]) {
      std::vector<std::string> broken;
      check(doc, alternative, value, at, broken);
      matching += broken.empty();
    }
    if (matching != 1) out.push_back(at + ": matches " + std::to_string(matching) + " of oneOf");
    return;
  }
  if (schema.contains("type")) {
    auto types = schema["type"].is_array() ? schema["type"] : json::array({schema["type"]});
    bool fits = false;
    for (const auto& t : types) fits = fits || has_type(value, t.get<std::string>());
    if (!fits) return out.push_back(at + ": not " + schema["type"].dump() + ": " + value.dump());
  }
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end())
    out.push_back(at + ": not one of " + schema["enum"].dump());
  if (value.is_object()) {
    auto required = schema.value("required", json::array());
    for (const auto& name : required)
      if (!value.contains(name.get<std::string>()))
        out.push_back(at + ": lacks " + name.get<std::string>());
    auto properties = schema.value("properties", json::object());
    for (const auto& [name, sub] : properties.items())
      if (value.contains(name)) check(doc, sub, value[name], at + "/" + name, out);
  }
  if (value.is_array() && schema.contains("items"))
    for (std::size_t i = 0; i < value.size(); ++i)
      check(doc, schema["items"], value[i], at + "/" + std::to_string(i), out);
}

struct documented_server {
  json doc = json::parse(*paige::api::embedded_file("openapi.json"));
  project_server s;

  /// Calls `method path` (a concrete path for `pattern`) and checks the answer against the
  /// document; returns it.
  reply call(const std::string& method, const std::string& pattern, const std::string& path,
             const json& body = nullptr) {
    auto r = s.call(method, path, body.is_null() ? "" : body.dump());
    INFO(method << " " << path << " → " << r.status << " " << r.body.dump());
    std::string lower = method;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto& responses = doc.at("paths").at(pattern).at(lower).at("responses");
    REQUIRE(responses.contains(std::to_string(r.status)));
    json response = responses[std::to_string(r.status)];
    if (response.contains("$ref")) response = resolve(doc, response["$ref"].get<std::string>());
    if (response.contains("content")) {
      std::vector<std::string> broken;
      check(doc, response["content"]["application/json"]["schema"], r.body, "", broken);
      CHECK(broken == std::vector<std::string>{});
    } else {
      CHECK(r.body.is_null());  // no body documented, none sent
    }
    return r;
  }
};

}  // namespace

TEST_CASE("openapi: real answers fit the documented schemas", "[integration][db][openapi]") {
  documented_server d;
  auto created = d.call("POST", "/v1/projects", "/v1/projects", {{"name", "Documented"}});
  REQUIRE(created.status == 202);
  auto id = created.body["id"].get<std::string>();
  REQUIRE(d.s.wait_status(id, "active"));
  auto p = "/v1/projects/" + id;
  auto pattern = std::string{"/v1/projects/{project_id}"};

  d.call("GET", "/v1/projects", "/v1/projects");
  d.call("GET", pattern, p);
  d.call("GET", pattern, "/v1/projects/prj_0000000000000000");  // 404, the error shape
  d.call("PATCH", pattern, p, {{"name", "Renamed"}});
  d.call("POST", pattern + "/keys", p + "/keys", {{"name", "ci"}});
  d.call("GET", pattern + "/keys", p + "/keys");
  d.call("GET", pattern + "/bot", p + "/bot");
  d.call("GET", pattern + "/bot/versions", p + "/bot/versions");
  d.call("GET", "/v1/me", "/v1/me");
  d.call("GET", pattern + "/whatsapp/profile", p + "/whatsapp/profile");  // 409: no number
  d.call("PATCH", pattern + "/whatsapp/profile", p + "/whatsapp/profile",
         {{"about", std::string(140, 'a')}});  // 422 with its field

  d.call("POST", pattern + "/tables", p + "/tables",
         {{"name", "notes"}, {"columns", {{{"name", "body"}, {"type", "text"}}}}});
  d.call("GET", pattern + "/tables", p + "/tables");
  d.call("GET", pattern + "/tables/{table}", p + "/tables/notes");
  d.call("POST", pattern + "/tables/{table}/columns", p + "/tables/notes/columns",
         {{"name", "n"}, {"type", "integer"}});
  auto row = d.call("POST", pattern + "/tables/{table}/rows", p + "/tables/notes/rows",
                    {{"body", "hello"}, {"n", 1}});
  d.call("GET", pattern + "/tables/{table}/rows", p + "/tables/notes/rows");
  d.call("PATCH", pattern + "/tables/{table}/rows/{key}",
         p + "/tables/notes/rows/" + row.body["id"].dump(), {{"n", 2}});
  d.call("POST", pattern + "/tables/{table}/rows", p + "/tables/notes/rows", {{"n", "two"}});
  d.call("POST", pattern + "/sql", p + "/sql", {{"query", "SELECT 1 AS one"}});
  d.call("DELETE", pattern + "/tables/{table}/rows/{key}",
         p + "/tables/notes/rows/" + row.body["id"].dump());

  d.call("GET", pattern + "/contacts", p + "/contacts");
  d.call("GET", pattern + "/conversations", p + "/conversations");
  d.call("GET", pattern + "/conversations/states", p + "/conversations/states");
  d.call("GET", pattern + "/conversations/{conversation_id}", p + "/conversations/1");  // 404
  d.call("POST", pattern + "/pause", p + "/pause");
  d.call("POST", pattern + "/resume", p + "/resume");
}
