#include "actors/broadcast_runner.hpp"

#include "actors/conversation_actor.hpp"
#include "actors/core/broadcast_rules.hpp"
#include "actors/core/template_send.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/meta_sync.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/secrets.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <functional>
#include <map>

namespace paige::actors {
namespace {

using json = nlohmann::json;

/// Audience rows read at once, and recipients queued at once: small transactions.
constexpr int audience_batch = 2000;
constexpr int queue_batch = 500;
/// Progress events at most this often, and never more than 1/progress_share of the time its
/// reads take (a count over 100 000 recipients takes a while; the database serves the chat too).
constexpr std::chrono::seconds progress_every{2};
constexpr int progress_share = 40;
constexpr std::chrono::seconds progress_timeout{60};
/// Rounds failing in a row before the broadcast is marked failed (a table dropped, say).
constexpr int max_failed_rounds = 60;

/// What one round did.
struct round_outcome {
  std::string status;           ///< the broadcast's status after it (running, completed, paused...)
  std::int64_t allowance = -1;  ///< recipients the messaging limit leaves today (-1: no limit)
  std::vector<storage::queued_recipient> queued;
  std::size_t skipped = 0;
  bool worked = false;       ///< it read the audience or queued: the next round comes soon
  bool window_full = false;  ///< recipients wait for earlier sends to be answered
};

}  // namespace
}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<paige::actors::round_outcome>)

