/// @file
/// @brief The `paige serve` process: start order, readiness, and graceful stop.
///
/// Start: data directory → embedded Postgres (unless --database-url) → control database and
/// its migrations → admin token → actor system → HTTP server. Stop, on SIGTERM or SIGINT:
/// stop accepting and drain in-flight HTTP requests → stop the actors (each flushes what it
/// holds) → stop the embedded Postgres → exit 0.
#pragma once

#include "runtime/config.hpp"

#include <csignal>

namespace paige::runtime {

/// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (and in every thread it creates
/// later); call first thing in main. The server waits for the first two with sigwait.
void block_shutdown_signals();

/// Runs the server until SIGTERM/SIGINT; returns the process exit code (0 after a clean stop,
/// 1 when start-up failed).
int serve(const config& cfg);

}  // namespace paige::runtime
