/// @file
/// @brief The `paige serve` process: start order, readiness, and graceful stop.
///
/// Signals: main blocks SIGTERM/SIGINT first (common/shutdown_signals.hpp); serve() waits.
///
/// Start: data directory → embedded Postgres (unless --database-url) → control database and
/// its migrations → admin token → actor system → HTTP server. Stop, on SIGTERM or SIGINT:
/// stop accepting and drain in-flight HTTP requests → stop the actors (each flushes what it
/// holds) → stop the embedded Postgres → exit 0.
#pragma once

#include "runtime/config.hpp"

namespace paige::runtime {

/// Runs the server until SIGTERM/SIGINT; returns the process exit code (0 after a clean stop,
/// 1 when start-up failed).
int serve(const config& cfg);

}  // namespace paige::runtime
