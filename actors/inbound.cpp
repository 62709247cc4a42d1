#include "actors/inbound.hpp"

namespace paige::actors {
namespace {

using json = nlohmann::json;

std::string str(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_string()) return {};
  return obj[key].get<std::string>();
}

}  // namespace

bot::inbound_view view_of(const std::string& wamid, const json& m) {
  bot::inbound_view v;
  v.id = wamid;
  v.type = str(m, "type");
  if (v.type == "text") {
    v.text = str(m.value("text", json::object()), "body");
  } else if (v.type == "button") {  // a template quick-reply tap
    auto b = m.value("button", json::object());
    v.text = str(b, "text");
    v.button_id = str(b, "payload");
  } else if (v.type == "interactive") {
    auto i = m.value("interactive", json::object());
    auto kind = str(i, "type");
    if (kind == "button_reply") {
      auto r = i.value("button_reply", json::object());
      v.button_id = str(r, "id");
      v.text = str(r, "title");
    } else if (kind == "list_reply") {
      auto r = i.value("list_reply", json::object());
      v.list_id = str(r, "id");
      v.text = str(r, "title");
    } else if (kind == "nfm_reply") {
      auto r = i.value("nfm_reply", json::object());
      v.text = str(r, "body");
      // response_json is a JSON *string*; an unparsable one yields no fields.
      auto parsed = json::parse(str(r, "response_json"), nullptr, false);
      if (parsed.is_object()) {
        v.flow = parsed;
        v.flow_token = str(parsed, "flow_token");
      }
    }
  } else if (m.contains(v.type) && m[v.type].is_object()) {
    v.text = str(m[v.type], "caption");  // media captions
  }
  return v;
}

}  // namespace paige::actors
