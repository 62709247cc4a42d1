/// @file
/// @brief SIGTERM/SIGINT handled by waiting for them, not by handlers: block them before any
/// thread starts (every thread inherits the mask), then wait on the main thread.
#pragma once

namespace paige::signals {

/// Blocks SIGTERM and SIGINT in the calling thread and ignores SIGPIPE. Call first in main.
void block_shutdown_signals();

/// Waits for SIGTERM or SIGINT; returns which.
int wait_for_shutdown_signal();

/// "SIGTERM" or "SIGINT".
const char* name_of(int sig);

}  // namespace paige::signals
