#include "actors/batch_ack.hpp"

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include <atomic>

namespace paige::actors {

struct batch_ack::state {
  explicit state(callback d) : done(std::move(d)) {}
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  ~state() {
    auto gone = caf::make_error(caf::sec::request_receiver_down);
    finish(&gone);
  }

  void finish(const caf::error* why) {
    if (!called.exchange(true) && done) done(why);
  }

  callback done;
  std::atomic<bool> called{false};
};

batch_ack::batch_ack(callback done) : state_(std::make_shared<state>(std::move(done))) {}

void batch_ack::ok() const {
  if (state_) state_->finish(nullptr);
}

void batch_ack::fail(const caf::error& why) const {
  if (state_) state_->finish(&why);
}

}  // namespace paige::actors