namespace paige::actors {
namespace {

struct runner_state {
  static constexpr const char* name = "broadcast_runner";
  broadcast_context ctx;
  std::chrono::steady_clock::time_point last_progress{};
  std::chrono::milliseconds progress_gap = progress_every;  ///< see progress_share
  bool ended = false;     ///< the broadcast ended, or the runner was told to stop
  bool in_round = false;  ///< a round's transaction is in flight
  int failed_rounds = 0;  ///< in a row
  /// Recipients the messaging limit leaves today (-1: count them again in the next round).
  std::int64_t allowance = -1;
  std::chrono::steady_clock::time_point counted_at{};
};

using self_ptr = caf::stateful_actor<runner_state>*;

/// Sends in flight the broadcasts of a number may have: two seconds of its pace.
std::int64_t window_of(double rate) {
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(rate * 2), 20, 5000);
}

/// One round, in one transaction of the project database; `in_flight`: the project's broadcast
/// messages not yet answered by Meta (meta_sync knows them).
std::shared_ptr<round_outcome> run_round(pqxx::connection& c, std::int64_t id,
                                         const templates::book_ptr& book,
                                         const flows::catalog_ptr& flows, std::int64_t window,
                                         std::int64_t in_flight, std::int64_t daily_limit,
                                         std::int64_t allowance) {
  auto out = std::make_shared<round_outcome>();
  pqxx::work tx{c};
  tx.exec0("SET LOCAL statement_timeout = '30s'");
  auto b = storage::find_broadcast_to_run(tx, id);
  if (!b || b->status != "running") {
    out->status = b ? b->status : "gone";
    return out;
  }
  out->status = "running";
  auto tref = json::parse(b->template_json);
  auto components = json::parse(b->components_json);
  const json* stored = nullptr;  // the template as Meta approved it (null: not read yet)
  if (book) {
    const auto* t = book->find(tref.value("name", ""), tref.value("language", ""));
    stored = t;
    auto status = t ? t->value("status", "") : std::string{"gone"};
    if (!templates::sendable(status)) {
      storage::move_broadcast(tx, id, {"running"}, "paused",
                              "template " + tref.value("name", "") + " (" +
                                  tref.value("language", "") + ") is " + status);
      tx.commit();
      out->status = "paused";
      return out;
    }
  }
  auto room = window - in_flight;
  out->window_full = room <= 0;
  if (daily_limit > 0) {
    if (allowance < 0)
      allowance = std::max<std::int64_t>(daily_limit - storage::broadcast_contacts_today(tx), 0);
    out->allowance = allowance;
    room = std::min(room, allowance);
    storage::set_broadcast_detail(
        tx, id,
        allowance > 0 ? std::string{}
                      : "waiting for Meta's messaging limit: " + std::to_string(daily_limit) +
                            " unique users a day");
  }
  auto want = static_cast<int>(std::clamp<std::int64_t>(room, 0, queue_batch));
  auto pending = storage::pending_recipients(tx, id, std::max(want, 1));
  // The audience is read ahead of the sends, a batch at a time.
  if (!b->audience_done && static_cast<int>(pending.size()) < std::max(want, 1)) {
    auto rows = storage::read_audience(tx, id, broadcasts::columns_of(components),
                                       b->audience_after, audience_batch);
    storage::add_recipients(tx, id, rows, static_cast<int>(rows.size()) < audience_batch);
    out->worked = true;
    pending = storage::pending_recipients(tx, id, std::max(want, 1));
  }
  if (want > 0 && !pending.empty()) {
    std::vector<storage::recipient_send> sends;
    std::vector<storage::flow_token_row> tokens;
    std::vector<std::pair<std::string, std::string>> skipped;
    for (auto& p : pending) {
      if (static_cast<int>(sends.size() + skipped.size()) >= want) break;
      if (p.opted_out) {
        skipped.emplace_back(p.wa_id, "opted_out");
        continue;
      }
      auto message = broadcasts::message_of(
          tref, broadcasts::resolve(components, json::parse(p.fields_json, nullptr, false)));
      if (book) {
        auto verdict = templates::judge_send(*book, message);
        if (verdict.what != templates::send_verdict::kind::ok) {
          auto why = verdict.problems.empty() ? verdict.message
                                              : verdict.problems.front().pointer + ": " +
                                                    verdict.problems.front().message;
          skipped.emplace_back(p.wa_id, "invalid_parameters: " + why);
          continue;
        }
      }
      // Each recipient's flow buttons get a token of their own (flows::prepare_template_flows).
      if (stored && flows && flows::has_flow_button(*stored)) {
        message = flows::prepare_template_flows(*flows, *stored, std::move(message),
                                                secrets::random_hex(16));
        for (auto& [token, name] : flows::tokens_of(message))
          tokens.push_back({token, name, p.wa_id});
      }
      sends.push_back({p.wa_id, message.dump()});
    }
    storage::record_flow_tokens(tx, tokens);
    out->queued = storage::queue_recipients(tx, id, sends, skipped);
    out->skipped = skipped.size();
    out->worked = true;
  }
  bool nothing_left = b->audience_done && storage::pending_recipients(tx, id, 1).empty();
  if (nothing_left && out->queued.empty() && storage::broadcast_unanswered(tx, id) == 0) {
    storage::move_broadcast(tx, id, {"running"}, "completed");
    out->status = "completed";
  }
  tx.commit();
  return out;
}

void count(self_ptr self, const char* outcome, std::size_t n) {
  if (auto* m = self->state.ctx.metrics; m && n > 0)
    m->counters("paige_broadcast_recipients_total",
                "broadcast recipients queued or skipped (opted out, values that do not fit)",
                {"outcome"})
        .with({outcome})
        .inc(n);
}

/// Publishes the broadcast with its progress (read from the database); `then` runs after.
void publish_progress(
    self_ptr self, std::function<void()> then = [] {}) {
  auto& ctx = self->state.ctx;
  self->state.last_progress = std::chrono::steady_clock::now();
  self->request(ctx.database, progress_timeout, run_atom::value, ctx.conninfo,
                db_job{[id = ctx.broadcast_id](pqxx::connection& c) {
                  auto began = std::chrono::steady_clock::now();
                  pqxx::read_transaction tx{c};
                  tx.exec0("SET LOCAL statement_timeout = '20s'");
                  auto b = storage::find_broadcast(tx, id);
                  auto view =
                      b ? broadcast_view(*b, storage::broadcast_progress(tx, id)) : std::string{};
                  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - began);
                  return caf::make_message(std::move(view), std::int64_t{took.count()});
                }})
      .then(
          [self, then](std::string& view, std::int64_t took_ms) {
            auto& ctx = self->state.ctx;
            self->state.progress_gap = std::max<std::chrono::milliseconds>(
                progress_every, std::chrono::milliseconds{took_ms * progress_share});
            if (!view.empty() && ctx.events) {
              json event{{"type", "broadcast.progress"},
                         {"conversation_id", 0},
                         {"broadcast", json::parse(view)}};
              self->send(ctx.events, publish_atom::value, std::string{"broadcast.progress"},
                         std::int64_t{0}, event.dump());
            }
            then();
          },
          [then](caf::error&) { then(); });  // the next one says it
}

