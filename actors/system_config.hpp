/// @file
/// @brief How paige configures CAF: scheduler threads and our error category.
#pragma once

#include <caf/fwd.hpp>

namespace paige::actors {

/// How many times an idle scheduler worker sleeps 50 us and polls again before it waits on
/// its condition variable (CAF's default: 500).
inline constexpr unsigned moderate_poll_attempts = 0;

/// Sets the scheduler to `threads` workers (0: one per CPU core, not CAF's minimum of 4) and
/// registers paige's error category; idle workers wait instead of polling
/// (moderate_poll_attempts). Reads no ini file.
void configure_actor_system(caf::actor_system_config& cfg, unsigned threads);

/// The worker count configure_actor_system chose for `threads`.
unsigned scheduler_threads(unsigned threads);

}  // namespace paige::actors
