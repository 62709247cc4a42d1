#include "actors/meta_sync.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/core/send_policy.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/persistence.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
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
using rerecord_atom = caf::atom_constant<caf::atom("rerecord")>;

/// How long an id stays known after its outcome was recorded (see project_outbox::recent).
constexpr std::chrono::seconds recent_window{30};

/// Between attempts to record an outcome the database refused (it is down, say).
constexpr std::chrono::milliseconds first_record_retry{250};
constexpr std::chrono::milliseconds max_record_retry{5000};

/// A send's outcome not yet recorded: the wamid Meta gave it, or the failure to store.
struct outcome {
  std::string wamid;    ///< accepted (when `failure` is empty)
  status_job failure;   ///< failed for good
  int attempts = 0;     ///< to record it
  bool parked = false;  ///< its project actor was gone: waits for the next one (number_atom)
};

struct number_info {
  std::string phone_number_id;
  std::string access_token;
  caf::actor persistence;
  caf::actor owner;  ///< the project actor: it stores outcomes (and publishes them in order)
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
  std::deque<std::string> ready;       ///< contacts whose next message may go now, in turn
  std::deque<std::string> bulk_ready;  ///< the same, when that message is a broadcast's
  std::unordered_map<std::string, contact_queue> contacts;
  /// Ids queued, in flight or with an outcome not yet recorded: an outbox read again (after a
  /// database outage, a duplicate) returns them while they are still `queued` in the database.
  std::unordered_set<std::int64_t> known;
  std::unordered_set<std::int64_t> bulk_known;  ///< those of `known` that are broadcasts'
  std::unordered_map<std::int64_t, outcome> unrecorded;
  /// Ids recorded in the last recent_window: an outbox read whose snapshot came before their
  /// wamid was committed may still be on its way here, and must not send them again.
  std::unordered_set<std::int64_t> recent;
  std::deque<std::pair<token_bucket::clock::time_point, std::int64_t>> recent_order;
  int max_in_flight = 16;
  bool wake_queued = false;
  bool token_invalid = false;  ///< Meta refused the token: nothing is sent until a new number_atom
  /// Counts number_atoms: a refusal of a send made with an earlier token holds nothing.
  std::uint64_t token_epoch = 0;
  /// A token not yet known good (after each number_atom): one send at a time until Meta has
  /// taken one, so a bad token costs one refused call, not max_in_flight of them.
  bool probing = true;
  /// The project actor holds the number's sends (number_health.hpp); also set here at once
  /// when Meta refuses a send for the account.
  bool held = false;
  /// Counts this actor's own holds (refusals): a release older than the last is ignored.
  std::uint64_t hold_seq = 0;
};

struct meta_sync_state {
  static constexpr const char* name = "meta_sync";
  std::shared_ptr<graph_api> graph;
  metrics::registry* metrics = nullptr;
  int max_in_flight = 16;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, caf::response_promise> pending;
  std::unordered_map<std::string, project_outbox> outboxes;  // by project id
  std::minstd_rand rng{std::random_device{}()};
};

using self_ptr = caf::stateful_actor<meta_sync_state>*;

void count(self_ptr self, const char* name, const char* help,
           const std::vector<std::string>& labels = {}, const std::vector<std::string>& values = {},
           double n = 1) {
  if (!self->state.metrics) return;
  self->state.metrics->counters(name, help, labels).with(values).inc(static_cast<std::uint64_t>(n));
}

void backlog(self_ptr self, double delta) {
  if (self->state.metrics)
    self->state.metrics
        ->gauges("paige_outbound_backlog", "outbound messages waiting to be sent", {})
        .with({})
        .add(delta);
}

void record(self_ptr self, const std::string& project_id, std::int64_t id);

/// Keeps `o`, the outcome of send `id`, until the project actor has it recorded. The project
/// actor stores outcomes (and status webhooks: one writer keeps status events in commit
/// order); while the database refuses, the outcome is asked again, with backoff, for as long as
/// it takes: a wamid lost here would leave its message `queued` for good, its statuses waiting.
void keep_outcome(self_ptr self, const std::string& project_id, std::int64_t id, outcome o) {
  self->state.outboxes[project_id].unrecorded[id] = std::move(o);
  record(self, project_id, id);
}

