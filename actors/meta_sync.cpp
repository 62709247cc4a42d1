#include "actors/meta_sync.hpp"

#include <caf/all.hpp>

#include <unordered_map>

namespace paige::actors {
namespace {

using graph_done_atom = caf::atom_constant<caf::atom("graphdone")>;

struct meta_sync_state {
  static constexpr const char* name = "meta_sync";
  std::shared_ptr<graph_api> graph;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending;
};

caf::behavior meta_sync(caf::stateful_actor<meta_sync_state>* self, std::shared_ptr<graph_api> graph) {
  self->state.graph = std::move(graph);
  return {
      [=](graph_call_atom, const std::string& method, const std::string& path, const std::string& token,
          std::string& body) -> caf::result<graph_result> {
        auto id = ++self->state.next_id;
        auto rp = self->make_response_promise();
        self->state.pending.emplace(id, rp);
        // The answer comes on a network thread: it only sends a message back here.
        caf::actor me = caf::actor_cast<caf::actor>(self);
        self->state.graph->call(method, path, token, std::move(body), [me, id](graph_result r) {
          caf::anon_send(me, graph_done_atom::value, id, std::move(r));
        });
        return rp;
      },
      [=](graph_done_atom, std::uint64_t id, graph_result& r) {
        auto it = self->state.pending.find(id);
        if (it == self->state.pending.end()) return;
        it->second.deliver(std::move(r));
        self->state.pending.erase(it);
      },
  };
}

}  // namespace

caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph) {
  return sys.spawn(meta_sync, std::move(graph));
}

}  // namespace paige::actors
