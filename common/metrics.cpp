#include "common/metrics.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace paige::metrics {
namespace {

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<long long>(v));
  } else {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
  }
}

void append_escaped(std::string& out, const std::string& s, bool quote_escapes) {
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote_escapes)
      out += "\\\"";
    else
      out += c;
  }
}

void check_name(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    throw std::invalid_argument("invalid metric name: " + name);
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'))
      throw std::invalid_argument("invalid metric name: " + name);
}

std::vector<std::pair<std::string, std::string>> zip(const std::vector<std::string>& names,
                                                     const label_values& values) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i)
    out.emplace_back(names[i], values[i]);
  return out;
}

}  // namespace

std::string format_exposition(const std::vector<family_snapshot>& families) {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    append_escaped(out, f.help, false);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    for (const auto& s : f.samples) {
      out += f.name;
      out += s.suffix;
      if (!s.labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [k, v] : s.labels) {
          if (!first) out += ',';
          first = false;
          out += k;
          out += "=\"";
          append_escaped(out, v, true);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      append_number(out, s.value);
      out += '\n';
    }
  }
  return out;
}

void gauge::add(double d) {
  auto cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 1; i < bounds_.size(); ++i)
    if (!(bounds_[i - 1] < bounds_[i]))
      throw std::invalid_argument("histogram bounds must increase");
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  auto cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

family<counter>& registry::counters(const std::string& name, const std::string& help,
                                    std::vector<std::string> labels) {
  check_name(name);
  std::lock_guard<std::mutex> lock{mutex_};
  auto& e = counters_[name];
  if (!e.fam) {
    e.help = help;
    e.fam = std::make_unique<family<counter>>(std::move(labels),
                                              [] { return std::make_unique<counter>(); });
  }
  return *e.fam;
}

family<gauge>& registry::gauges(const std::string& name, const std::string& help,
                                std::vector<std::string> labels) {
  check_name(name);
  std::lock_guard<std::mutex> lock{mutex_};
  auto& e = gauges_[name];
  if (!e.fam) {
    e.help = help;
    e.fam = std::make_unique<family<gauge>>(std::move(labels),
                                            [] { return std::make_unique<gauge>(); });
  }
  return *e.fam;
}

family<histogram>& registry::histograms(const std::string& name, const std::string& help,
                                        std::vector<std::string> labels,
                                        std::vector<double> bounds) {
  check_name(name);
  std::lock_guard<std::mutex> lock{mutex_};
  auto& e = histograms_[name];
  if (!e.fam) {
    e.help = help;
    e.fam = std::make_unique<family<histogram>>(
        std::move(labels), [bounds] { return std::make_unique<histogram>(bounds); });
  }
  return *e.fam;
}

void registry::add_collector(collector c) {
  std::lock_guard<std::mutex> lock{mutex_};
  collectors_.push_back(std::move(c));
}

std::string registry::expose() const {
  std::vector<family_snapshot> out;
  std::vector<collector> collectors;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    // (Named, not structured bindings: C++17 lambdas may not capture those, and clang refuses.)
    for (const auto& named : counters_) {
      const auto& name = named.first;
      const auto& e = named.second;
      family_snapshot f{name, e.help, "counter", {}};
      e.fam->each([&](const label_values& v, const counter& c) {
        f.samples.push_back({"", zip(e.fam->label_names(), v), static_cast<double>(c.value())});
      });
      out.push_back(std::move(f));
    }
    for (const auto& named : gauges_) {
      const auto& name = named.first;
      const auto& e = named.second;
      family_snapshot f{name, e.help, "gauge", {}};
      e.fam->each([&](const label_values& v, const gauge& g) {
        f.samples.push_back({"", zip(e.fam->label_names(), v), g.value()});
      });
      out.push_back(std::move(f));
    }
    for (const auto& named : histograms_) {
      const auto& name = named.first;
      const auto& e = named.second;
      family_snapshot f{name, e.help, "histogram", {}};
      e.fam->each([&](const label_values& v, const histogram& h) {
        auto labels = zip(e.fam->label_names(), v);
        auto counts = h.bucket_counts();
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          auto l = labels;
          std::string le;
          if (i < h.bounds().size()) {
            char buf[64];
            auto res = std::to_chars(buf, buf + sizeof buf, h.bounds()[i]);
            le.assign(buf, res.ptr);
          } else {
            le = "+Inf";
          }
          l.emplace_back("le", le);
          f.samples.push_back({"_bucket", std::move(l), static_cast<double>(cumulative)});
        }
        f.samples.push_back({"_sum", labels, h.sum()});
        f.samples.push_back({"_count", labels, static_cast<double>(cumulative)});
      });
      out.push_back(std::move(f));
    }
    collectors = collectors_;
  }
  // Collectors run outside the lock: they may take their own.
  for (const auto& c : collectors)
    for (auto& f : c()) out.push_back(std::move(f));
  return format_exposition(out);
}

}  // namespace paige::metrics
