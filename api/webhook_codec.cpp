#include "api/webhook_codec.hpp"

#include "common/secrets.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

namespace paige::api {
namespace {

using json = nlohmann::json;

std::string str(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key)) return {};
  const auto& v = obj[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return {};
}

/// value[key] when it is a list; an empty list when absent; nullptr when it is something else.
const json* list_of(const json& value, const char* key) {
  static const json empty = json::array();
  if (!value.contains(key)) return &empty;
  return value[key].is_array() ? &value[key] : nullptr;
}

}  // namespace

bool valid_signature(std::string_view app_secret, std::string_view body, std::string_view header) {
  constexpr std::string_view prefix = "sha256=";
  if (header.size() != prefix.size() + 64 || header.substr(0, prefix.size()) != prefix) return false;
  std::string given{header.substr(prefix.size())};
  std::transform(given.begin(), given.end(), given.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return secrets::constant_time_equal(secrets::hmac_sha256_hex(app_secret, body), given);
}

std::variant<webhook_events, std::string> parse_webhook(const std::string& body) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return std::string{"the body is not JSON"};
  if (!doc.is_object() || doc.value("object", "") != "whatsapp_business_account")
    return std::string{"'object' must be \"whatsapp_business_account\""};
  if (!doc.contains("entry") || !doc["entry"].is_array()) return std::string{"'entry' must be a list"};
  webhook_events out;
  std::unordered_map<std::string, std::size_t> index;  // phone_number_id → position in out.numbers
  for (const auto& entry : doc["entry"]) {
    if (!entry.is_object() || !entry.contains("changes") || !entry["changes"].is_array())
      return std::string{"every entry needs a 'changes' list"};
    for (const auto& change : entry["changes"]) {
      if (!change.is_object() || !change.contains("value") || !change["value"].is_object())
        return std::string{"every change needs a 'value' object"};
      if (change.value("field", "") != "messages") {
        ++out.other_changes;
        continue;
      }
      const auto& value = change["value"];
      auto number = str(value.value("metadata", json::object()), "phone_number_id");
      if (number.empty()) return std::string{"a messages change needs metadata.phone_number_id"};
      auto [it, fresh] = index.emplace(number, out.numbers.size());
      if (fresh) out.numbers.push_back({number, {}, {}, {}});
      auto& batch = out.numbers[it->second];

      const json* contacts = list_of(value, "contacts");
      const json* messages = list_of(value, "messages");
      const json* statuses = list_of(value, "statuses");
      const json* errors = list_of(value, "errors");
      if (!contacts || !messages || !statuses || !errors)
        return std::string{"'contacts', 'messages', 'statuses' and 'errors' must be lists"};
      std::unordered_map<std::string, std::string> names;
      for (const auto& c : *contacts)
        names[str(c, "wa_id")] = str(c.value("profile", json::object()), "name");
      for (const auto& m : *messages) {
        actors::inbound_message msg{str(m, "id"), str(m, "from"), {}, str(m, "type"), str(m, "timestamp"), {}};
        if (msg.wamid.empty() || msg.from.empty() || msg.type.empty())
          return std::string{"every message needs 'id', 'from' and 'type'"};
        if (auto n = names.find(msg.from); n != names.end()) msg.profile_name = n->second;
        msg.content_json = m.dump();
        batch.messages.push_back(std::move(msg));
      }
      for (const auto& s : *statuses) {
        actors::status_update st{str(s, "id"), str(s, "status"), str(s, "timestamp"), str(s, "recipient_id"), {}};
        if (st.wamid.empty() || st.status.empty()) return std::string{"every status needs 'id' and 'status'"};
        if (s.contains("errors")) st.errors_json = s["errors"].dump();
        batch.statuses.push_back(std::move(st));
      }
      for (const auto& e : *errors) batch.errors_json.push_back(e.dump());
    }
  }
  return out;
}

}  // namespace paige::api
