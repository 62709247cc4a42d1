/// @file
/// @brief Which names a user may give a table or a column. Every name that reaches SQL is
/// still quoted; these rules keep names unambiguous (Postgres truncates at 63 bytes) and keep
/// users off names Paige or Postgres own.
#pragma once

#include <optional>
#include <string>

namespace paige::storage {

/// `^[a-z_][a-z0-9_]{0,62}$`: the only shape of identifier Paige writes into SQL.
bool valid_identifier(const std::string& name);

/// Why `name` cannot name a new table (nullopt: it can): its shape, a system table, a
/// reserved prefix (`pg_`, `paige_`) or an SQL reserved word.
std::optional<std::string> table_name_problem(const std::string& name);

/// Why `name` cannot name a new column (nullopt: it can): its shape, a Postgres system column
/// (`ctid`, `xmin`, ...), a reserved prefix or an SQL reserved word.
std::optional<std::string> column_name_problem(const std::string& name);

/// Whether `name` is one of Paige's tables in a project database.
bool is_system_table(const std::string& name);

}  // namespace paige::storage
