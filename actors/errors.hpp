/// @file
/// @brief Paige's error category for failures that travel between actors.
///
/// Who must act decides the code: the client (invalid_argument, not_found, conflict), a retry
/// (db_unavailable, timeout), or a programmer (internal; the supervisor restarts the actor).
/// The human-readable reason travels as the error's context (a single string).
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "common/api_codes.hpp"

#include <cstdint>
#include <string>

namespace paige::actors {

/// Category atom registered with the actor system.
inline constexpr caf::atom_value error_category = caf::atom("paige");

enum class errc : std::uint8_t {
  db_unavailable = 1,  ///< no connection to the database right now (transient)
  db_error,            ///< the database rejected a statement
  invalid_argument,    ///< the caller's input is wrong
  not_found,
  conflict,
  timeout,
  upstream,  ///< Meta's Graph API failed or could not be reached
  internal,
  busy,  ///< the caller has too much waiting already: retry later (429)
};

/// The code's snake_case name (used in logs and API errors).
const char* to_string(errc code);

/// An error of our category with a human-readable reason and, optionally, the specific code an
/// API client sees (its HTTP status agrees with `code`'s: see api/api_errors.hpp).
caf::error make_error(errc code, std::string reason, std::optional<api_code> api = std::nullopt);

/// The same with the API error's `details` (a JSON object as text, such as {"problems": [...]}).
caf::error make_error(errc code, std::string reason, api_code api, std::string details_json);

/// A statement the database rejected (errc::db_error), with its SQLSTATE.
caf::error make_db_error(std::string reason, std::string sqlstate);

/// The errc of `err`, or errc::internal for errors of other categories (CAF's own, e.g. a
/// request timeout, map to errc::timeout).
errc code_of(const caf::error& err);

/// The human-readable reason of `err`, whatever its category.
std::string reason_of(const caf::error& err);

/// The name of the specific API code of `err`, or "" when it has none.
std::string api_code_of(const caf::error& err);

/// The details of `err` (a JSON object as text), or "" when it has none.
std::string details_of(const caf::error& err);

/// The SQLSTATE of a db_error, or "".
std::string sqlstate_of(const caf::error& err);

}  // namespace paige::actors
