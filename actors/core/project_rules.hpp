/// @file
/// @brief Pure rules about projects: valid names, settings and their defaults, lifecycle
/// transitions. No actor or database here.
#pragma once

#include "common/api_codes.hpp"

#include "storage/project_status.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace paige::actors {

/// Longest project name, in Unicode code points.
inline constexpr std::size_t max_project_name = 200;

/// Why `name` is not a valid project name, or nullopt when it is. Names are data: quotes,
/// semicolons and any Unicode are fine; empty, blank, too long or control characters are not.
std::optional<std::string> invalid_name_reason(const std::string& name);

/// Settings every project has, with their defaults.
nlohmann::json default_settings();

/// Why `patch` (a JSON object of settings; null removes a key) is not acceptable, or nullopt.
std::optional<std::string> invalid_settings_reason(const nlohmann::json& patch);

/// Applies a settings patch to the stored settings (JSON merge patch: null removes).
nlohmann::json merge_settings(const nlohmann::json& stored, const nlohmann::json& patch);

/// The stored settings completed with defaults: what the API shows and the actors use.
nlohmann::json effective_settings(const nlohmann::json& stored);

/// A lifecycle request an operator can make.
enum class project_request { pause, resume, remove };

/// Why `request` cannot apply to a project in `status`, as {api code, message}, or nullopt
/// when it can. `remove` of a project already being deleted is allowed (idempotent).
std::optional<std::pair<api_code, std::string>> refused_transition(storage::project_status status,
                                                                   project_request request);

}  // namespace paige::actors
