#include "api/webhook_gateway.hpp"

#include "actors/project_types.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_map>

namespace paige::api {
namespace {

using forward_atom = caf::atom_constant<caf::atom("forward")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using clock = std::chrono::steady_clock;

struct outstanding {
  clock::time_point since;
  webhook_done done;
};

struct gateway_state {
  static constexpr const char* name = "webhook_gateway";
  std::chrono::milliseconds deadline{20000};
  std::unordered_map<std::uint64_t, outstanding> waiting;
  std::uint64_t next_id = 0;
  bool sweep_armed = false;
};

using self_ptr = caf::stateful_actor<gateway_state>*;

void finish(self_ptr self, std::uint64_t id, const caf::error* err) {
  auto it = self->state.waiting.find(id);
  if (it == self->state.waiting.end()) return;  // already failed by the sweep
  auto done = std::move(it->second.done);
  self->state.waiting.erase(it);
  done(err);
}

void arm_sweep(self_ptr self) {
  auto& st = self->state;
  if (st.sweep_armed || st.waiting.empty()) return;
  st.sweep_armed = true;
  self->delayed_send(self, std::max(st.deadline / 4, std::chrono::milliseconds{10}), sweep_atom::value);
}

caf::behavior gateway(self_ptr self, std::chrono::milliseconds deadline) {
  self->state.deadline = deadline;
  return {
      [=](forward_atom, caf::actor& project, actors::number_batch& batch, webhook_done& done) {
        auto& st = self->state;
        auto id = ++st.next_id;
        st.waiting.emplace(id, outstanding{clock::now(), std::move(done)});
        arm_sweep(self);
        self->request(project, caf::infinite, actors::webhook_atom::value, std::move(batch))
            .then([self, id](caf::ok_atom) { finish(self, id, nullptr); },
                  [self, id](caf::error& err) { finish(self, id, &err); });
      },
      [=](sweep_atom) {
        auto& st = self->state;
        st.sweep_armed = false;
        auto too_old = clock::now() - st.deadline;
        std::vector<std::uint64_t> expired;
        for (const auto& [id, w] : st.waiting)
          if (w.since <= too_old) expired.push_back(id);
        auto timeout = caf::make_error(caf::sec::request_timeout);
        for (auto id : expired) finish(self, id, &timeout);
        arm_sweep(self);
      },
  };
}

}  // namespace

caf::actor spawn_webhook_gateway(caf::actor_system& sys, std::chrono::milliseconds deadline) {
  return sys.spawn(gateway, deadline);
}

void forward_batch(const caf::actor& gateway, caf::actor project, actors::number_batch batch, webhook_done done) {
  caf::anon_send(gateway, forward_atom::value, std::move(project), std::move(batch), std::move(done));
}

}  // namespace paige::api
