/// @file
/// @brief The project database API (spec/api.md § Database): tables, columns, rows and SQL.
///
/// Every request becomes one job on the database-API pool, run in one transaction connected
/// as the project's own role, with the configured statement and lock timeouts and the
/// session TimeZone UTC. Requests are checked before anything runs; Postgres errors map to
/// 409/422/404/403 with a code (storage/table_errors.hpp).
#pragma once

#include "api/project_routes.hpp"

namespace paige::api {

/// GET/POST /v1/projects/{p}/tables, GET/DELETE .../tables/{t}, POST .../tables/{t}/columns,
/// GET/POST/DELETE .../tables/{t}/rows, PATCH/DELETE .../tables/{t}/rows/{pk},
/// POST .../sql. Admin key or the project's own key.
void add_database_routes(router& routes, project_routes_context ctx);

}  // namespace paige::api
