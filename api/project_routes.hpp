/// @file
/// @brief The Projects section of the API (spec/api.md): projects, their lifecycle and keys.
#pragma once

#include "actors/core/code_bot_target.hpp"
#include "api/router.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>

namespace paige::storage {
class backend_watchdog;
}

namespace paige::actors {
struct project_info;
}

namespace paige::api {

class authenticator;

struct project_routes_context {
  caf::actor_system* sys = nullptr;
  caf::actor directory;
  const authenticator* auth = nullptr;
  std::size_t max_json_depth = 32;
  std::chrono::milliseconds timeout{15000};
  std::chrono::milliseconds sql_timeout{5000};  ///< statement timeout of the project-database API
  std::size_t sql_row_cap = 1000;               ///< rows the SQL endpoint returns at most
  std::size_t sql_max_bytes = 8u << 20;  ///< bytes of values the SQL endpoint returns at most
  storage::backend_watchdog* watchdog = nullptr;  ///< ends the database API's overdue statements
  actors::bot::code_target_rules code_bots{};     ///< what a code bot's URL may be
  /// Meta's embedded signup, as the dashboard opens it (app_id empty: not offered).
  struct signup_dialog {
    std::string app_id;
    std::string config_id;
    std::string dialog_url;  ///< Meta's OAuth dialog
  } signup{};
};

/// A project as the API shows it.
nlohmann::json project_json(const actors::project_info& p);

/// Adds every /v1/projects route. The admin key may call all of them; a project key may
/// read its own project (GET /v1/projects/{id}); anything else with a project key is 403 on
/// its own project and 404 on another.
void add_project_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
