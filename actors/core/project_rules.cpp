#include "actors/core/project_rules.hpp"

namespace paige::actors {
namespace {

struct setting_spec {
  const char* key;
  std::int64_t min;
  std::int64_t max;
  std::int64_t fallback;
  const char* meaning;
};

constexpr setting_spec settings_table[] = {
    {"conversation_timeout_seconds", 60, 30 * 24 * 3600, 24 * 3600,
     "inactivity after which an open conversation closes"},
    {"messages_per_second", 1, 1000, 80, "outbound send rate limit of the project's number"},
    {"database_quota_mb", 1, 1 << 20, 1024,
     "size of the project's database past which writes through the database API are refused"},
    {"temp_file_limit_mb", 1, 1 << 20, 1024,
     "temporary files one statement of the project may write"},
};

}  // namespace

std::optional<std::string> invalid_name_reason(const std::string& name) {
  std::size_t code_points = 0;
  bool blank = true;
  for (unsigned char c : name) {
    if ((c & 0xC0) != 0x80) ++code_points;  // count lead bytes, not continuation bytes
    if (c < 0x20 || c == 0x7f) return "name must not contain control characters";
    if (c != ' ') blank = false;
  }
  if (blank) return "name must not be empty";
  if (code_points > max_project_name)
    return "name is longer than " + std::to_string(max_project_name) + " characters";
  return std::nullopt;
}

nlohmann::json default_settings() {
  auto out = nlohmann::json::object();
  for (const auto& s : settings_table) out[s.key] = s.fallback;
  return out;
}

std::optional<std::string> invalid_settings_reason(const nlohmann::json& patch) {
  if (!patch.is_object()) return "settings must be a JSON object";
  for (const auto& [key, value] : patch.items()) {
    const setting_spec* spec = nullptr;
    for (const auto& s : settings_table)
      if (key == s.key) spec = &s;
    if (!spec) return "unknown setting '" + key + "'";
    if (value.is_null()) continue;
    if (!value.is_number_integer())
      return "setting '" + key + "' must be an integer (" + spec->meaning + ")";
    auto v = value.get<std::int64_t>();
    if (v < spec->min || v > spec->max)
      return "setting '" + key + "' must be between " + std::to_string(spec->min) + " and " +
             std::to_string(spec->max);
  }
  return std::nullopt;
}

nlohmann::json merge_settings(const nlohmann::json& stored, const nlohmann::json& patch) {
  auto out = stored.is_object() ? stored : nlohmann::json::object();
  out.merge_patch(patch);
  return out;
}

nlohmann::json effective_settings(const nlohmann::json& stored) {
  auto out = default_settings();
  if (stored.is_object()) out.update(stored);
  return out;
}

std::optional<std::pair<api_code, std::string>> refused_transition(storage::project_status status,
                                                                   project_request request) {
  using storage::project_status;
  switch (request) {
    case project_request::pause:
      if (status == project_status::active) return std::nullopt;
      return std::pair<api_code, std::string>{
          api_code::project_not_active,
          "only an active project can be paused; this one is " + storage::to_string(status)};
    case project_request::resume:
      if (status == project_status::paused) return std::nullopt;
      return std::pair<api_code, std::string>{
          api_code::project_not_paused,
          "only a paused project can be resumed; this one is " + storage::to_string(status)};
    case project_request::remove:
      if (status == project_status::provisioning)
        return std::pair<api_code, std::string>{
            api_code::project_provisioning,
            "the project is still being provisioned; delete it once it is active or failed"};
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace paige::actors
