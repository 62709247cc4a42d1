#include "actors/core/outbound_rules.hpp"

#include <set>

namespace paige::actors {
namespace {

using json = nlohmann::json;

/// obj[key] when obj is an object holding it, else null: a stranger's JSON may hold any type
/// anywhere (json::value() throws when the type differs from the default's).
const json& member(const json& obj, const char* key) {
  static const json none;
  if (!obj.is_object()) return none;
  auto it = obj.find(key);
  return it == obj.end() ? none : *it;
}

/// The string at obj[key], or "" when it is absent or not a string.
std::string string_at(const json& obj, const char* key) {
  const auto& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string{};
}

struct checker {
  std::vector<problem>& out;

  void add(const std::string& at, std::string message) { out.push_back({at, std::move(message)}); }

  /// A string field: required or optional, non-empty, at most `max` characters.
  void text(const json& obj, const char* key, const std::string& at, std::size_t max,
            bool required) {
    auto here = at + "/" + key;
    if (!obj.is_object() || !obj.contains(key)) {
      if (required) add(here, std::string{"'"} + key + "' is required");
      return;
    }
    const auto& v = obj.at(key);
    if (!v.is_string()) return add(here, std::string{"'"} + key + "' must be a string");
    auto n = char_count(v.get<std::string>());
    if (n == 0)
      add(here, std::string{"'"} + key + "' must not be empty");
    else if (n > max)
      add(here, std::string{"'"} + key + "' is longer than " + std::to_string(max) + " characters");
  }

  void object(const json& obj, const char* key, const std::string& at) {
    if (!obj.contains(key) || !obj.at(key).is_object())
      add(at + "/" + key, std::string{"'"} + key + "' must be an object");
  }

  void interactive(const json& i, const std::string& at) {
    if (!i.is_object()) return add(at, "'interactive' must be an object");
    auto type = string_at(i, "type");
    if (i.contains("footer")) text(i["footer"], "text", at + "/footer", 60, true);
    if (type == "button") {
      text(member(i, "body"), "text", at + "/body", 1024, true);
      if (string_at(member(i, "header"), "type") == "text")
        text(i["header"], "text", at + "/header", 60, true);
      const auto& buttons = member(member(i, "action"), "buttons");
      auto bat = at + "/action/buttons";
      if (!buttons.is_array() || buttons.empty())
        return add(bat, "1 to 3 reply buttons are required");
      if (buttons.size() > 3) add(bat, "at most 3 reply buttons are allowed");
      std::set<std::string> titles, ids;
      for (std::size_t k = 0; k < buttons.size(); ++k) {
        auto b = at + "/action/buttons/" + std::to_string(k) + "/reply";
        const auto& reply = member(buttons[k], "reply");
        if (!reply.is_object()) {
          add(b, "a reply button needs 'reply' with 'id' and 'title'");
          continue;
        }
        text(reply, "id", b, 256, true);
        text(reply, "title", b, 20, true);
        if (reply.contains("title") && reply["title"].is_string() &&
            !titles.insert(reply["title"]).second)
          add(b + "/title", "button titles must be unique");
        if (reply.contains("id") && reply["id"].is_string() && !ids.insert(reply["id"]).second)
          add(b + "/id", "button ids must be unique");
      }
    } else if (type == "list") {
      text(member(i, "body"), "text", at + "/body", 4096, true);
      if (i.contains("header")) text(i["header"], "text", at + "/header", 60, true);
      const auto& action = member(i, "action");
      text(action, "button", at + "/action", 20, true);
      const auto& sections = member(action, "sections");
      auto sat = at + "/action/sections";
      if (!sections.is_array() || sections.empty())
        return add(sat, "1 to 10 sections are required");
      if (sections.size() > 10) add(sat, "at most 10 sections are allowed");
      std::size_t rows = 0;
      for (std::size_t s = 0; s < sections.size(); ++s) {
        auto sec = sat + "/" + std::to_string(s);
        if (sections.size() > 1 || sections[s].contains("title"))
          text(sections[s], "title", sec, 24, true);
        const auto& r = member(sections[s], "rows");
        if (!r.is_array() || r.empty()) {
          add(sec + "/rows", "each section needs at least one row");
          continue;
        }
        for (std::size_t k = 0; k < r.size(); ++k) {
          auto row = sec + "/rows/" + std::to_string(k);
          text(r[k], "id", row, 200, true);
          text(r[k], "title", row, 24, true);
          text(r[k], "description", row, 72, false);
          ++rows;
        }
      }
      if (rows > 10) add(sat, "at most 10 rows are allowed across all sections");
    } else if (type == "cta_url" || type == "flow" || type == "location_request_message") {
      text(member(i, "body"), "text", at + "/body", 1024, type != "location_request_message");
      object(i, "action", at);
      if (type == "flow") flow_parameters(member(member(i, "action"), "parameters"), at);
    } else {
      add(at + "/type", "unknown interactive type '" + type +
                            "' (button, list, cta_url, flow, location_request_message)");
    }
  }

