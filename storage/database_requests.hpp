/// @file
/// @brief The project-database API's requests as values: the API builds one, the database-API
/// pool runs it on a connection of the project's role (run_database_request), and its outcome
/// travels back as a value too.
///
/// Every request runs with the API's statement and lock timeouts, watched from outside past them
/// (a user's trigger or default may catch its own cancellation); a write that leaves the
/// database over the project's quota is undone (507 quota_exceeded).
#pragma once

#include "storage/table_errors.hpp"
#include "storage/table_rows.hpp"
#include "storage/table_schema.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace paige::storage {

class backend_watchdog;

struct list_tables_request {};
struct create_table_request {
  std::string name;
  std::vector<column_spec> columns;
};
struct describe_table_request {
  std::string table;
};
struct drop_table_request {
  std::string table;
};
struct add_column_request {
  std::string table;
  column_spec column;
};
struct browse_rows_request {
  std::string table;
  browse_request browse;
};
struct insert_row_request {
  std::string table;
  nlohmann::json values;  ///< {column: value}
};
struct clear_rows_request {
  std::string table;
};
struct update_row_request {
  std::string table;
  std::string key;
  nlohmann::json values;
};
struct delete_row_request {
  std::string table;
  std::string key;
};
/// A read-only query with its parameters (a missing value binds as ''), on a pooled connection:
/// a flow's data source (actors/core/flow_exchange.hpp). {"columns", "rows"}: at most `row_cap`
/// rows and `byte_cap` bytes of values (the rows past them left out).
struct read_query_request {
  std::string query;
  nlohmann::json params = nlohmann::json::array();
  std::size_t row_cap = 1000;
  std::size_t byte_cap = 8u << 20;
};
using table_request =
    std::variant<list_tables_request, create_table_request, describe_table_request,
                 drop_table_request, add_column_request, browse_rows_request, insert_row_request,
                 clear_rows_request, update_row_request, delete_row_request, read_query_request>;
/// A statement of the SQL console, with its positional parameters.
struct sql_request {
  std::string query;
  nlohmann::json params = nlohmann::json::array();
};
/// A table request runs in a transaction on a pooled connection; an SQL statement in a session
/// of its own (it may change the session).
using database_request = std::variant<table_request, sql_request>;

/// How requests run: the server's limits, and the project's quota.
struct database_rules {
  std::chrono::milliseconds timeout{5000};  ///< statement and lock timeout
  backend_watchdog* watchdog = nullptr;     ///< stops a statement past its timeout from outside
  std::size_t row_cap = 1000;               ///< SQL console: rows returned at most
  std::size_t byte_cap = 8u << 20;          ///< SQL console: bytes of values returned at most
  std::int64_t quota_bytes = 0;             ///< the project's database quota (0: none)
};

/// What a request did: `found` (200), `created` (201) or `done` without a body (204).
struct database_result {
  enum class kind { found, created, done };
  kind what = kind::found;
  /// The body as JSON text ("" for done): serialized where it was read, so a large result does
  /// not travel as a document (several times its text's size) to the HTTP thread.
  std::string body_json;
};
/// A request's outcome: its result, or why it was refused (nothing was changed).
using database_outcome = std::variant<database_result, table_error>;

/// Runs `request` in one transaction on `conn`. A lost connection that no watchdog caused is
/// thrown (pqxx::broken_connection), like a Postgres error that is not the request's fault.
database_outcome run_table_request(pqxx::connection_base& conn, const table_request& request,
                                   const database_rules& rules);
/// Runs `request` in a session of its own opened with `conninfo`.
database_outcome run_sql_request(const std::string& conninfo, const sql_request& request,
                                 const database_rules& rules);

}  // namespace paige::storage
