/// @file
/// @brief The column types users may choose, and how values cross between JSON and Postgres:
/// JSON in → a text parameter checked against the column's type (so a value that does not fit
/// is refused with the column's name before it reaches SQL); Postgres text out → JSON by the
/// column's type OID (numeric stays a string so no precision is lost).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace paige::storage {

enum class column_type {
  text,
  varchar,
  integer,
  bigint,
  numeric,
  boolean,
  date,
  timestamptz,
  uuid,
  jsonb,
  serial,
  bigserial,
  other,  ///< a type created outside the table editor (e.g. through SQL); passed as text
};

/// The type a user names (`text`, ..., `serial`, and `bigserial`), or nullopt.
std::optional<column_type> parse_column_type(const std::string& name);

/// The name the API reports.
std::string type_name(column_type type);

/// The type in DDL.
std::string sql_type(column_type type);

/// The type of an existing column from `format_type()` and whether a sequence owns it.
column_type type_of_catalog(const std::string& formatted, bool has_sequence);

/// A value that does not fit its column; the message says what was expected.
struct bad_value : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// `value` as the text of a parameter for a column of `type`; nullopt for JSON null (SQL
/// NULL). Throws bad_value when it does not fit.
std::optional<std::string> to_parameter(column_type type, const nlohmann::json& value);

/// A value given as text (a query string or a path segment) for a column of `type`.
std::string text_to_parameter(column_type type, const std::string& text);

/// The JSON of a field Postgres returned as text, by its type OID (session TimeZone UTC).
nlohmann::json field_to_json(unsigned oid, const char* text);

}  // namespace paige::storage
