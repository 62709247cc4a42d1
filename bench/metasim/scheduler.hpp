/// @file
/// @brief Runs functions after a delay on one background thread (simulated latency, status
/// webhooks, redelivery backoff).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace paige::metasim {

class scheduler {
 public:
  scheduler();
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  /// Runs `fn` on the scheduler thread once `delay` has passed.
  void after(std::chrono::milliseconds delay, std::function<void()> fn);

 private:
  using clock = std::chrono::steady_clock;
  struct item {
    clock::time_point due;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const item& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::priority_queue<item, std::vector<item>, std::greater<item>> queue_;
  std::uint64_t seq_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace paige::metasim
