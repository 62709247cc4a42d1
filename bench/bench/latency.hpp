/// @file
/// @brief Latency samples and their percentiles.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace paige::bench {

/// Nanosecond samples; summarize() sorts them.
struct latency_samples {
  std::vector<std::int64_t> ns;

  /// The p-th percentile (0..1) in milliseconds; 0 without samples.
  double percentile_ms(double p) const {
    if (ns.empty()) return 0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(ns.size() - 1) + 0.5);
    return static_cast<double>(ns[std::min(i, ns.size() - 1)]) / 1e6;
  }

  nlohmann::json summarize() {
    std::sort(ns.begin(), ns.end());
    return {{"count", ns.size()},
            {"p50_ms", percentile_ms(0.50)},
            {"p90_ms", percentile_ms(0.90)},
            {"p99_ms", percentile_ms(0.99)},
            {"max_ms", ns.empty() ? 0.0 : static_cast<double>(ns.back()) / 1e6}};
  }
};

}  // namespace paige::bench
