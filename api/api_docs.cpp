#include "api/api_docs.hpp"

#include <nlohmann/json.hpp>

namespace paige::api {
namespace {

using json = nlohmann::json;

std::string schema_name(const json& schema) {
  if (schema.contains("$ref")) {
    auto ref = schema["$ref"].get<std::string>();
    auto name = ref.substr(ref.rfind('/') + 1);
    return "<a href=\"#schema-" + escape_html(name) + "\">" + escape_html(name) + "</a>";
  }
  if (schema.contains("oneOf")) {
    std::string out;
    for (const auto& s : schema["oneOf"]) out += (out.empty() ? "" : " | ") + schema_name(s);
    return out;
  }
  std::string type =
      schema.contains("type")
          ? (schema["type"].is_string() ? schema["type"].get<std::string>() : schema["type"].dump())
          : "any";
  if (type == "array" && schema.contains("items"))
    return "array of " + schema_name(schema["items"]);
  return escape_html(type);
}

std::string text_of(const json& value, const char* key) {
  return value.contains(key) && value[key].is_string() ? escape_html(value[key].get<std::string>())
                                                       : std::string{};
}

void render_operation(std::string& out, const std::string& method, const std::string& path,
                      const json& op, const json& doc) {
  out += "<section><h3><code>" + escape_html(method) + " " + escape_html(path) + "</code></h3>\n";
  out += "<p>" + text_of(op, "summary") + "</p>\n";
  if (op.contains("parameters")) {
    out += "<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>\n";
    for (const auto& p : op["parameters"])
      out += "<tr><td><code>" + text_of(p, "name") + "</code></td><td>" + text_of(p, "in") +
             "</td><td>" + schema_name(p.value("schema", json::object())) + "</td><td>" +
             (p.value("required", false) ? "yes" : "no") + "</td></tr>\n";
    out += "</table>\n";
  }
  if (op.contains("requestBody")) {
    // JSON bodies by their schema; others (an image) by their media types.
    const auto& content = op["requestBody"]["content"];
    std::string body;
    for (const auto& [type, media] : content.items())
      body += (body.empty() ? "" : ", ") + (type == "application/json"
                                                ? schema_name(media.value("schema", json::object()))
                                                : "<code>" + escape_html(type) + "</code>");
    out += "<p>Body: " + body + "</p>\n";
  }
  out += "<ul>\n";
  for (const auto& [status, answer] : op["responses"].items()) {
    const json* a = &answer;
    if (answer.contains("$ref")) {
      auto ref = answer["$ref"].get<std::string>();
      a = &doc["components"]["responses"][ref.substr(ref.rfind('/') + 1)];
    }
    out += "<li><b>" + escape_html(status) + "</b> " + text_of(*a, "description");
    if (a->contains("content"))
      for (const auto& [type, content] : (*a)["content"].items())
        out += " (" + escape_html(type) + ": " + schema_name(content["schema"]) + ")";
    out += "</li>\n";
  }
  out += "</ul></section>\n";
}

void render_schema(std::string& out, const std::string& name, const json& schema) {
  out += "<section id=\"schema-" + escape_html(name) + "\"><h3>" + escape_html(name) + "</h3>\n";
  if (!text_of(schema, "description").empty())
    out += "<p>" + text_of(schema, "description") + "</p>\n";
  if (schema.contains("properties")) {
    auto required = schema.value("required", json::array());
    out += "<table><tr><th>field</th><th>type</th><th>required</th><th></th></tr>\n";
    for (const auto& [field, sub] : schema["properties"].items()) {
      bool needed = std::find(required.begin(), required.end(), field) != required.end();
      out += "<tr><td><code>" + escape_html(field) + "</code></td><td>" + schema_name(sub) +
             "</td><td>" + (needed ? "yes" : "no") + "</td><td>" + text_of(sub, "description") +
             "</td></tr>\n";
    }
    out += "</table>\n";
  } else {
    out += "<p>" + schema_name(schema) + "</p>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_api_docs(const json& doc) {
  auto title = text_of(doc["info"], "title");
  std::string out = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                    title + "</title></head><body>\n<h1>" + title + "</h1>\n<p>" +
                    text_of(doc["info"], "description") +
                    "</p>\n<p>Machine-readable: <a href=\"/v1/openapi.json\">/v1/openapi.json</a>"
                    "</p>\n";
  for (const auto& tag : doc.value("tags", json::array())) {
    auto name = tag["name"].get<std::string>();
    out += "<h2>" + escape_html(name) + "</h2>\n";
    for (const auto& [path, item] : doc["paths"].items())
      for (const auto& [method, op] : item.items()) {
        auto tags = op.value("tags", json::array());
        if (std::find(tags.begin(), tags.end(), name) == tags.end()) continue;
        std::string upper = method;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        render_operation(out, upper, path, op, doc);
      }
  }
  out += "<h2>Schemas</h2>\n";
  for (const auto& [name, schema] : doc["components"]["schemas"].items())
    render_schema(out, name, schema);
  return out + "</body></html>\n";
}

}  // namespace paige::api