void record(self_ptr self, const std::string& project_id, std::int64_t id) {
  auto& box = self->state.outboxes[project_id];
  auto it = box.unrecorded.find(id);
  if (it == box.unrecorded.end()) return;
  if (!box.number) return;  // the project is gone: its messages go with it
  auto& o = it->second;
  ++o.attempts;
  auto done = [self, project_id, id](caf::ok_atom) {
    auto& b = self->state.outboxes[project_id];
    b.unrecorded.erase(id);
    b.known.erase(id);
    b.bulk_known.erase(id);
    auto now = token_bucket::clock::now();
    while (!b.recent_order.empty() && now - b.recent_order.front().first > recent_window) {
      b.recent.erase(b.recent_order.front().second);
      b.recent_order.pop_front();
    }
    b.recent.insert(id);
    b.recent_order.emplace_back(now, id);
  };
  auto asked = box.number->owner;
  auto again = [self, project_id, id, asked](caf::error& err) {
    auto& b = self->state.outboxes[project_id];
    auto found = b.unrecorded.find(id);
    if (found == b.unrecorded.end()) return;
    if (err == caf::sec::request_receiver_down) {
      // Its successor is known already: ask it now.
      if (b.number && b.number->owner != asked) return record(self, project_id, id);
      // The project actor is gone: deleted (its messages go with it) or restarting, and then
      // its number comes again with the new actor, which records what waits here (number_atom).
      log::info("outbound.record_parked", {{"project", project_id}, {"message", id}});
      found->second.parked = true;
      return;
    }
    auto delay = first_record_retry;
    for (int i = 1; i < found->second.attempts && delay < max_record_retry; ++i) delay *= 2;
    delay = std::min(delay, max_record_retry);
    log::warn("outbound.record_retry", {{"project", project_id},
                                        {"message", id},
                                        {"attempt", found->second.attempts},
                                        {"delay_ms", static_cast<long>(delay.count())},
                                        {"reason", to_string(code_of(err))}});
    self->delayed_send(self, delay, rerecord_atom::value, project_id, id);
  };
  // No timeout: the project actor answers once its write committed or failed (and CAF answers
  // for an actor that is gone); a timeout could only re-record what is being recorded.
  // Asked again, the wamid is recorded only if it is not already: the first attempt's commit
  // may have gone through without its answer, and statuses applied since must stay.
  if (o.failure)
    self->request(asked, caf::infinite, record_atom::value, id, o.failure).then(done, again);
  else
    self->request(asked, caf::infinite, record_atom::value, id, o.wamid, o.attempts > 1)
        .then(done, again);
}

/// Meta's error object of a failed call, or one made of its code and message.
json meta_error_of(const graph_result& r) {
  auto doc = json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("error")) return doc["error"];
  return {{"code", r.error_code()}, {"message", r.error_message()}};
}

void make_ready(project_outbox& box, const std::string& wa_id) {
  auto& c = box.contacts[wa_id];
  if (c.busy || c.items.empty()) return;
  (c.items.front().bulk ? box.bulk_ready : box.ready).push_back(wa_id);
}

/// Sends in flight a broadcast may have: a quarter of `limit` stays free for live replies.
int bulk_limit(int limit) { return limit > 1 ? limit - std::max(1, limit / 4) : limit; }

/// The next contact to send to, if one may go now: live replies first, then a broadcast's
/// message within bulk_limit (decision 0018).
std::optional<std::string> next_ready(project_outbox& box, int limit) {
  auto* queue = !box.ready.empty() ? &box.ready : &box.bulk_ready;
  if (queue->empty() || (queue == &box.bulk_ready && box.in_flight >= bulk_limit(limit)))
    return std::nullopt;
  auto wa_id = std::move(queue->front());
  queue->pop_front();
  return wa_id;
}

