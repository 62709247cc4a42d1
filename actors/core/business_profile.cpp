#include "actors/core/business_profile.hpp"

#include <algorithm>

namespace paige::actors::profile {
namespace {

struct limit {
  const char* field;
  std::size_t min;
  std::size_t max;
};
constexpr limit limits[] = {
    {"about", 1, 139}, {"address", 0, 256}, {"description", 0, 512}, {"email", 0, 128}};

bool looks_like_email(const std::string& s) {
  auto at = s.find('@');
  return at != std::string::npos && at > 0 && s.find('@', at + 1) == std::string::npos &&
         s.find('.', at + 2) != std::string::npos && s.back() != '.' &&
         s.find_first_of(" \t\r\n") == std::string::npos;
}

bool has_web_scheme(const std::string& s) {
  return (s.rfind("https://", 0) == 0 && s.size() > 8) ||
         (s.rfind("http://", 0) == 0 && s.size() > 7);
}

}  // namespace

const std::vector<std::string>& verticals() {
  static const std::vector<std::string> all{"ALCOHOL",
                                            "APPAREL",
                                            "AUTO",
                                            "BEAUTY",
                                            "EDU",
                                            "ENTERTAIN",
                                            "EVENT_PLAN",
                                            "FINANCE",
                                            "GOVT",
                                            "GROCERY",
                                            "HEALTH",
                                            "HOTEL",
                                            "NONPROFIT",
                                            "ONLINE_GAMBLING",
                                            "OTC_DRUGS",
                                            "OTHER",
                                            "PHYSICAL_GAMBLING",
                                            "PROF_SERVICES",
                                            "RESTAURANT",
                                            "RETAIL",
                                            "TRAVEL"};
  return all;
}

std::vector<problem> check_patch(const nlohmann::json& patch) {
  std::vector<problem> out;
  if (!patch.is_object()) return {{"", "the profile change is a JSON object"}};
  if (patch.empty()) return {{"", "give at least one field to change"}};
  for (const auto& [key, value] : patch.items()) {
    auto here = "/" + pointer_escape(key);
    if (key == "websites") {
      if (!value.is_array()) {
        out.push_back({here, "'websites' is a list of at most two addresses"});
        continue;
      }
      if (value.size() > 2) out.push_back({here, "at most two websites"});
      for (std::size_t i = 0; i < value.size(); ++i) {
        auto at = here + "/" + std::to_string(i);
        if (!value[i].is_string()) {
          out.push_back({at, "a website is a string"});
        } else if (char_count(value[i].get<std::string>()) > 256) {
          out.push_back({at, "a website has at most 256 characters"});
        } else if (!has_web_scheme(value[i].get<std::string>())) {
          out.push_back({at, "a website starts with http:// or https://"});
        }
      }
      continue;
    }
    if (std::find(text_fields.begin(), text_fields.end(), key) == text_fields.end()) {
      out.push_back({here, "'" + key +
                               "' is not a profile field (about, address, description, email, "
                               "websites, vertical)"});
      continue;
    }
    if (!value.is_string()) {
      out.push_back({here, "'" + key + "' is a string"});
      continue;
    }
    const auto& text = value.get_ref<const std::string&>();
    if (key == "vertical") {
      const auto& all = verticals();
      if (!text.empty() && std::find(all.begin(), all.end(), text) == all.end())
        out.push_back({here, "'" + text + "' is not one of Meta's categories"});
      continue;
    }
    for (const auto& l : limits) {
      if (key != l.field) continue;
      auto n = char_count(text);
      if (n < l.min)
        out.push_back({here, "'" + key + "' cannot be empty"});
      else if (n > l.max)
        out.push_back({here, "'" + key + "' has at most " + std::to_string(l.max) + " characters"});
    }
    if (key == "email" && !text.empty() && !looks_like_email(text))
      out.push_back({here, "'email' is an address like name@example.com"});
  }
  return out;
}

nlohmann::json update_body(const nlohmann::json& patch) {
  auto body = patch;
  body["messaging_product"] = "whatsapp";
  return body;
}

nlohmann::json from_graph(const nlohmann::json& answer) {
  nlohmann::json data = nlohmann::json::object();
  if (answer.is_object() && answer.contains("data") && answer["data"].is_array() &&
      !answer["data"].empty() && answer["data"][0].is_object())
    data = answer["data"][0];
  nlohmann::json out = nlohmann::json::object();
  for (const auto& key : text_fields)
    out[key] = data.contains(key) && data[key].is_string() ? data[key] : nlohmann::json("");
  out["websites"] = nlohmann::json::array();
  if (data.contains("websites") && data["websites"].is_array())
    for (const auto& w : data["websites"])
      if (w.is_string()) out["websites"].push_back(w);
  out["profile_picture_url"] =
      data.contains("profile_picture_url") && data["profile_picture_url"].is_string()
          ? data["profile_picture_url"]
          : nlohmann::json(nullptr);
  return out;
}

}  // namespace paige::actors::profile
