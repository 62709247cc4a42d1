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

/// `SELECT 1` over a new connection: whether the server answers right now.
bool ping(const std::string& conninfo);

}  // namespace paige::storage
