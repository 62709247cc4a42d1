/// @file
/// @brief The SQL endpoint: one statement of the user's, parameters bound, run inside the
/// caller's transaction (connected as the project's role, with its statement timeout), with
/// at most `row_cap` rows kept. A query is read through a cursor so a huge result is never
/// materialized; statements that cannot be a cursor (DML, DDL) run directly.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace pqxx {
class dbtransaction;
}

namespace paige::storage {

/// {"columns": [name...], "column_types": [type OID...], "rows": [[value...]...],
///  "row_count": rows returned (or affected), "truncated": whether the cap cut the result,
///  "row_cap"}. `params` is a JSON array; strings pass as text, other values as their JSON.
nlohmann::json run_sql(pqxx::dbtransaction& tx, const std::string& query, const nlohmann::json& params,
                       std::size_t row_cap);

}  // namespace paige::storage
