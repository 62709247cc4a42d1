/// @file
/// @brief The control database's schema: its migrations, in order.
#pragma once

#include "storage/migrations.hpp"

#include <vector>

namespace paige::storage {

/// Name of the table that records applied control-database migrations.
inline constexpr const char* control_migrations_table = "schema_migrations";

/// Every control-database migration, version 1 first. Append only: never edit a shipped one.
const std::vector<migration>& control_migrations();

}  // namespace paige::storage
