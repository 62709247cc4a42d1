#include "actors/bot_preview.hpp"

#include "actors/bot_fetches.hpp"
#include "actors/core/code_bot_contract.hpp"
#include "actors/errors.hpp"
#include "actors/persistence.hpp"
#include "actors/project_types.hpp"
#include "storage/project_schema.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace paige::actors {
namespace {

using json = nlohmann::json;

/// Longest a preview step's writes may run before they are rolled back.
constexpr std::chrono::seconds preview_write_timeout{5};

struct preview_state {
  static constexpr const char* name = "bot_preview";
  preview_setup setup;
  caf::response_promise rp;
  bot::conversation_view conv;
  std::size_t index = 0;  ///< the message running
  bot::preview_step step;
  std::vector<bot::fetch_result> fetched;
  json records = json::array();
};

using self_ptr = caf::stateful_actor<preview_state>*;

void run_message(self_ptr self);

bot::inbound_view inbound_of(const preview_state& st) {
  return view_of(bot::preview_wamid(st.index), st.step.message);
}

/// The step ran (or was skipped): recorded; a close makes the next message open a new
/// conversation, in the initial state.
void finish_step(self_ptr self) {
  auto& st = self->state;
  st.records.push_back(bot::preview_record(st.step));
  st.conv.state = st.step.result.state;
  st.conv.vars = st.step.result.vars.is_object() ? st.step.result.vars : json::object();
  if (st.step.result.close) {
    st.conv.state = st.setup.bot->initial_state;
    st.conv.vars = json::object();
  }
  ++st.index;
  run_message(self);
}

/// Marks the step skipped without effects (the conversation stays as it was), as a live step
/// that could not run.
void skip(self_ptr self, std::string code, std::string detail) {
  auto& st = self->state;
  st.step.result = bot::step_result{};
  st.step.result.state = st.conv.state;
  st.step.result.vars = st.conv.vars;
  st.step.skipped = std::move(code);
  st.step.skipped_detail = std::move(detail);
  finish_step(self);
}

/// Runs the step's writes in a transaction that is rolled back: a write that would fail
/// (a missing table or column, a constraint) skips the step, as it would live.
void try_writes(self_ptr self, bot::step_result result) {
  auto& st = self->state;
  st.step.result = std::move(result);
  if (st.step.result.saves.empty()) return finish_step(self);
  auto timeout = preview_write_timeout;
  self->request(
          st.setup.ctx->bot_queries, bot_query_wait + timeout + std::chrono::seconds{5},
          run_atom::value, st.setup.ctx->conninfo,
          db_job{[saves = st.step.result.saves, timeout](pqxx::connection& c) {
            pqxx::work tx{c};
            tx.exec0("SET LOCAL statement_timeout = " + std::to_string(timeout.count() * 1000));
            for (const auto& save : saves) apply_save(tx, save);
            tx.abort();
            return caf::make_message(caf::ok_atom::value);
          }})
      .then([self](caf::ok_atom) { finish_step(self); },
            [self](caf::error& err) {
              auto state = sqlstate_of(err);
              skip(self, "step_failed",
                   "the step's writes failed" +
                       (state.empty() ? std::string{} : " (SQLSTATE " + state + ")") + ": " +
                       reason_of(err));
            });
}

void run_declarative(self_ptr self);

/// Keeps what a query or request gave, and runs the step again with it.
void fetched(self_ptr self, const bot::fetch_request& asked, bot::fetch_result got) {
  auto& st = self->state;
  st.step.fetches.push_back(bot::fetch_record(asked, got));
  st.fetched.push_back(std::move(got));
  run_declarative(self);
}

/// Runs the step of a declarative bot in rounds, its queries and requests run as a live
/// step's (decision 0020).
void run_declarative(self_ptr self) {
  auto& st = self->state;
  bot::step_result result;
  try {
    result = bot::run_step(*st.setup.bot, st.conv, inbound_of(st), st.fetched);
  } catch (const bot::step_refused& e) {
    return skip(self, e.code, e.what());
  } catch (const std::exception& e) {
    return skip(self, "step_failed", e.what());
  }
  if (!result.fetch) return try_writes(self, std::move(result));
  auto fetch = std::move(*result.fetch);
  const auto& ctx = *st.setup.ctx;
  if (fetch.what == bot::fetch_request::kind::http) {
    auto project = caf::actor_cast<caf::actor>(ctx.project);
    self->request(project, bot_request_deadline(fetch), bot_http_atom::value, fetch)
        .then([self, fetch](bot_reply& reply) { fetched(self, fetch, request_answer(reply)); },
              [self, fetch](caf::error& err) {
                fetched(self, fetch, {false, json::array(), reason_of(err)});
              });
    return;
  }
  self->request(ctx.bot_queries, bot_query_deadline(fetch), run_atom::value, ctx.conninfo,
                bot_query_job(fetch, ctx.watchdog))
      .then([self, fetch](
                storage::database_outcome& outcome) { fetched(self, fetch, query_rows(outcome)); },
            [self, fetch](caf::error& err) { fetched(self, fetch, query_failed(err)); });
}

/// Posts the step's event (marked `preview`) to the code bot: to its URL, or to the hosted
/// version's process through the bot runner.
void run_code(self_ptr self) {
  auto& st = self->state;
  const auto& target = *st.setup.bot->code;
  bot::event_context event{st.setup.ctx->project_id, 0, false, st.step.message, true};
  auto body = bot::event_body(event, st.conv, inbound_of(st));
  auto answered = [self](const bot_reply& reply) {
    auto& st = self->state;
    const auto& system = storage::system_table_names();
    auto result = bot::step_of_exchange(
        {reply.status, reply.timed_out, reply.error, reply.body}, st.conv, *st.setup.bot->code,
        {system.begin(), system.end()}, st.step.skipped, st.step.skipped_detail);
    try_writes(self, std::move(result));
  };
  auto failed = [answered](caf::error& err) {
    bot_reply r;
    r.timed_out = err == caf::sec::request_timeout;
    r.error = reason_of(err);
    answered(r);
  };
  if (st.setup.launch) {
    // A version not running yet installs and starts first.
    auto wait = hosted_deploy_wait + target.timeout;
    self->request(st.setup.ctx->bot_runner, wait, bot_preview_atom::value, st.setup.ctx->project_id,
                  *st.setup.launch, st.setup.bot->code, std::move(body))
        .then([answered](bot_reply& reply) { answered(reply); }, failed);
    return;
  }
  self->request(st.setup.ctx->bot_caller, target.timeout, bot_event_atom::value, st.setup.bot->code,
                std::int64_t{0}, std::move(body))
      .then([answered](bot_reply& reply) { answered(reply); }, failed);
}

/// Runs the next message, or answers the preview once every one ran.
void run_message(self_ptr self) {
  auto& st = self->state;
  const auto& messages = st.setup.request.messages;
  if (st.index == messages.size()) {
    json out{{"version", st.setup.version},
             {"kind", st.setup.bot->code ? "code" : "declarative"},
             {"contact", {{"wa_id", st.conv.wa_id}, {"name", st.conv.contact_name}}},
             {"steps", st.records},
             {"state", st.conv.state},
             {"vars", st.conv.vars}};
    st.rp.deliver(out.dump(-1, ' ', false, json::error_handler_t::replace));
    self->quit();
    return;
  }
  st.step = bot::preview_step{};
  st.step.message = messages[st.index];
  st.step.from_state = st.conv.state;
  st.fetched.clear();
  if (st.setup.bot->code) return run_code(self);
  // A conversation in a state its bot no longer declares starts over (run_step).
  run_declarative(self);
}

caf::behavior preview(self_ptr self, preview_setup setup, caf::response_promise rp) {
  auto& st = self->state;
  const auto& request = setup.request;
  // No conversation exists: its id is 0 (a number, as bots may read it).
  st.conv = {request.wa_id, request.name, "0", request.state.value_or(setup.bot->initial_state),
             request.vars};
  st.setup = std::move(setup);
  st.rp = std::move(rp);
  run_message(self);
  // Everything else it hears are the answers to its requests; it quits once it answered.
  return {[](caf::ok_atom) {}};
}

}  // namespace

void run_bot_preview(caf::local_actor* parent, preview_setup setup, caf::response_promise rp) {
  parent->spawn(preview, std::move(setup), std::move(rp));
}

}  // namespace paige::actors