/// Rounds keep failing (the audience's table dropped, say): the broadcast is marked failed with
/// the reason, and the runner ends.
void fail(self_ptr self, std::string reason) {
  auto& ctx = self->state.ctx;
  self->state.ended = true;
  self->request(ctx.database, progress_timeout, run_atom::value, ctx.conninfo,
                db_job{[id = ctx.broadcast_id, reason](pqxx::connection& c) {
                  pqxx::work tx{c};
                  storage::move_broadcast(tx, id, {"running"}, "failed", reason);
                  tx.commit();
                  return caf::make_message(true);
                }})
      .then([](bool) {}, [](caf::error&) {});
  self->send(ctx.project, broadcast_ended_atom::value, ctx.broadcast_id, std::string{"failed"});
  publish_progress(self, [self] { self->quit(); });
}

void run(self_ptr self, templates::book_ptr book, std::int64_t window, std::int64_t in_flight,
         std::int64_t limit);

void round(self_ptr self) {
  auto& st = self->state;
  auto& ctx = st.ctx;
  st.in_round = true;
  auto book = ctx.templates ? ctx.templates->get() : templates::book_ptr{};
  auto limit = broadcasts::daily_limit_of(ctx.messaging_limit);
  // The day's room is counted again each minute (older sends leave the 24 hours).
  if (std::chrono::steady_clock::now() - st.counted_at > std::chrono::minutes{1}) st.allowance = -1;
  if (st.allowance < 0) st.counted_at = std::chrono::steady_clock::now();
  // The window is counted by meta_sync, which has every message this runner handed it (they
  // went before this request); unanswered, the round queues nothing.
  auto window = window_of(ctx.rate);
  self->request(ctx.meta_sync, progress_timeout, bulk_pending_atom::value, ctx.project_id)
      .then([self, book, window,
             limit](std::int64_t in_flight) { run(self, book, window, in_flight, limit); },
            [self, book, window, limit](caf::error&) { run(self, book, window, window, limit); });
}

