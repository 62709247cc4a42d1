/// @file
/// @brief The system tables of every project database: their migrations, in order.
#pragma once

#include "storage/migrations.hpp"

#include <string>
#include <vector>

namespace paige::storage {

/// Table recording applied migrations inside a project database, in the admin's own schema
/// `paige` (the project's role has no right there). Builds before this one kept it in
/// public.paige_migrations, owned by the project's role (see migrate_project_database).
inline constexpr const char* project_migrations_table = "paige.migrations";
inline constexpr const char* legacy_migrations_table = "paige_migrations";
/// The migrations every database tracked in public.paige_migrations had applied once its
/// project was active.
inline constexpr int legacy_migrations = 4;

/// Every project-database migration, version 1 first. Append only.
const std::vector<migration>& project_migrations();

/// Names of the system tables (contacts, conversations, messages) and Paige's own tables.
const std::vector<std::string>& system_table_names();

/// The system tables whose rows the project's role reads and writes (the message pipeline
/// runs as that role; the admin owns them).
const std::vector<std::string>& pipeline_table_names();

}  // namespace paige::storage
