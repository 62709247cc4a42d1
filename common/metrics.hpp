/// @file
/// @brief Prometheus metrics: counters, gauges and histograms with labels, and the text
/// exposition format (version 0.0.4).
///
/// Updates are lock-free atomics; looking up a labeled child takes a mutex, so hot paths keep
/// the returned reference (children live as long as the registry).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace paige::metrics {

using label_values = std::vector<std::string>;

/// One line of the exposition: `<family name><suffix>{labels} value`.
struct sample {
  std::string suffix;  ///< "", "_bucket", "_sum" or "_count"
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

/// A metric family as exposed: HELP, TYPE and its samples.
struct family_snapshot {
  std::string name;
  std::string help;
  std::string type;  ///< counter, gauge, histogram
  std::vector<sample> samples;
};

/// Renders families in the Prometheus text format.
std::string format_exposition(const std::vector<family_snapshot>& families);

/// A value that only goes up.
class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down.
class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Counts observations into buckets with the given upper bounds (+Inf is implicit).
class histogram {
 public:
  explicit histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  /// Per-bucket (non-cumulative) counts, the +Inf bucket last.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// Latency buckets in seconds, from 0.5 ms to 10 s.
const std::vector<double>& latency_buckets();

/// The children of one metric name, one per combination of label values.
template <class Metric>
class family {
 public:
  family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  /// The child for `values` (one per label name), created on first use.
  Metric& with(const label_values& values);

  const std::vector<std::string>& label_names() const { return label_names_; }

  /// Calls f(values, metric) for every child, under the family's lock.
  template <class F>
  void each(F&& f) const {
    std::lock_guard<std::mutex> lock{mutex_};
    for (const auto& [values, metric] : children_) f(values, *metric);
  }

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<label_values, std::unique_ptr<Metric>> children_;
};

/// Produces families computed at scrape time (process figures, counts from actors).
using collector = std::function<std::vector<family_snapshot>()>;

/// Every metric of the process. Thread-safe.
class registry {
 public:
  family<counter>& counters(const std::string& name, const std::string& help,
                            std::vector<std::string> labels);
  family<gauge>& gauges(const std::string& name, const std::string& help,
                        std::vector<std::string> labels);
  family<histogram>& histograms(const std::string& name, const std::string& help,
                                std::vector<std::string> labels, std::vector<double> bounds);

  /// Adds a collector called at every exposition.
  void add_collector(collector c);

  /// Everything, in the Prometheus text format.
  std::string expose() const;

 private:
  template <class Metric>
  struct entry {
    std::string help;
    std::unique_ptr<family<Metric>> fam;
  };
  mutable std::mutex mutex_;
  std::map<std::string, entry<counter>> counters_;
  std::map<std::string, entry<gauge>> gauges_;
  std::map<std::string, entry<histogram>> histograms_;
  std::vector<collector> collectors_;
};

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
  std::lock_guard<std::mutex> lock{mutex_};
  auto& slot = children_[values];
  if (!slot) slot = make_();
  return *slot;
}

}  // namespace paige::metrics
