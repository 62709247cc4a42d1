#include "actors/conversation_registry.hpp"

#include "common/metrics.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace paige::actors {

void conversation_registry::count(double change) {
  if (!metrics_) return;
  metrics_->gauges("paige_conversation_actors", "conversation actors in memory", {})
      .with({})
      .add(change);
}

const caf::actor& conversation_registry::for_contact(
    caf::local_actor* parent, const std::shared_ptr<const conversation_context>& ctx,
    const std::string& wa_id) {
  auto& s = slots_[wa_id];
  if (!s.actor) {
    s.actor = spawn_conversation(parent, ctx, wa_id);
    count(1);
  }
  s.last_forward = std::chrono::steady_clock::now();
  return s.actor;
}

void conversation_registry::ask_idle(caf::event_based_actor* self, std::chrono::milliseconds idle) {
  auto now = std::chrono::steady_clock::now();
  for (auto& [wa_id, s] : slots_)
    if (now - s.last_forward >= idle)
      self->send(s.actor, idle_atom::value, std::int64_t{now.time_since_epoch().count()});
}

bool conversation_registry::passivate(caf::event_based_actor* self, const std::string& wa_id,
                                      std::int64_t asked_at) {
  auto it = slots_.find(wa_id);
  if (it == slots_.end() || it->second.last_forward.time_since_epoch().count() > asked_at)
    return false;
  // (An exit message with reason normal would be ignored by the actor.)
  self->send(it->second.actor, passivate_atom::value, std::int64_t{0});
  slots_.erase(it);
  count(-1);
  return true;
}

void conversation_registry::forget(const std::string& wa_id, const caf::actor_addr& actor) {
  auto it = slots_.find(wa_id);
  if (it == slots_.end() || it->second.actor.address() != actor) return;
  slots_.erase(it);
  count(-1);
}

void conversation_registry::stop_all() {
  for (auto& [wa_id, s] : slots_) caf::anon_send_exit(s.actor, caf::exit_reason::user_shutdown);
  count(-static_cast<double>(slots_.size()));
  slots_.clear();
}

std::chrono::milliseconds conversation_registry::sweep_interval(std::chrono::milliseconds idle) {
  return std::max(idle / 4, std::chrono::milliseconds{10});
}

}  // namespace paige::actors
