/// @file
/// @brief Figures of this process (CPU, memory, file descriptors, threads, start time) as a
/// metrics collector.
#pragma once

#include "common/metrics.hpp"

namespace paige::metrics {

/// A collector reading /proc/self at each scrape; families are prefixed `paige_process_`.
collector process_collector();

}  // namespace paige::metrics