/// Starts sends while the project has a number, tokens and room in flight.
void pump(self_ptr self, const std::string& project_id) {
  auto& box = self->state.outboxes[project_id];
  if (!box.number || box.token_invalid || box.held) return;
  auto limit = box.probing ? 1 : box.max_in_flight;
  while (box.in_flight < limit && (!box.ready.empty() || !box.bulk_ready.empty())) {
    auto now = token_bucket::clock::now();
    if (box.ready.empty() && box.in_flight >= bulk_limit(limit))
      return;  // only broadcasts wait, and their share is in flight
    auto keep = box.ready.empty() ? bulk_reserve(box.bucket) : 0.0;
    if (!box.bucket.try_take(now, keep)) {
      if (!box.wake_queued) {
        box.wake_queued = true;
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            box.bucket.next_token(now, keep) - now);
        self->delayed_send(self, std::max(wait, std::chrono::milliseconds{1}),
                           caf::tick_atom::value, project_id);
      }
      return;
    }
    auto next = next_ready(box, limit);
    if (!next) return;
    auto wa_id = std::move(*next);
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
    auto epoch = box.token_epoch;
    self->state.graph->call(
        "POST", "/" + box.number->phone_number_id + "/messages", box.number->access_token,
        body.dump(), [me, project_id, wa_id, id, epoch](graph_result r) {
          caf::anon_send(me, sent_atom::value, project_id, wa_id, id, epoch, std::move(r));
        });
  }
}

/// The head message of a contact is done (accepted or failed for good).
/// (Its id stays known until its outcome is recorded: see keep_outcome.)
void finish_head(self_ptr self, project_outbox& box, contact_queue& c, const std::string& wa_id) {
  c.items.pop_front();
  c.attempts = 0;
  backlog(self, -1);
  make_ready(box, wa_id);
  // A contact with nothing to send is forgotten: memory stays bounded by the contacts with
  // messages in flight, not by every contact ever written to. (`c` dangles from here.)
  if (c.items.empty() && !c.busy) box.contacts.erase(wa_id);
}