  /// A flow is named by the project's name for it (flow_name) or Meta's id (flow_id).
  void flow_parameters(const json& p, const std::string& at) {
    auto pat = at + "/action/parameters";
    if (!p.is_object()) return add(pat, "a flow message has action.parameters");
    if (!member(p, "flow_name").is_string() && !member(p, "flow_id").is_string())
      add(pat + "/flow_name", "flow_name (the project's flow) or flow_id is required");
    text(p, "flow_cta", pat, 30, true);
    const auto& action = member(p, "flow_action");
    if (!action.is_null() && action != "navigate" && action != "data_exchange")
      add(pat + "/flow_action", "flow_action is navigate or data_exchange");
  }

  void media(const json& m, const std::string& type, const std::string& at) {
    if (!m.is_object()) return add(at, "'" + type + "' must be an object");
    if (!m.contains("id") && !m.contains("link")) add(at, "'" + type + "' needs 'id' or 'link'");
    if (type != "audio" && type != "sticker") text(m, "caption", at, 1024, false);
  }
};

}  // namespace

nlohmann::json problems_json(const std::vector<problem>& problems) {
  auto list = nlohmann::json::array();
  for (const auto& p : problems) list.push_back({{"pointer", p.pointer}, {"message", p.message}});
  return list;
}

const nlohmann::json& member_of(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json none;
  if (!obj.is_object()) return none;
  auto it = obj.find(key);
  return it == obj.end() ? none : *it;
}

std::string pointer_escape(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::vector<problem> check_outbound_message(const nlohmann::json& msg, const std::string& at) {
  std::vector<problem> out;
  checker c{out};
  if (!msg.is_object()) {
    c.add(at, "a message must be a JSON object");
    return out;
  }
  if (msg.contains("to")) c.add(at + "/to", "'to' is set by Paige");
  if (!msg.contains("type") || !msg["type"].is_string()) {
    c.add(at + "/type", "'type' is required");
    return out;
  }
  auto type = msg["type"].get<std::string>();
  auto body_at = at + "/" + pointer_escape(type);
  static const std::set<std::string> types{"text",        "image",    "audio",    "video",
                                           "document",    "sticker",  "location", "contacts",
                                           "interactive", "template", "reaction"};
  if (!types.count(type)) {
    c.add(at + "/type", "unknown message type '" + type + "'");
    return out;
  }
  if (!msg.contains(type)) {
    c.add(body_at, "a '" + type + "' message needs a '" + type + "' object");
    return out;
  }
  const auto& body = msg[type];
  if (type == "text") {
    c.text(body, "body", body_at, 4096, true);
  } else if (type == "interactive") {
    c.interactive(body, body_at);
  } else if (type == "template") {
    c.text(body, "name", body_at, 512, true);
    if (!body.contains("language") || !body["language"].is_object() ||
        !body["language"].contains("code"))
      c.add(body_at + "/language", "a template needs 'language': {'code': ...}");
  } else if (type == "location") {
    if (!body.is_object() || !body.contains("latitude") || !body["latitude"].is_number() ||
        !body.contains("longitude") || !body["longitude"].is_number())
      c.add(body_at, "a location needs numeric 'latitude' and 'longitude'");
  } else if (type == "reaction") {
    c.text(body, "message_id", body_at, 512, true);
    if (!body.is_object() || !body.contains("emoji"))
      c.add(body_at + "/emoji", "'emoji' is required");
  } else if (type == "contacts") {
    if (!body.is_array() || body.empty() || body.size() > 257)
      c.add(body_at, "'contacts' must hold 1 to 257 contacts");
  } else {
    c.media(body, type, body_at);
  }
  return out;
}

std::size_t char_count(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace paige::actors
