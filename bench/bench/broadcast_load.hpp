/// @file
/// @brief The benchmark's broadcast: an approved template sent by project 0 to N numbers that
/// never wrote, while (or after) the chat load runs; what the simulator received of it — each
/// recipient's count, the rate while the chat load ran and after — for correctness (every
/// recipient once; duplicates at most the sends in flight at a kill -9) and pacing.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace paige::bench {

class broadcast_load {
 public:
  using clock = std::chrono::steady_clock;

  explicit broadcast_load(long recipients) : received_(static_cast<std::size_t>(recipients), 0) {}

  /// The i-th recipient's WhatsApp id ("19" and 10 digits: apart from the chat's contacts).
  static std::string wa_id_of(long i);

  /// The body of POST .../broadcasts for `template_name`.
  nlohmann::json request(const std::string& template_name) const;

  /// Whether `body` (a send to `to`) is the broadcast's; counts it if so.
  bool on_send(const std::string& to, const nlohmann::json& body);

  long sends() const { return sends_.load(); }
  /// Marks the end of the chat load: sends before and after it are rated apart.
  void load_ended();
  void killed_at(long sends) { killed_at_ = sends; }

  /// {"recipients", "sends", "unique", "missing", "duplicates", "killed_at_sends", "window_s",
  ///  "per_s", "during_load_per_s", "after_load_per_s"}.
  nlohmann::json summary() const;

 private:
  mutable std::mutex mutex_;
  std::vector<int> received_;
  std::atomic<long> sends_{0};
  long during_load_ = -1;
  clock::time_point first_{}, last_{}, load_end_{};
  long killed_at_ = -1;
};

}  // namespace paige::bench