void on_sent(self_ptr self, const std::string& project_id, const std::string& wa_id,
             std::int64_t id, std::uint64_t epoch, const graph_result& r) {
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
        ->histograms("paige_outbound_send_seconds", "Graph API send calls, from request to answer",
                     {}, metrics::latency_buckets())
        .with({})
        .observe(std::chrono::duration<double>(now - c.sent_at).count());
  if (r.ok()) {
    if (epoch == box.token_epoch && box.probing) {
      box.probing = false;  // the token works: open up, and say so (a refusal stored before
                            // a restart is cleared)
      self->send(box.number->owner, token_works_atom::value, box.number->access_token);
    }
    auto doc = json::parse(r.body, nullptr, false);
    std::string wamid;
    if (doc.is_object() && doc.contains("messages") && doc["messages"].is_array() &&
        !doc["messages"].empty())
      wamid = string_member(doc["messages"][0], "id");
    count(self, "paige_outbound_sent_total", "messages Meta accepted");
    finish_head(self, box, c, wa_id);
    keep_outcome(self, project_id, id, {std::move(wamid), nullptr, 0});
    return pump(self, project_id);
  }
  auto verdict = classify_send_failure(r);
  if (verdict == send_verdict::wait_for_token) {
    // The message stays first in its contact's queue, untried: waiting is not an attempt, so
    // its attempts and age start again with the new token.
    c.attempts = 0;
    make_ready(box, wa_id);
    if (epoch != box.token_epoch) return pump(self, project_id);  // sent with an older token
    if (!box.token_invalid) {
      box.token_invalid = true;
      auto error = meta_error_of(r);
      count(self, "paige_outbound_token_refused_total",
            "times Meta refused a number's token: its sends wait for a new one");
      log::warn("outbound.token_invalid", {{"project", project_id}, {"reason", r.error_message()}});
      self->send(box.number->owner, token_invalid_atom::value, box.number->access_token,
                 error.dump());
    }
    return;
  }
  if (verdict == send_verdict::wait_for_account) {
    // Untried, like a refused token: the hold is the account's, not this message's.
    c.attempts = 0;
    make_ready(box, wa_id);
    if (epoch != box.token_epoch) return pump(self, project_id);  // before a new connect
    if (!box.held) {
      box.held = true;
      ++box.hold_seq;
      count(self, "paige_outbound_account_refused_total",
            "times Meta refused a number's send for its account (368, 131031): its sends wait");
      log::warn("outbound.account_refused",
                {{"project", project_id}, {"code", r.error_code()}, {"reason", r.error_message()}});
      self->send(box.number->owner, account_refused_atom::value, meta_error_of(r).dump(),
                 box.hold_seq);
    }
    return;
  }
  // Meta judged the message itself (not the token): the token works.
  if (verdict == send_verdict::fail && r.error_code() && epoch == box.token_epoch)
    box.probing = false;
  auto code = std::to_string(r.http_status && !r.error_code() ? r.http_status : r.error_code());
  ++c.attempts;
  bool exhausted = c.attempts >= max_send_attempts || now - c.first_attempt > max_send_age;
  if (verdict != send_verdict::fail && !exhausted) {
    // Hold this contact (and only this contact) until the retry: its order is kept.
    c.busy = true;
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    auto delay = send_backoff(verdict, c.attempts, unit(self->state.rng));
    count(self, "paige_outbound_retries_total", "sends retried, by Meta code (or HTTP status)",
          {"code"}, {code});
    log::warn("outbound.retry", {{"project", project_id},
                                 {"attempt", c.attempts},
                                 {"code", code},
                                 {"delay_ms", static_cast<long>(delay.count())},
                                 {"reason", r.error_message()}});
    self->delayed_send(self, delay, resend_atom::value, project_id, wa_id);
    return pump(self, project_id);
  }
  auto error = meta_error_of(r);
  if (r.timed_out) error["timed_out"] = true;
  count(self, "paige_outbound_failed_total",
        "messages failed for good, by Meta code (or HTTP status)", {"code"}, {code});
  log::warn("outbound.failed", {{"project", project_id},
                                {"code", code},
                                {"attempts", c.attempts},
                                {"reason", r.error_message()}});
  finish_head(self, box, c, wa_id);
  keep_outcome(self, project_id, id,
               {{},
                [id, error = error.dump()](pqxx::transaction_base& tx) {
                  return storage::record_failed(tx, id, error);
                },
                0});
  pump(self, project_id);
}

