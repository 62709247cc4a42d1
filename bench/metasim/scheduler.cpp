#include "bench/metasim/scheduler.hpp"

namespace paige::metasim {

scheduler::scheduler() : thread_([this] { run(); }) {}

scheduler::~scheduler() {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void scheduler::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock{mutex_};
    queue_.push({clock::now() + delay, seq_++, std::move(fn)});
  }
  cv_.notify_all();
}

void scheduler::run() {
  std::unique_lock<std::mutex> lock{mutex_};
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto due = queue_.top().due;
    if (clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    auto fn = std::move(const_cast<item&>(queue_.top()).fn);
    queue_.pop();
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace paige::metasim
