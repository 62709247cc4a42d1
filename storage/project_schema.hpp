/// @file
/// @brief The system tables of every project database: their migrations, in order.
#pragma once

#include "storage/migrations.hpp"

#include <string>
#include <vector>

namespace paige::storage {

/// Table recording applied migrations inside a project database.
inline constexpr const char* project_migrations_table = "paige_migrations";

/// Every project-database migration, version 1 first. Append only.
const std::vector<migration>& project_migrations();

/// Names of the system tables (contacts, conversations, messages) and Paige's own tables.
const std::vector<std::string>& system_table_names();

}  // namespace paige::storage
