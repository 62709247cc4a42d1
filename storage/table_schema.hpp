/// @file
/// @brief The tables of a project database as the table editor sees them: describing them
/// from the catalog, creating tables and columns, dropping tables. Names given by users are
/// checked (identifiers.hpp) and always quoted; defaults are checked against the column type
/// and written as quoted literals. System tables cannot be changed here. Run inside a
/// transaction connected as the project's role; failures throw table_error (or pqxx errors,
/// see table_errors.hpp).
#pragma once

#include "storage/column_values.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

struct column_info {
  std::string name;
  column_type type = column_type::other;
  std::string type_label;  ///< type_name(type), or Postgres' name for other types
  bool nullable = true;
  std::optional<std::string> default_sql;  ///< the default expression (none for serials)
  bool unique = false;
  bool primary_key = false;
};

struct table_info {
  std::string name;
  bool system = false;
  std::vector<column_info> columns;
  std::optional<std::string> primary_key;  ///< the single primary-key column, if any

  const column_info* column(const std::string& name) const;
};

/// A new column as the user asked for it.
struct column_spec {
  std::string name;
  column_type type = column_type::text;
  bool nullable = true;
  nlohmann::json default_value;  ///< null: no default
  bool unique = false;
  bool primary_key = false;
};

/// Parses and checks `{"name", "type", "nullable"?, "default"?, "unique"?, "primary_key"?}`;
/// throws table_error (invalid) naming the field at fault.
column_spec parse_column_spec(const nlohmann::json& spec);

/// Every table of the public schema, by name.
std::vector<table_info> list_tables(pqxx::transaction_base& tx);

/// One table, or nullopt if there is none by that name (any text may be asked).
std::optional<table_info> describe_table(pqxx::transaction_base& tx, const std::string& name);

/// describe_table, or table_error not_found.
table_info require_table(pqxx::transaction_base& tx, const std::string& name);

/// Creates a table; without a primary-key column an `id bigserial primary key` comes first.
table_info create_table(pqxx::transaction_base& tx, const std::string& name,
                        const std::vector<column_spec>& columns);

/// Adds a column to a custom table.
table_info add_column(pqxx::transaction_base& tx, const std::string& table,
                      const column_spec& column);

/// Drops a custom table.
void drop_table(pqxx::transaction_base& tx, const std::string& name);

/// {"name", "system", "primary_key", "columns": [{"name", "type", "nullable", "default",
/// "unique", "primary_key"}]}.
nlohmann::json to_json(const table_info& table);

}  // namespace paige::storage
