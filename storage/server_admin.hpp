/// @file
/// @brief Server-level chores: waiting for a Postgres server, creating a database.
#pragma once

#include <chrono>
#include <string>

namespace paige::storage {

/// Blocks until a connection with `conninfo` succeeds; throws std::runtime_error with the
/// last connection error once `timeout` has passed.
void wait_until_accepting(const std::string& conninfo, std::chrono::milliseconds timeout);

/// Creates database `name` on the server `conninfo` points at, unless it exists.
/// Returns whether it was created.
bool ensure_database(const std::string& conninfo, const std::string& name);

/// On a server paige owns (the embedded one): no role but superusers may connect to the
/// `postgres` and `template1` databases, so project roles reach their own database only.
void restrict_maintenance_databases(const std::string& superuser_conninfo);

/// Records the master key's fingerprint in the control database on first use; afterwards
/// throws std::runtime_error when started with another key (its sealed secrets would be
/// unreadable).
void check_master_key(const std::string& control_conninfo, const std::string& fingerprint);

}  // namespace paige::storage
