#include "actors/project_broadcasts.hpp"

#include "actors/broadcast_runner.hpp"
#include "actors/core/broadcast_rules.hpp"
#include "actors/core/project_rules.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "common/log.hpp"
#include "storage/broadcasts.hpp"
#include "storage/project_status.hpp"
#include "storage/table_schema.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::broadcast_row>)

namespace paige::actors {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds db_timeout{30};
/// Reads of a project's broadcasts (an audience's count over a large table, a progress over
/// 100 000 recipients) never hold the broadcasts' connection for long.
constexpr const char* statement_timeout = "SET LOCAL statement_timeout = '20s'";
/// A scheduled broadcast further away than this is looked at again then (timers stay short).
constexpr std::int64_t max_timer_seconds = 24 * 60 * 60;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

caf::error no_broadcast(std::int64_t id) {
  return make_error(errc::not_found, "no broadcast " + std::to_string(id),
                    api_code::broadcast_not_found);
}

/// Work on the project database through the broadcasts' connections; `ok` gets the job's
/// answer, `rp` any error.
template <class Ok>
void run(project_self self, db_job job, caf::typed_response_promise<std::string> rp, Ok ok) {
  auto& st = self->state;
  self->request(st.svc->broadcast_db, db_timeout, run_atom::value, project_conninfo_of(st),
                std::move(job))
      .then(ok, [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// Why the project cannot run broadcasts now, if it cannot.
std::optional<caf::error> not_ready(const project_state& st) {
  if (!st.pipeline_ready)
    return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                      api_code::project_not_ready);
  if (!st.number)
    return make_error(errc::conflict, "connect a WhatsApp number first",
                      api_code::whatsapp_not_connected);
  return std::nullopt;
}

}  // namespace

std::string messaging_limit_of(const project_state& st) {
  if (!st.number) return {};
  auto health = json::parse(st.number->health_json, nullptr, false);
  return health.is_object() ? health.value("messaging_limit", std::string{}) : std::string{};
}

void tell_runners_limit(project_self self) {
  auto tier = messaging_limit_of(self->state);
  for (const auto& [id, runner] : self->state.broadcast_runners)
    self->send(runner, broadcast_limit_atom::value, tier);
}

namespace {

void start_runner(project_self self, std::int64_t id) {
  auto& st = self->state;
  if (st.broadcast_runners.count(id) || !st.pipeline_ready || !st.number || !st.svc->broadcast_db)
    return;
  broadcast_context ctx;
  ctx.project_id = st.row.id;
  ctx.broadcast_id = id;
  ctx.conninfo = project_conninfo_of(st);
  ctx.database = st.svc->broadcast_db;
  ctx.meta_sync = st.svc->meta_sync;
  ctx.events = st.events;
  ctx.project = caf::actor_cast<caf::actor>(self);
  ctx.templates = st.templates;
  ctx.flows = st.flows;
  ctx.rate = effective_settings(json::parse(st.row.settings_json, nullptr, false))
                 .value("messages_per_second", 80.0);
  ctx.metrics = st.svc->metrics;
  ctx.messaging_limit = messaging_limit_of(st);
  st.broadcast_runners[id] = spawn_broadcast_runner(self, std::move(ctx));
}

void stop_runner(project_self self, std::int64_t id) {
  auto& runners = self->state.broadcast_runners;
  auto it = runners.find(id);
  if (it == runners.end()) return;
  self->send(it->second, broadcast_stop_atom::value);
  runners.erase(it);
}

/// Problems of a table audience against the table as it is now (none for other audiences).
std::vector<problem> table_problems(pqxx::transaction_base& tx, const json& b) {
  const auto& audience = b["audience"];
  if (!audience.contains("table")) return {};
  std::optional<std::vector<std::string>> columns;
  if (auto table = storage::describe_table(tx, audience["table"].get<std::string>())) {
    columns.emplace();
    for (const auto& c : table->columns) columns->push_back(c.name);
  }
  return broadcasts::check_table(b, columns);
}

/// The 422 for those problems, each with its pointer in `details.problems`.
caf::error invalid_broadcast(const std::string& problems_json) {
  auto problems = json::parse(problems_json);
  return make_error(errc::invalid_argument, problems[0].value("message", ""),
                    api_code::invalid_broadcast, json{{"problems", problems}}.dump());
}

void arm(project_self self, std::int64_t id, std::int64_t at) {
  auto wait = std::clamp<std::int64_t>(at - unix_now(), 0, max_timer_seconds);
  self->delayed_send(self, std::chrono::seconds{wait}, broadcast_due_atom::value, id);
}

}  // namespace

caf::result<std::string> create_broadcast(project_self self, std::string body_json,
                                          std::int64_t schedule_at) {
  if (auto err = not_ready(self->state)) return *err;
  auto rp = self->make_response_promise<std::string>();
  auto body = json::parse(body_json);
  run(
      self,
      [body, schedule_at](pqxx::connection& c) {
        pqxx::work tx{c};
        // A table audience: the table and every column it names must exist.
        if (auto problems = table_problems(tx, body); !problems.empty())
          return caf::make_message(std::string{}, problems_json(problems).dump());
        auto id = storage::insert_broadcast(tx, body.value("name", ""), body["template"].dump(),
                                            body.value("components", json::array()).dump(),
                                            body["audience"].dump(), schedule_at);
        auto row = storage::find_broadcast(tx, id).value();
        tx.commit();
        return caf::make_message(broadcast_view(row, ""), std::string{});
      },
      rp,
      [self, rp, schedule_at](std::string& view, std::string& problems) mutable {
        if (view.empty()) return rp.deliver(invalid_broadcast(problems)), void();
        auto id = json::parse(view)["id"].get<std::int64_t>();
        log::info("broadcast.created", {{"project", self->state.row.id}, {"broadcast", id}});
        if (schedule_at > 0)
          arm(self, id, schedule_at);
        else
          start_runner(self, id);
        rp.deliver(std::move(view));
      });
  return rp;
}

caf::result<std::string> list_broadcasts(project_self self, std::int64_t before, int limit) {
  if (!self->state.pipeline_ready) return *not_ready(self->state);
  auto rp = self->make_response_promise<std::string>();
  run(
      self,
      [before, limit](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        tx.exec0(statement_timeout);
        auto rows = storage::list_broadcasts(tx, before, limit + 1);
        json out{{"items", json::array()}, {"next_before", 0}};
        bool more = static_cast<int>(rows.size()) > limit;
        if (more) rows.pop_back();
        for (const auto& b : rows) out["items"].push_back(json::parse(broadcast_view(b, "")));
        if (more) out["next_before"] = rows.back().id;
        return caf::make_message(out.dump());
      },
      rp, [rp](std::string& page) mutable { rp.deliver(std::move(page)); });
  return rp;
}

caf::result<std::string> get_broadcast(project_self self, std::int64_t id) {
  if (!self->state.pipeline_ready) return *not_ready(self->state);
  auto rp = self->make_response_promise<std::string>();
  run(
      self,
      [id](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        tx.exec0(statement_timeout);
        auto b = storage::find_broadcast(tx, id);
        return caf::make_message(b ? broadcast_view(*b, storage::broadcast_progress(tx, id))
                                   : std::string{});
      },
      rp,
      [rp, id](std::string& view) mutable {
        if (view.empty()) return rp.deliver(no_broadcast(id)), void();
        rp.deliver(std::move(view));
      });
  return rp;
}

caf::result<std::string> list_recipients(project_self self, std::int64_t id, std::string status,
                                         std::int64_t after_seq, int limit) {
  if (!self->state.pipeline_ready) return *not_ready(self->state);
  auto rp = self->make_response_promise<std::string>();
  run(
      self,
      [id, status, after_seq, limit](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        tx.exec0(statement_timeout);
        if (!storage::find_broadcast(tx, id)) return caf::make_message(std::string{});
        return caf::make_message(storage::broadcast_recipients(tx, id, status, after_seq, limit));
      },
      rp,
      [rp, id](std::string& items) mutable {
        if (items.empty()) return rp.deliver(no_broadcast(id)), void();
        rp.deliver(std::move(items));
      });
  return rp;
}

caf::result<std::string> control_broadcast(project_self self, std::int64_t id, std::string action) {
  if (!self->state.pipeline_ready) return *not_ready(self->state);
  std::vector<std::string> from;
  std::string to;
  if (action == "pause") {
    from = {"running", "scheduled"}, to = "paused";
  } else if (action == "resume") {
    from = {"paused"}, to = "running";
  } else {
    from = {"scheduled", "running", "paused"}, to = "cancelled";
  }
  auto rp = self->make_response_promise<std::string>();
  run(
      self,
      [id, from, to](pqxx::connection& c) {
        pqxx::work tx{c};
        auto before = storage::find_broadcast(tx, id);
        if (!before)
          return caf::make_message(std::string{}, std::string{}, std::string{}, std::int64_t{0});
        // A scheduled broadcast paused before its time resumes waiting for it.
        auto target =
            to == "running" && before->started_at.empty() && before->schedule_epoch > unix_now()
                ? std::string{"scheduled"}
                : to;
        bool moved = storage::move_broadcast(tx, id, from, target);
        auto after = storage::find_broadcast(tx, id).value();
        tx.commit();
        return caf::make_message(broadcast_view(after, ""), moved ? std::string{} : before->status,
                                 after.status, after.schedule_epoch);
      },
      rp,
      [self, rp, id, action](std::string& view, std::string& refused_in, std::string& status,
                             std::int64_t schedule_at) mutable {
        if (view.empty()) return rp.deliver(no_broadcast(id)), void();
        if (!refused_in.empty())
          return rp.deliver(make_error(errc::conflict,
                                       "a " + refused_in + " broadcast cannot " + action,
                                       api_code::broadcast_state)),
                 void();
        log::info("broadcast." + action, {{"project", self->state.row.id}, {"broadcast", id}});
        // Messages already queued still go out: they are the outbox's now.
        if (status == "running")
          start_runner(self, id);
        else if (status == "scheduled")
          arm(self, id, schedule_at);
        else
          stop_runner(self, id);
        rp.deliver(std::move(view));
      });
  return rp;
}

caf::result<std::string> count_audience(project_self self, std::string audience_json) {
  if (!self->state.pipeline_ready) return *not_ready(self->state);
  auto rp = self->make_response_promise<std::string>();
  run(
      self,
      [audience_json](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        tx.exec0(statement_timeout);
        if (auto problems = table_problems(tx, json{{"audience", json::parse(audience_json)}});
            !problems.empty())
          return caf::make_message(std::string{}, problems_json(problems).dump());
        return caf::make_message(json{{"count", storage::count_audience(tx, audience_json)}}.dump(),
                                 std::string{});
      },
      rp,
      [rp](std::string& answer, std::string& problems) mutable {
        if (answer.empty()) return rp.deliver(invalid_broadcast(problems)), void();
        rp.deliver(std::move(answer));
      });
  return rp;
}

void resume_broadcasts(project_self self) {
  auto& st = self->state;
  if (!st.svc->broadcast_db) return;  // a configuration without broadcasts (tests)
  self->request(st.svc->broadcast_db, db_timeout, run_atom::value, project_conninfo_of(st),
                db_job{[](pqxx::connection& c) {
                  pqxx::read_transaction tx{c};
                  tx.exec0(statement_timeout);
                  return caf::make_message(storage::live_broadcasts(tx));
                }})
      .then(
          [self](std::vector<storage::broadcast_row>& rows) {
            for (const auto& b : rows) {
              if (b.status == "running")
                start_runner(self, b.id);
              else
                arm(self, b.id, b.schedule_epoch);
            }
          },
          [self](caf::error& err) {
            log::warn("broadcast.resume_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            self->delayed_send(self, std::chrono::seconds{5}, broadcast_due_atom::value,
                               std::int64_t{0});
          });
}

void wake_broadcast(project_self self, std::int64_t id) {
  auto& st = self->state;
  if (id == 0) return resume_broadcasts(self);  // reading them failed: once more
  self->request(st.svc->broadcast_db, db_timeout, run_atom::value, project_conninfo_of(st),
                db_job{[id](pqxx::connection& c) {
                  pqxx::work tx{c};
                  auto b = storage::find_broadcast(tx, id);
                  if (!b || b->status != "scheduled") return caf::make_message(std::int64_t{-1});
                  if (b->schedule_epoch > unix_now()) return caf::make_message(b->schedule_epoch);
                  storage::move_broadcast(tx, id, {"scheduled"}, "running");
                  tx.commit();
                  return caf::make_message(std::int64_t{0});
                }})
      .then(
          [self, id](std::int64_t later) {
            if (later > 0) return arm(self, id, later);
            if (later == 0) start_runner(self, id);
          },
          [self, id](caf::error&) {
            self->delayed_send(self, std::chrono::seconds{5}, broadcast_due_atom::value, id);
          });
}

void broadcast_ended(project_self self, std::int64_t id, const std::string& status) {
  // Only if it is still this broadcast's runner (a resume may have started another).
  auto& runners = self->state.broadcast_runners;
  auto it = runners.find(id);
  if (it != runners.end() && it->second.address() == self->current_sender()) runners.erase(it);
  log::info("broadcast.runner_ended",
            {{"project", self->state.row.id}, {"broadcast", id}, {"status", status}});
}

}  // namespace paige::actors
