/// @file
/// @brief Failures of the project-database API, by kind, with a stable `code` and a message
/// for humans; Postgres errors are mapped here from their SQLSTATE.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace pqxx {
class sql_error;
}

namespace paige::storage {

/// What went wrong, as the API reports it (422, 404, 409, 403, 507).
enum class failure_kind { invalid, not_found, conflict, forbidden, quota };

struct table_error : std::runtime_error {
  table_error(failure_kind kind, std::string code, const std::string& message,
              nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message),
        kind(kind),
        code(std::move(code)),
        details(std::move(details)) {}
  failure_kind kind;
  std::string code;
  nlohmann::json details;  ///< null: none
};

/// The table_error for a Postgres error a request caused (constraint, type, missing object,
/// privilege, timeout, syntax ...), with Postgres' message and SQLSTATE in the details;
/// nullopt when it is not the request's fault (e.g. the server is shutting down).
std::optional<table_error> classify(const pqxx::sql_error& e);

/// The same for an error known by its SQLSTATE and message (libpq's own).
std::optional<table_error> classify(const std::string& sqlstate, const std::string& message);

}  // namespace paige::storage
