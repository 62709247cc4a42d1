/// @file
/// @brief Failures of the project-database API, by kind, with a stable `code` and a message
/// for humans; Postgres errors are mapped here from their SQLSTATE.
#pragma once

#include "common/api_codes.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace pqxx {
class sql_error;
}

namespace paige::storage {

/// What went wrong, as the API reports it: its code (and so its status), a message for humans
/// and details.
struct table_error : std::runtime_error {
  table_error(api_code api, const std::string& message,
              nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message), api(api), code(to_string(api)), details(std::move(details)) {}
  api_code api;
  std::string code;        ///< api's name
  nlohmann::json details;  ///< null: none
};

/// A refused request (422) with `api` as its code.
inline table_error invalid(api_code api, const std::string& message,
                           nlohmann::json details = nlohmann::json::object()) {
  return {api, message, std::move(details)};
}

/// The table_error for a Postgres error a request caused (constraint, type, missing object,
/// privilege, timeout, syntax ...), with Postgres' message and SQLSTATE in the details;
/// nullopt when it is not the request's fault (e.g. the server is shutting down).
std::optional<table_error> classify(const pqxx::sql_error& e);

/// The same for an error known by its SQLSTATE and message (libpq's own).
std::optional<table_error> classify(const std::string& sqlstate, const std::string& message);

}  // namespace paige::storage
