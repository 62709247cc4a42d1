#include "actors/meta_sync.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/persistence.hpp"
#include "actors/send_policy.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <deque>
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace paige::actors {
namespace {

using json = nlohmann::json;
using graph_done_atom = caf::atom_constant<caf::atom("graphdone")>;
using sent_atom = caf::atom_constant<caf::atom("sent")>;
using resend_atom = caf::atom_constant<caf::atom("resend")>;

/// Sends one project may have in flight: a project whose sends hang cannot take every
/// connection (the HTTP client pools by origin, shared by all projects).
constexpr int max_in_flight_per_project = 16;

struct number_info {
  std::string phone_number_id;
  std::string access_token;
  caf::actor persistence;
  caf::actor owner;   ///< the project actor: it stores outcomes (and publishes them in order)
};

struct contact_queue {
  std::deque<outbound_item> items;
  bool busy = false;  ///< a send in flight, or backing off: the contact's next send waits
  int attempts = 0;
  token_bucket::clock::time_point first_attempt;
  token_bucket::clock::time_point sent_at;
};

struct project_outbox {
  std::optional<number_info> number;
  token_bucket bucket{80, 80, token_bucket::clock::now()};
  int in_flight = 0;
  std::deque<std::string> ready;  ///< contacts whose next message may go now, in turn
  std::unordered_map<std::string, contact_queue> contacts;
  std::unordered_set<std::int64_t> known;  ///< ids queued here (resumes may repeat them)
  bool wake_queued = false;
};

struct meta_sync_state {
  static constexpr const char* name = "meta_sync";
  std::shared_ptr<graph_api> graph;
  metrics::registry* metrics = nullptr;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending;
  std::unordered_map<std::string, project_outbox> outboxes;  // by project id
  std::minstd_rand rng{std::random_device{}()};
};

using self_ptr = caf::stateful_actor<meta_sync_state>*;

void count(self_ptr self, const char* name, const char* help, const std::vector<std::string>& labels = {},
           const std::vector<std::string>& values = {}, double n = 1) {
  if (!self->state.metrics) return;
  self->state.metrics->counters(name, help, labels).with(values).inc(static_cast<std::uint64_t>(n));
}

void backlog(self_ptr self, double delta) {
  if (self->state.metrics)
    self->state.metrics->gauges("paige_outbound_backlog", "outbound messages waiting to be sent", {}).with({}).add(delta);
}

/// Stores a send's outcome through the project actor, which writes status webhooks too: one
/// requester keeps status events in commit order.
void record(self_ptr self, const number_info& n, status_job change) {
  self->send(n.owner, record_atom::value, std::move(change));
}

void make_ready(project_outbox& box, const std::string& wa_id) {
  auto& c = box.contacts[wa_id];
  if (!c.busy && !c.items.empty()) box.ready.push_back(wa_id);
}

/// Starts sends while the project has a number, tokens and room in flight.
void pump(self_ptr self, const std::string& project_id) {
  auto& box = self->state.outboxes[project_id];
  if (!box.number) return;
  while (box.in_flight < max_in_flight_per_project && !box.ready.empty()) {
    auto now = token_bucket::clock::now();
    if (!box.bucket.try_take(now)) {
      if (!box.wake_queued) {
        box.wake_queued = true;
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(box.bucket.next_token(now) - now);
        self->delayed_send(self, std::max(wait, std::chrono::milliseconds{1}), caf::tick_atom::value, project_id);
      }
      return;
    }
    auto wa_id = box.ready.front();
    box.ready.pop_front();
    auto found = box.contacts.find(wa_id);
    if (found == box.contacts.end()) continue;
    auto& c = found->second;
    if (c.busy || c.items.empty()) continue;
    c.busy = true;
    c.sent_at = now;
    if (c.attempts == 0) c.first_attempt = now;
    ++box.in_flight;
    auto body = json::parse(c.items.front().content_json, nullptr, false);
    body["messaging_product"] = "whatsapp";
    body["recipient_type"] = "individual";
    body["to"] = wa_id;
    caf::actor me = caf::actor_cast<caf::actor>(self);
    auto id = c.items.front().id;
    self->state.graph->call("POST", "/" + box.number->phone_number_id + "/messages", box.number->access_token,
                            body.dump(), [me, project_id, wa_id, id](graph_result r) {
                              caf::anon_send(me, sent_atom::value, project_id, wa_id, id, std::move(r));
                            });
  }
}

/// The head message of a contact is done (accepted or failed for good).
void finish_head(self_ptr self, project_outbox& box, contact_queue& c, const std::string& wa_id) {
  box.known.erase(c.items.front().id);
  c.items.pop_front();
  c.attempts = 0;
  backlog(self, -1);
  make_ready(box, wa_id);
  // A contact with nothing to send is forgotten: memory stays bounded by the contacts with
  // messages in flight, not by every contact ever written to. (`c` dangles from here.)
  if (c.items.empty() && !c.busy) box.contacts.erase(wa_id);
}

void on_sent(self_ptr self, const std::string& project_id, const std::string& wa_id, std::int64_t id,
             const graph_result& r) {
  auto& box = self->state.outboxes[project_id];
  auto& c = box.contacts[wa_id];
  --box.in_flight;
  if (c.items.empty() || c.items.front().id != id || !box.number) {
    c.busy = false;
    if (c.items.empty()) box.contacts.erase(wa_id);
    return pump(self, project_id);
  }
  c.busy = false;
  auto now = token_bucket::clock::now();
  if (self->state.metrics)
    self->state.metrics
        ->histograms("paige_outbound_send_seconds", "Graph API send calls, from request to answer", {},
                     metrics::latency_buckets())
        .with({})
        .observe(std::chrono::duration<double>(now - c.sent_at).count());
  if (r.ok()) {
    auto doc = json::parse(r.body, nullptr, false);
    std::string wamid;
    if (doc.is_object() && doc.contains("messages") && doc["messages"].is_array() && !doc["messages"].empty())
      wamid = doc["messages"][0].value("id", "");
    self->send(box.number->owner, record_atom::value, id, std::move(wamid));
    count(self, "paige_outbound_sent_total", "messages Meta accepted");
    finish_head(self, box, c, wa_id);
    return pump(self, project_id);
  }
  auto verdict = classify_send_failure(r);
  auto code = std::to_string(r.http_status && !r.error_code() ? r.http_status : r.error_code());
  ++c.attempts;
  bool exhausted = c.attempts >= max_send_attempts || now - c.first_attempt > max_send_age;
  if (verdict != send_verdict::fail && !exhausted) {
    // Hold this contact (and only this contact) until the retry: its order is kept.
    c.busy = true;
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    auto delay = send_backoff(verdict, c.attempts, unit(self->state.rng));
    count(self, "paige_outbound_retries_total", "sends retried, by Meta code (or HTTP status)", {"code"}, {code});
    log::warn("outbound.retry", {{"project", project_id}, {"attempt", c.attempts}, {"code", code},
                                 {"delay_ms", static_cast<long>(delay.count())}, {"reason", r.error_message()}});
    self->delayed_send(self, delay, resend_atom::value, project_id, wa_id);
    return pump(self, project_id);
  }
  json error = json::parse(r.body, nullptr, false);
  error = error.is_object() && error.contains("error") ? error["error"]
                                                         : json{{"code", r.error_code()}, {"message", r.error_message()}};
  if (r.timed_out) error["timed_out"] = true;
  count(self, "paige_outbound_failed_total", "messages failed for good, by Meta code (or HTTP status)", {"code"}, {code});
  log::warn("outbound.failed", {{"project", project_id}, {"code", code}, {"attempts", c.attempts},
                                {"reason", r.error_message()}});
  record(self, *box.number,
         [id, error = error.dump()](pqxx::transaction_base& tx) { return storage::record_failed(tx, id, error); });
  finish_head(self, box, c, wa_id);
  pump(self, project_id);
}

caf::behavior meta_sync(self_ptr self, std::shared_ptr<graph_api> graph, metrics::registry* metrics) {
  self->state.graph = std::move(graph);
  self->state.metrics = metrics;
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
          caf::actor& persistence, caf::actor& owner, double rate) {
        auto& box = self->state.outboxes[project_id];
        box.number = number_info{std::move(number_id), std::move(token), std::move(persistence), std::move(owner)};
        box.bucket.set_rate(rate, rate);
        box.ready.clear();
        for (auto& [wa_id, c] : box.contacts) make_ready(box, wa_id);
        pump(self, project_id);
      },
      [=](rate_atom, const std::string& project_id, double rate) {
        self->state.outboxes[project_id].bucket.set_rate(rate, rate);
      },
      [=](send_atom, const std::string& project_id, const std::string& wa_id, std::vector<outbound_item>& items) {
        auto& box = self->state.outboxes[project_id];
        auto& c = box.contacts[wa_id];
        bool was_idle = c.items.empty() && !c.busy;
        for (auto& item : items) {
          if (!box.known.insert(item.id).second) continue;  // already queued here
          c.items.push_back(std::move(item));
          backlog(self, 1);
        }
        if (was_idle) make_ready(box, wa_id);
        pump(self, project_id);
      },
      [=](sent_atom, const std::string& project_id, const std::string& wa_id, std::int64_t id, graph_result& r) {
        on_sent(self, project_id, wa_id, id, r);
      },
      [=](resend_atom, const std::string& project_id, const std::string& wa_id) {
        auto& box = self->state.outboxes[project_id];
        box.contacts[wa_id].busy = false;
        make_ready(box, wa_id);
        pump(self, project_id);
      },
      [=](caf::tick_atom, const std::string& project_id) {
        self->state.outboxes[project_id].wake_queued = false;
        pump(self, project_id);
      },
  };
}

}  // namespace

caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph, metrics::registry* metrics) {
  return sys.spawn(meta_sync, std::move(graph), metrics);
}

}  // namespace paige::actors
