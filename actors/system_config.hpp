/// @file
/// @brief How paige configures CAF: scheduler threads and our error category.
#pragma once

#include <caf/fwd.hpp>

namespace paige::actors {

/// Sets the scheduler to `threads` workers (0: one per CPU core, not CAF's minimum of 4) and
/// registers paige's error category. Reads no ini file.
void configure_actor_system(caf::actor_system_config& cfg, unsigned threads);

/// The worker count configure_actor_system chose for `threads`.
unsigned scheduler_threads(unsigned threads);

}  // namespace paige::actors
