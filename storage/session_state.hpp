/// @file
/// @brief Connections whose session state matters.
///
/// libpqxx 6 reconnects a broken connection by itself at the next transaction, without what
/// a SET or a temporary object put in the session: timeouts and search_path that keep a
/// project's code from holding a shared worker or hijacking the admin's names would be gone,
/// silently. Such connections keep their state or fail: their owner makes a new one (and sets
/// it up again).
#pragma once

#include <pqxx/connection_base>

namespace paige::storage {

/// From here on, a broken `conn` throws broken_connection instead of reconnecting by itself.
void no_silent_reconnect(pqxx::connection_base& conn);

}  // namespace paige::storage
