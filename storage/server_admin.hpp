/// @file
/// @brief Server-level chores: waiting for a Postgres server, creating a database.
#pragma once

#include <chrono>
#include <cstddef>
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

/// Makes a fresh server create WAL files for at least `bytes` of WAL now and keep them for
/// reuse: switches to a new WAL file until that much is written, then checkpoints, which
/// recycles the finished files as the next ones (up to the server's `min_wal_size`). Postgres
/// zero-fills a new WAL file while every commit waits (about 70 ms for 16 MB here); a recycled
/// one is renamed. Returns the WAL files recycled ahead of the current one.
int reserve_wal(const std::string& superuser_conninfo, std::size_t bytes);

/// Records the master key's fingerprint in the control database on first use; afterwards
/// throws std::runtime_error when started with another key (its sealed secrets would be
/// unreadable).
void check_master_key(const std::string& control_conninfo, const std::string& fingerprint);

}  // namespace paige::storage
