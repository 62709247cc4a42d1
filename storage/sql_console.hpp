/// @file
/// @brief The SQL endpoint: one statement of the project's, parameters bound, on a session of
/// its own (connected as the project's role), in one transaction with the API's timeouts.
///
/// What comes back is bounded in rows and in bytes, and read one row at a time (libpq's
/// single-row mode), so neither a huge result nor more than one huge value is ever held: a
/// query runs as a cursor fetched in growing chunks (the server stops once the caps are
/// reached), anything else (INSERT ... RETURNING, a data-modifying WITH) directly (rows past
/// the caps are read and dropped). COPY is refused.
/// libpqxx 6.4 has neither single-row mode nor its raw connection, hence libpq here.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace paige::storage {

class backend_watchdog;

struct sql_limits {
  std::size_t row_cap = 1000;               ///< rows returned at most
  std::size_t byte_cap = 8u << 20;          ///< bytes of values returned at most
  std::chrono::milliseconds timeout{5000};  ///< statement and lock timeout
  std::int64_t quota_bytes = 0;  ///< database size a statement may not grow past (0: none)
};

/// How a statement is run, from its first keyword (comments and parentheses skipped).
enum class statement_kind { query, copy, other };
statement_kind kind_of_statement(const std::string& sql);

/// {"columns": [name...], "column_types": [type OID...], "rows": [[value...]...],
///  "row_count": rows returned (or affected), "truncated": whether a cap cut the result,
///  "row_cap", "byte_cap"}. `params` is a JSON array; strings pass as text, other values as
/// their JSON. Throws table_error for what the request got wrong (its SQL, its values, a
/// timeout, COPY, the quota), pqxx::broken_connection when the database cannot be reached.
/// With `watchdog`, the statement is ended from outside once it runs past its timeout.
nlohmann::json run_sql(const std::string& conninfo, const std::string& query,
                       const nlohmann::json& params, const sql_limits& limits,
                       backend_watchdog* watchdog);

}  // namespace paige::storage
