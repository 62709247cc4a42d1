/// @file
/// @brief A project's lifecycle status, as stored in `projects.status` and shown by the API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace paige::storage {

/// provisioning → active ⇄ paused; any → deleting → deleted; provisioning or deleting →
/// failed (actors/core/project_rules.hpp says which requests each allows).
enum class project_status { provisioning, active, paused, failed, deleting, deleted };

/// Its stored and API name ("active", ...).
const std::string& to_string(project_status s);

/// The status named `name`, or nullopt.
std::optional<project_status> parse_project_status(std::string_view name);

/// Whether the project's database is provisioned and its pipeline may run (active or paused).
bool is_ready(project_status s);

}  // namespace paige::storage