/// The round's transaction, then what it queued handed to meta_sync.
void run(self_ptr self, templates::book_ptr book, std::int64_t window, std::int64_t in_flight,
         std::int64_t limit) {
  auto& ctx = self->state.ctx;
  // No timeout: the pool answers once the transaction ended, and what it queued must reach
  // meta_sync (an answer dropped after a commit would strand those messages).
  self->request(ctx.database, caf::infinite, run_atom::value, ctx.conninfo,
                db_job{[id = ctx.broadcast_id, book, flows = ctx.flows ? ctx.flows->get() : nullptr,
                        window, in_flight, limit,
                        allowance = self->state.allowance](pqxx::connection& c) {
                  return caf::make_message(
                      run_round(c, id, book, flows, window, in_flight, limit, allowance));
                }})
      .then(
          [self](std::shared_ptr<round_outcome>& out) {
            auto& ctx = self->state.ctx;
            self->state.in_round = false;
            self->state.failed_rounds = 0;
            // Bulk sends, per contact in the order queued.
            std::map<std::string, std::vector<outbound_item>> by_contact;
            for (auto& q : out->queued)
              by_contact[q.wa_id].push_back({q.message_id, std::move(q.content_json), true});
            for (auto& [wa_id, items] : by_contact)
              self->send(ctx.meta_sync, send_atom::value, ctx.project_id, wa_id, std::move(items));
            count(self, "queued", out->queued.size());
            count(self, "skipped", out->skipped);
            if (self->state.ended) return self->quit();  // told to stop meanwhile
            if (out->status != "running") {
              // Completed, paused here, or stopped from outside (paused, cancelled).
              self->state.ended = true;
              log::info("broadcast.ended", {{"project", ctx.project_id},
                                            {"broadcast", ctx.broadcast_id},
                                            {"status", out->status}});
              self->send(ctx.project, broadcast_ended_atom::value, ctx.broadcast_id, out->status);
              publish_progress(self, [self] { self->quit(); });  // the end, then the runner
              return;
            }
            if (std::chrono::steady_clock::now() - self->state.last_progress >=
                self->state.progress_gap)
              publish_progress(self);
            auto& allowance = self->state.allowance;
            allowance =
                out->allowance < 0
                    ? -1
                    : std::max<std::int64_t>(
                          out->allowance - static_cast<std::int64_t>(out->queued.size()), 0);
            auto next = out->worked        ? std::chrono::milliseconds{20}
                        : out->window_full ? std::chrono::milliseconds{100}
                        : allowance == 0   ? std::chrono::milliseconds{60000}
                                           : std::chrono::milliseconds{250};
            self->delayed_send(self, next, caf::tick_atom::value);
          },
          [self](caf::error& err) {
            auto& ctx = self->state.ctx;
            self->state.in_round = false;
            if (self->state.ended) return self->quit();
            log::warn("broadcast.round_failed", {{"project", ctx.project_id},
                                                 {"broadcast", ctx.broadcast_id},
                                                 {"reason", reason_of(err)}});
            if (++self->state.failed_rounds >= max_failed_rounds) return fail(self, reason_of(err));
            self->delayed_send(self, std::chrono::seconds{1}, caf::tick_atom::value);
          });
}

caf::behavior runner(self_ptr self, broadcast_context ctx) {
  self->state.ctx = std::move(ctx);
  // Not linked (its normal end must not end the project actor): it ends with its project.
  self->monitor(self->state.ctx.project);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  log::info("broadcast.running",
            {{"project", self->state.ctx.project_id}, {"broadcast", self->state.ctx.broadcast_id}});
  self->send(self, caf::tick_atom::value);
  return {
      [=](caf::tick_atom) {
        // One round at a time: each one's end schedules the next.
        if (!self->state.ended && !self->state.in_round) round(self);
      },
      [=](broadcast_limit_atom, std::string& tier) {
        self->state.ctx.messaging_limit = std::move(tier);
        self->state.allowance = -1;  // counted again, in a round now (one waiting may go on)
        if (!self->state.ended && !self->state.in_round) round(self);
      },
      [=](broadcast_stop_atom) {
        self->state.ended = true;
        if (!self->state.in_round) self->quit();
      },
  };
}

}  // namespace

std::string broadcast_view(const storage::broadcast_row& b, const std::string& progress_json) {
  auto opt = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
  return json{{"id", b.id},
              {"name", b.name},
              {"template", json::parse(b.template_json, nullptr, false)},
              {"audience", json::parse(b.audience_json, nullptr, false)},
              {"components", json::parse(b.components_json, nullptr, false)},
              {"status", b.status},
              {"status_detail", opt(b.status_detail)},
              {"schedule_at", opt(b.schedule_at)},
              {"recipients", b.recipients},
              {"audience_read", b.audience_done},
              {"progress",
               progress_json.empty() ? json(nullptr) : json::parse(progress_json, nullptr, false)},
              {"created_at", b.created_at},
              {"started_at", opt(b.started_at)},
              {"finished_at", opt(b.finished_at)},
              {"updated_at", b.updated_at}}
      .dump();
}

caf::actor spawn_broadcast_runner(caf::local_actor* parent, broadcast_context ctx) {
  return parent->spawn(runner, std::move(ctx));
}

}  // namespace paige::actors
