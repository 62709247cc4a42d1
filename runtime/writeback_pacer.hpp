/// @file
/// @brief Flushes the dirty pages of one file system once per interval, from a thread of its
/// own, so the kernel never writes back a large burst at once.
///
/// Why: Linux writes a dirty page back once it is `dirty_expire_centisecs` old (30 s). Under a
/// steady load Postgres dirties megabytes a second (table and index pages, relation
/// extensions), and the pages dirtied since a quiet moment all come due together: tens of
/// megabytes written in one second, and every WAL flush (every commit) queues behind them on
/// the same disk. A `syncfs` each second writes the same bytes in small, even steps.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace paige::runtime {

class writeback_pacer {
 public:
  /// Starts flushing the file system holding `dir` every `interval`; throws
  /// std::runtime_error when `dir` cannot be opened.
  writeback_pacer(const std::string& dir, std::chrono::milliseconds interval);
  /// Stops the thread; a flush under way finishes first.
  ~writeback_pacer();
  writeback_pacer(const writeback_pacer&) = delete;
  writeback_pacer& operator=(const writeback_pacer&) = delete;

  /// Flushes completed so far.
  std::uint64_t flushes() const { return flushes_.load(std::memory_order_relaxed); }

 private:
  void run();

  int dir_fd_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> flushes_{0};
  std::thread thread_;
};

}  // namespace paige::runtime
