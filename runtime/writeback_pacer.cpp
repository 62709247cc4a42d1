#include "runtime/writeback_pacer.hpp"

#include "common/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace paige::runtime {

writeback_pacer::writeback_pacer(const std::string& dir, std::chrono::milliseconds interval)
    : dir_fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)), interval_(interval) {
  if (dir_fd_ < 0)
    throw std::runtime_error("cannot open " + dir +
                             " to pace its writeback: " + std::strerror(errno));
  thread_ = std::thread{[this] { run(); }};
}

writeback_pacer::~writeback_pacer() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  ::close(dir_fd_);
}

void writeback_pacer::run() {
  bool reported = false;
  std::unique_lock lock{mutex_};
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    // A failure here loses nothing (the kernel still writes the pages back, in bursts);
    // it is reported once so a file system that refuses syncfs is visible.
    if (::syncfs(dir_fd_) != 0 && !reported) {
      reported = true;
      log::warn("pg.writeback_pacing_failed", {{"reason", std::strerror(errno)}});
    }
    flushes_.fetch_add(1, std::memory_order_relaxed);
    lock.lock();
  }
}

}  // namespace paige::runtime
