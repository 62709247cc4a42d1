/// @file
/// @brief The live conversation actors of one project, by contact, and their passivation.
///
/// The project actor owns one registry and is its only user (single-threaded, inside the actor);
/// its exit hook shares it to stop what is still alive. A conversation actor is spawned on the
/// first message for its contact and passivated when it has been idle for
/// services.conversation_idle: the sweep asks it (idle_atom, now); it answers (idle_atom, wa_id,
/// asked_at) when nothing is in flight; it is passivated unless something was forwarded to it
/// since it was asked. Conversations are not linked to the project: see spawn_conversation.
#pragma once

#include "actors/conversation_actor.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace paige::metrics {
class registry;
}

namespace paige::actors {

class conversation_registry {
 public:
  explicit conversation_registry(metrics::registry* metrics) : metrics_(metrics) {}
  conversation_registry(const conversation_registry&) = delete;
  conversation_registry& operator=(const conversation_registry&) = delete;

  /// The conversation actor of `wa_id`, spawned by `parent` with `ctx` if it has none, noted as
  /// just used.
  const caf::actor& for_contact(caf::local_actor* parent,
                                const std::shared_ptr<const conversation_context>& ctx,
                                const std::string& wa_id);

  /// Asks each conversation nothing was forwarded to for `idle` whether it is idle.
  void ask_idle(caf::event_based_actor* self, std::chrono::milliseconds idle);

  /// `wa_id` answered it is idle, asked at `asked_at` (steady clock ticks): passivates it unless
  /// something was forwarded to it since. Returns whether it was passivated.
  bool passivate(caf::event_based_actor* self, const std::string& wa_id, std::int64_t asked_at);

  /// Forgets the conversation of `wa_id` if `actor` is still its actor (it crashed); the next
  /// message spawns it afresh from the database.
  void forget(const std::string& wa_id, const caf::actor_addr& actor);

  /// Stops every conversation (the project is deleted or its actor ended).
  void stop_all();

  std::size_t size() const { return slots_.size(); }

  /// How often the passivation sweep runs: passivation happens between 1 and 1.25 idle times.
  static std::chrono::milliseconds sweep_interval(std::chrono::milliseconds idle);

 private:
  struct slot {
    caf::actor actor;
    std::chrono::steady_clock::time_point last_forward;
  };
  void count(double change);

  metrics::registry* metrics_;
  std::unordered_map<std::string, slot> slots_;
};

}  // namespace paige::actors
