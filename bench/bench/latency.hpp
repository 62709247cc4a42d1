/// @file
/// @brief Latency samples and their percentiles.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace paige::bench {

/// Nanosecond samples, each with when it ended (nanoseconds since the run's start);
/// summarize() sorts a copy.
struct latency_samples {
  std::vector<std::int64_t> ns;
  std::vector<std::int64_t> at_ns;

  void add(std::int64_t took_ns, std::int64_t ended_at_ns) {
    ns.push_back(took_ns);
    at_ns.push_back(ended_at_ns);
  }

  /// The p-th percentile (0..1) in milliseconds; 0 without samples.
  double percentile_ms(double p) const {
    if (ns.empty()) return 0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(ns.size() - 1) + 0.5);
    return static_cast<double>(ns[std::min(i, ns.size() - 1)]) / 1e6;
  }

  nlohmann::json summarize() const {
    latency_samples sorted{ns, {}};
    std::sort(sorted.ns.begin(), sorted.ns.end());
    return {{"count", ns.size()},
            {"p50_ms", sorted.percentile_ms(0.50)},
            {"p90_ms", sorted.percentile_ms(0.90)},
            {"p99_ms", sorted.percentile_ms(0.99)},
            {"max_ms", ns.empty() ? 0.0 : static_cast<double>(sorted.ns.back()) / 1e6}};
  }

  /// The same summary per second of the run (by when each sample ended): a tail made of
  /// stalls shows as a few bad seconds, one made of steady queueing as every second alike.
  nlohmann::json by_second() const {
    std::vector<latency_samples> seconds;
    for (std::size_t i = 0; i < ns.size() && i < at_ns.size(); ++i) {
      auto s = static_cast<std::size_t>(std::max<std::int64_t>(at_ns[i], 0) / 1'000'000'000);
      if (seconds.size() <= s) seconds.resize(s + 1);
      seconds[s].ns.push_back(ns[i]);
    }
    auto out = nlohmann::json::array();
    for (const auto& s : seconds) out.push_back(s.summarize());
    return out;
  }
};

}  // namespace paige::bench
