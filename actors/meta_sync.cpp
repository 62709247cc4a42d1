#include "actors/meta_sync.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/errors.hpp"
#include "actors/persistence.hpp"
#include "common/log.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <deque>
#include <unordered_map>

namespace paige::actors {
namespace {

using json = nlohmann::json;
using graph_done_atom = caf::atom_constant<caf::atom("graphdone")>;
using sent_atom = caf::atom_constant<caf::atom("sent")>;
using resend_atom = caf::atom_constant<caf::atom("resend")>;

constexpr int max_send_attempts = 5;

struct number_info {
  std::string phone_number_id;
  std::string access_token;
  caf::actor persistence;
};

struct contact_queue {
  std::string project_id;
  std::string wa_id;
  std::deque<outbound_item> items;
  bool in_flight = false;
  int attempts = 0;
};

struct meta_sync_state {
  static constexpr const char* name = "meta_sync";
  std::shared_ptr<graph_api> graph;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending;
  std::unordered_map<std::string, number_info> numbers;  // by project id
  std::unordered_map<std::string, contact_queue> queues;  // by project id + '\n' + wa_id
};

using self_ptr = caf::stateful_actor<meta_sync_state>*;

std::string queue_key(const std::string& project_id, const std::string& wa_id) { return project_id + '\n' + wa_id; }

void record(self_ptr self, const number_info& n, const std::string& project_id, tx_job job) {
  self->request(n.persistence, std::chrono::seconds{30}, run_atom::value, project_id, std::move(job))
      .then([](caf::ok_atom) {},
            [project_id](caf::error& err) {
              log::error("outbound.record_failed", {{"project", project_id}, {"reason", reason_of(err)}});
            });
}

void pump(self_ptr self, const std::string& key) {
  auto it = self->state.queues.find(key);
  if (it == self->state.queues.end()) return;
  auto& q = it->second;
  if (q.in_flight || q.items.empty()) {
    if (!q.in_flight && q.items.empty()) self->state.queues.erase(it);
    return;
  }
  auto n = self->state.numbers.find(q.project_id);
  if (n == self->state.numbers.end()) {
    // No number connected: the messages stay queued in the database and go out once one is.
    log::warn("outbound.no_number", {{"project", q.project_id}, {"queued", q.items.size()}});
    self->state.queues.erase(it);
    return;
  }
  q.in_flight = true;
  auto body = json::parse(q.items.front().content_json, nullptr, false);
  body["messaging_product"] = "whatsapp";
  body["recipient_type"] = "individual";
  body["to"] = q.wa_id;
  caf::actor me = caf::actor_cast<caf::actor>(self);
  auto id = q.items.front().id;
  self->state.graph->call("POST", "/" + n->second.phone_number_id + "/messages", n->second.access_token,
                          body.dump(), [me, key, id](graph_result r) {
                            caf::anon_send(me, sent_atom::value, key, id, std::move(r));
                          });
}

void on_sent(self_ptr self, const std::string& key, std::int64_t id, const graph_result& r) {
  auto it = self->state.queues.find(key);
  if (it == self->state.queues.end() || it->second.items.empty() || it->second.items.front().id != id) return;
  auto& q = it->second;
  q.in_flight = false;
  auto n = self->state.numbers.find(q.project_id);
  if (n == self->state.numbers.end()) return pump(self, key);
  if (r.ok()) {
    auto doc = json::parse(r.body, nullptr, false);
    std::string wamid;
    if (doc.is_object() && doc.contains("messages") && doc["messages"].is_array() && !doc["messages"].empty())
      wamid = doc["messages"][0].value("id", "");
    record(self, n->second, q.project_id, [id, wamid](pqxx::transaction_base& tx) {
      storage::record_accepted(tx, id, wamid);
      return caf::make_message(caf::ok_atom::value);
    });
    q.items.pop_front();
    q.attempts = 0;
    return pump(self, key);
  }
  if (is_transient_send_failure(r) && ++q.attempts < max_send_attempts) {
    auto delay = std::chrono::milliseconds{200 << std::min(q.attempts, 6)};
    log::warn("outbound.retry", {{"project", q.project_id}, {"attempt", q.attempts}, {"reason", r.error_message()}});
    q.in_flight = true;  // hold the contact's queue until the retry
    self->delayed_send(self, delay, resend_atom::value, key);
    return;
  }
  json error = json::parse(r.body, nullptr, false);
  error = error.is_object() && error.contains("error") ? error["error"]
                                                         : json{{"code", r.error_code()}, {"message", r.error_message()}};
  log::warn("outbound.failed", {{"project", q.project_id}, {"code", r.error_code()}, {"reason", r.error_message()}});
  record(self, n->second, q.project_id, [id, error = error.dump()](pqxx::transaction_base& tx) {
    storage::record_failed(tx, id, error);
    return caf::make_message(caf::ok_atom::value);
  });
  q.items.pop_front();
  q.attempts = 0;
  pump(self, key);
}

caf::behavior meta_sync(self_ptr self, std::shared_ptr<graph_api> graph) {
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
      [=](number_atom, const std::string& project_id, std::string& number_id, std::string& token,
          caf::actor& persistence) {
        self->state.numbers[project_id] = {std::move(number_id), std::move(token), std::move(persistence)};
      },
      [=](send_atom, const std::string& project_id, const std::string& wa_id, std::vector<outbound_item>& items) {
        auto key = queue_key(project_id, wa_id);
        auto& q = self->state.queues[key];
        q.project_id = project_id;
        q.wa_id = wa_id;
        for (auto& item : items) q.items.push_back(std::move(item));
        pump(self, key);
      },
      [=](sent_atom, const std::string& key, std::int64_t id, graph_result& r) { on_sent(self, key, id, r); },
      [=](resend_atom, const std::string& key) {
        auto it = self->state.queues.find(key);
        if (it == self->state.queues.end()) return;
        it->second.in_flight = false;
        pump(self, key);
      },
  };
}

}  // namespace

bool is_transient_send_failure(const graph_result& r) {
  if (!r.transport_error.empty() || r.http_status >= 500 || r.http_status == 429) return true;
  switch (r.error_code()) {
    case 1: case 2: case 4: case 80007: case 130429: case 131000: case 131016: case 131057: case 133004:
      return true;
    default:
      return false;
  }
}

caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph) {
  return sys.spawn(meta_sync, std::move(graph));
}

}  // namespace paige::actors
