/// @file
/// @brief How a project actor tells the webhook that a batch is committed, without a reply
/// message: the batch travels with a callback that runs exactly once.
///
/// A request from outside the actor system needs an actor to receive its answer; the webhook
/// used one (a gateway) for every batch, two more scheduling hops per webhook and four webhooks
/// per message with statuses on. The callback needs none: the project actor calls it on its
/// own thread, and the HTTP side hops onto the connection's strand anyway. What a reply
/// guaranteed is kept: if the batch is never answered because its message or the state holding
/// the ack is destroyed (the actor was gone, ended or crashed), the last copy's destruction
/// reports `request_receiver_down`.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include <functional>
#include <memory>

namespace paige::actors {

class batch_ack {
 public:
  /// Receives null when the batch was committed, else why not; from any thread.
  using callback = std::function<void(const caf::error*)>;

  batch_ack() = default;
  explicit batch_ack(callback done);

  /// The first call (or the destruction of the last copy) wins; later calls do nothing.
  void ok() const;
  void fail(const caf::error& why) const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::batch_ack)