caf::behavior meta_sync(self_ptr self, std::shared_ptr<graph_api> graph, metrics::registry* metrics,
                        int max_in_flight) {
  self->state.graph = std::move(graph);
  self->state.metrics = metrics;
  self->state.max_in_flight = std::max(1, max_in_flight);
  return {
      [=](graph_call_atom, const std::string& method, const std::string& path,
          const std::string& token, std::string& body) -> caf::result<graph_result> {
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
      [=](graph_upload_atom, const std::string& path, const std::string& token,
          std::string& bytes) -> caf::result<graph_result> {
        auto id = ++self->state.next_id;
        auto rp = self->make_response_promise();
        self->state.pending.emplace(id, rp);
        caf::actor me = caf::actor_cast<caf::actor>(self);
        self->state.graph->upload(path, token, std::move(bytes), [me, id](graph_result r) {
          caf::anon_send(me, graph_done_atom::value, id, std::move(r));
        });
        return rp;
      },
      [=](graph_form_atom, const std::string& path, const std::string& token,
          std::string& content_type, std::string& body) -> caf::result<graph_result> {
        auto id = ++self->state.next_id;
        auto rp = self->make_response_promise();
        self->state.pending.emplace(id, rp);
        caf::actor me = caf::actor_cast<caf::actor>(self);
        self->state.graph->post_form(path, token, std::move(content_type), std::move(body),
                                     [me, id](graph_result r) {
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
        box.number = number_info{std::move(number_id), std::move(token), std::move(persistence),
                                 std::move(owner)};
        box.max_in_flight = self->state.max_in_flight;
        box.token_invalid = false;  // a new token, or a restarted project: try it
        box.probing = true;
        ++box.token_epoch;
        box.bucket.set_rate(rate, rate);
        box.ready.clear();
        box.bulk_ready.clear();
        for (auto& [wa_id, c] : box.contacts) make_ready(box, wa_id);
        std::vector<std::int64_t> parked;
        for (auto& [id, o] : box.unrecorded)
          if (o.parked) {
            o.parked = false;
            parked.push_back(id);
          }
        for (auto id : parked) record(self, project_id, id);
        pump(self, project_id);
      },
      [=](hold_atom, const std::string& project_id, bool held, std::uint64_t seq) {
        auto& box = self->state.outboxes[project_id];
        if (!held && seq < box.hold_seq) return;  // sent before the project knew of a refusal
        if (box.held == held) return;
        box.held = held;
        if (held) return;
        box.probing = true;  // perhaps still refused: one send finds out
        pump(self, project_id);
      },
      [=](bulk_pending_atom, const std::string& project_id) -> std::int64_t {
        auto it = self->state.outboxes.find(project_id);
        return it == self->state.outboxes.end()
                   ? 0
                   : static_cast<std::int64_t>(it->second.bulk_known.size());
      },
      [=](rate_atom, const std::string& project_id, double rate) {
        self->state.outboxes[project_id].bucket.set_rate(rate, rate);
      },
      [=](send_atom, const std::string& project_id, const std::string& wa_id,
          std::vector<outbound_item>& items) {
        auto& box = self->state.outboxes[project_id];
        auto& c = box.contacts[wa_id];
        bool was_idle = c.items.empty() && !c.busy;
        for (auto& item : items) {
          if (box.recent.count(item.id)) continue;  // recorded just now: a stale read of the outbox
          if (!box.known.insert(item.id).second) continue;  // queued, in flight or being recorded
          if (item.bulk) box.bulk_known.insert(item.id);
          // In id order (the order they were queued in), behind the one in flight: an outbox
          // read again may bring a message queued before those already here.
          auto at = std::upper_bound(
              c.items.begin() + (c.busy && !c.items.empty() ? 1 : 0), c.items.end(), item.id,
              [](std::int64_t id, const outbound_item& x) { return id < x.id; });
          c.items.insert(at, std::move(item));
          backlog(self, 1);
        }
        if (was_idle) {
          make_ready(box, wa_id);
        } else if (!c.busy && !c.items.empty() && c.items.front().bulk &&
                   std::any_of(c.items.begin(), c.items.end(),
                               [](const outbound_item& x) { return !x.bulk; })) {
          // A live reply waits behind the contact's broadcast message (their order): the
          // contact takes the live turn, so the reply is not held behind other broadcasts.
          box.ready.push_back(wa_id);
        }
        pump(self, project_id);
      },
      [=](sent_atom, const std::string& project_id, const std::string& wa_id, std::int64_t id,
          std::uint64_t epoch, graph_result& r) { on_sent(self, project_id, wa_id, id, epoch, r); },
      [=](resend_atom, const std::string& project_id, const std::string& wa_id) {
        auto& box = self->state.outboxes[project_id];
        box.contacts[wa_id].busy = false;
        make_ready(box, wa_id);
        pump(self, project_id);
      },
      [=](rerecord_atom, const std::string& project_id, std::int64_t id) {
        record(self, project_id, id);
      },
      [=](caf::tick_atom, const std::string& project_id) {
        self->state.outboxes[project_id].wake_queued = false;
        pump(self, project_id);
      },
  };
}

}  // namespace

caf::actor spawn_meta_sync(caf::actor_system& sys, std::shared_ptr<graph_api> graph,
                           metrics::registry* metrics, int max_in_flight) {
  return sys.spawn(meta_sync, std::move(graph), metrics, max_in_flight);
}

}  // namespace paige::actors
