#include "actors/core/graph_result.hpp"

#include <nlohmann/json.hpp>

namespace paige::actors {

std::string string_member(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

long graph_result::error_code() const {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("error") || !doc["error"].is_object()) return 0;
  auto code = doc["error"].value("code", nlohmann::json(0));
  return code.is_number_integer() ? code.get<long>() : 0;
}

std::string graph_result::error_message() const {
  if (!transport_error.empty()) return transport_error;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& e = doc["error"];
    // Any field may hold any type: read strings only (value() throws on another type).
    std::string out = e.contains("message") && e["message"].is_string()
                          ? e["message"].get<std::string>()
                          : "Graph API error";
    if (e.contains("error_data") && e["error_data"].is_object() &&
        e["error_data"].contains("details") && e["error_data"]["details"].is_string())
      out += ": " + e["error_data"]["details"].get<std::string>();
    return out;
  }
  return "Graph API answered HTTP " + std::to_string(http_status);
}

}  // namespace paige::actors
