#include "actors/project_actor.hpp"

#include "common/text_checks.hpp"

#include "actors/account_events.hpp"
#include "actors/broadcast_runner.hpp"
#include "actors/core/project_rules.hpp"
#include "actors/core/secret_rules.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/meta_sync.hpp"
#include "actors/number_directory.hpp"
#include "actors/persistence.hpp"
#include "actors/project_broadcasts.hpp"
#include "actors/project_code_bot.hpp"
#include "actors/project_flows.hpp"
#include "actors/project_preview.hpp"
#include "actors/project_templates.hpp"
#include "actors/provisioner.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/text_checks.hpp"
#include "storage/conversation_changes.hpp"
#include "storage/conversation_queries.hpp"
#include "storage/project_secrets.hpp"
#include "storage/provisioning.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <map>
#include <pqxx/pqxx>

namespace paige::actors {

namespace {

using self_ptr = caf::stateful_actor<project_state>*;
using upgrade_atom = caf::atom_constant<caf::atom("upgrade")>;
using token_retry_atom = caf::atom_constant<caf::atom("tokenretry")>;

constexpr std::chrono::seconds persist_timeout{15};
/// The message path's requests (to conversations and to the persistence worker) carry no
/// CAF timeout (docs/decisions/0003).
const caf::duration until_answered{caf::infinite};

metrics::gauge& projects_gauge(const project_services& svc, const std::string& status) {
  return svc.metrics->gauges("paige_projects", "projects by status", {"status"}).with({status});
}

/// Moves this project from the status it is counted in to `to` (nullopt or deleted: none).
void recount(const project_services& svc, std::string& counted,
             std::optional<storage::project_status> to) {
  auto next =
      !to || *to == storage::project_status::deleted ? std::string{} : storage::to_string(*to);
  if (!svc.metrics || counted == next) return;
  if (!counted.empty()) projects_gauge(svc, counted).add(-1);
  if (!next.empty()) projects_gauge(svc, next).add(1);
  counted = next;
}

storage::project_database database_of(const project_state& st) {
  return {st.row.db_name, st.row.db_role,
          secrets::unseal(st.svc->master_key, st.row.db_password_sealed)};
}

/// The project's temp_file_limit_mb setting.
int temp_file_limit_mb(const project_state& st) {
  return effective_settings(nlohmann::json::parse(st.row.settings_json, nullptr, false))
      .value("temp_file_limit_mb", 1024);
}

void start_provisioning(self_ptr self) {
  auto& st = self->state;
  st.provisioning_since = std::chrono::steady_clock::now();
  auto db = database_of(st);
  self->send(st.svc->provisioner, provision_atom::value, caf::actor_cast<caf::actor>(self), db.name,
             db.role, db.password, provision_options{temp_file_limit_mb(st), false});
}

/// A live project whose database an earlier build provisioned: the provisioning steps run
/// again (they are idempotent) before its pipeline starts; see storage::current_project_layout.
void start_upgrade(self_ptr self) {
  auto& st = self->state;
  st.upgrading = true;
  log::info(
      "project.upgrading",
      {{"project", st.row.id}, {"layout", st.row.layout}, {"to", storage::current_project_layout}});
  auto db = database_of(st);
  self->send(st.svc->provisioner, provision_atom::value, caf::actor_cast<caf::actor>(self), db.name,
             db.role, db.password, provision_options{temp_file_limit_mb(st), true});
}

void start_deprovisioning(self_ptr self) {
  auto& st = self->state;
  if (st.svc->bot_runner) self->send(st.svc->bot_runner, bot_forget_atom::value, st.row.id);
  self->send(st.svc->provisioner, deprovision_atom::value, caf::actor_cast<caf::actor>(self),
             st.row.db_name, st.row.db_role);
}

/// Writes the row change `job` makes, then adopts the stored row and calls `done` with it.
/// Holds back every other message until then (await), so transitions never interleave.
template <class Done>
void persist(self_ptr self, db_job job, Done done, std::function<void(caf::error&)> failed) {
  auto ticket = whatsapp_ticket(self->state);
  self->request(self->state.svc->control_db, persist_timeout, run_atom::value, std::move(job))
      .await(
          [self, done, ticket](storage::project_row& row) mutable {
            auto& st = self->state;
            recount(*st.svc, *st.counted, row.status);
            // The whatsapp view only if no read asked later was shown already.
            auto shown = std::move(st.row.whatsapp_json);
            auto fresh = std::move(row.whatsapp_json);
            st.row = std::move(row);
            st.row.whatsapp_json = std::move(shown);
            show_whatsapp(st, ticket, std::move(fresh));
            done(st.row);
          },
          [failed](caf::error& err) mutable { failed(err); });
}

/// Applies the project's temp_file_limit_mb to its role (new sessions get it).
void apply_role_limits(self_ptr self) {
  auto& st = self->state;
  self->request(
          st.svc->admin_db, persist_timeout, run_atom::value,
          db_job{[role = st.row.db_role, mb = temp_file_limit_mb(st)](pqxx::connection& admin) {
            return caf::make_message(storage::set_role_limits(admin, role, mb));
          }})
      .then(
          [self](bool applied) {
            if (!applied)
              log::warn("project.role_limits_unset",
                        {{"project", self->state.row.id}, {"reason", "not a superuser"}});
          },
          [self](caf::error& err) {
            log::error("project.role_limits_failed",
                       {{"project", self->state.row.id}, {"reason", reason_of(err)}});
          });
}

/// Adopts a stored bot version, compiling it for the conversations.
void adopt_bot(self_ptr self, storage::bot_row row) {
  auto compiled =
      bot::compile(nlohmann::json::parse(row.definition_json), {}, bot::compile_mode::stored);
  if (auto* def = std::get_if<bot::definition>(&compiled)) {
    if (def->code) {
      auto target = *def->code;
      target.secret = self->state.bot_secret;
      def->code = std::make_shared<const bot::code_target>(std::move(target));
    }
    self->state.bot = std::make_shared<const bot::definition>(std::move(*def));
  } else {
    self->state.bot.reset();
    log::error("bot.invalid_stored_version",
               {{"project", self->state.row.id}, {"version", row.version}});
  }
  self->state.bot_version = std::move(row);
}

/// Stores `definition` as the project's new bot version and adopts it; a code bot's project
/// gets its bot secret with its first one (shown this once, in the answer). `then` gets the
/// answer (null when the version could not be stored) before `rp` does.
void store_bot_version(self_ptr self, const std::string& definition,
                       caf::typed_response_promise<bot_info> rp,
                       std::function<void(bot_info*)> then) {
  // A code bot's events are signed: its project gets a bot secret with its first one.
  bool code = bot::is_code_bot(nlohmann::json::parse(definition, nullptr, false));
  auto fresh = code && self->state.bot_secret.empty() ? secrets::random_hex(32) : "";
  self->request(
          self->state.svc->control_db, persist_timeout, run_atom::value,
          db_job{[id = self->state.row.id, definition, key = self->state.svc->master_key,
                  fresh](pqxx::connection& c) {
            pqxx::work tx{c};
            auto row = storage::insert_bot_version(tx, id, definition);
            // Made here unless a concurrent request made one first.
            bool made = !fresh.empty() && storage::add_secret_if_absent(tx, id, bot_secret_name,
                                                                        secrets::seal(key, fresh));
            auto sealed = fresh.empty() || made
                              ? std::string{}
                              : storage::sealed_secret(tx, id, bot_secret_name).value_or("");
            tx.commit();
            return caf::make_message(std::move(row), made ? fresh : std::string{},
                                     sealed.empty() ? std::string{} : secrets::unseal(key, sealed));
          }})
      .await(
          [self, rp, then](storage::bot_row& row, std::string& made,
                           std::string& existing) mutable {
            log::info("bot.version", {{"project", self->state.row.id}, {"version", row.version}});
            if (!made.empty()) self->state.bot_secret = made;
            if (!existing.empty()) self->state.bot_secret = existing;
            adopt_bot(self, row);
            auto info = to_bot_info(row);
            info.secret = std::move(made);
            then(&info);
            rp.deliver(std::move(info));
          },
          [rp, then](caf::error& err) mutable {
            then(nullptr);
            rp.deliver(err);
          });
}

/// A hosted bot's new version: the project's bot secret made first (its process signs with
/// it), then the version installed and started beside the running one; stored once it answers
/// its health check, and only then given the events. A version that fails to install or start
/// is refused with its output, and the running one stays.
void deploy_then_store(self_ptr self, const std::string& definition,
                       caf::typed_response_promise<bot_info> rp) {
  auto compiled = bot::compile(nlohmann::json::parse(definition), {}, bot::compile_mode::stored);
  auto* def = std::get_if<bot::definition>(&compiled);
  if (!def || !def->code || !def->code->hosted || !self->state.svc->bot_runner) {
    rp.deliver(make_error(errc::internal, "this server does not host code bots"));
    return;
  }
  auto code = def->code->hosted;
  auto fresh = secrets::random_hex(32);
  self->request(self->state.svc->control_db, persist_timeout, run_atom::value,
                db_job{[id = self->state.row.id, key = self->state.svc->master_key,
                        fresh](pqxx::connection& c) {
                  pqxx::work tx{c};
                  bool made = storage::add_secret_if_absent(tx, id, bot_secret_name,
                                                            secrets::seal(key, fresh));
                  ensure_bot_api_key(tx, id, key);
                  tx.commit();
                  return caf::make_message(made, storage::sealed_secrets(c, id));
                }})
      .then(
          [self, rp, code, definition, fresh](bool made,
                                              std::map<std::string, std::string>& sealed) mutable {
            auto& st = self->state;
            if (made) st.bot_secret = fresh;
            auto launch = hosted_launch(st, code, sealed);
            auto key = launch.key;
            self->request(st.svc->bot_runner, hosted_deploy_wait, bot_deploy_atom::value, st.row.id,
                          std::move(launch))
                .then(
                    [self, rp, definition, key, made, fresh](bot_deployed& deployed) mutable {
                      if (!deployed.ok) return rp.deliver(deploy_error(deployed)), void();
                      store_bot_version(
                          self, definition, rp, [self, key, made, fresh](bot_info* stored) {
                            // The secret made for this deploy, shown this once.
                            if (stored && made) stored->secret = fresh;
                            self->send(self->state.svc->bot_runner, bot_activate_atom::value,
                                       self->state.row.id, key, stored != nullptr);
                          });
                    },
                    [rp](caf::error& err) mutable { rp.deliver(err); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// Asks the account actor for the number's business profile, or changes it first
/// (`patch_json` not empty, already checked).
/// What a profile request asks the account actor (a read, a change, a photo).
struct profile_request {
  std::string patch_json;  ///< a checked change (empty: a read)
  std::string photo;       ///< a checked photo's bytes (with photo_mime)
  std::string photo_mime;
};

caf::result<std::string> ask_profile(self_ptr self, profile_request req) {
  auto& st = self->state;
  if (!st.number)
    return make_error(errc::conflict, "connect a WhatsApp number first",
                      api_code::whatsapp_not_connected);
  // One at a time: the account actor answers in turn (for up to a minute each when Meta is
  // slow), and a queue of them would hold back connecting the number.
  if (st.profile_busy)
    return make_error(errc::busy, "a profile request is already with Meta; retry shortly",
                      api_code::profile_busy);
  st.profile_busy = true;
  auto rp = self->make_response_promise<std::string>();
  auto deliver = [self, rp](std::string& profile) mutable {
    self->state.profile_busy = false;
    rp.deliver(std::move(profile));
  };
  auto fail = [self, rp](caf::error& err) mutable {
    self->state.profile_busy = false;
    rp.deliver(err);
  };
  if (!req.photo.empty())
    self->request(st.account, caf::infinite, photo_atom::value, *st.number, std::move(req.photo),
                  std::move(req.photo_mime))
        .then(deliver, fail);
  else if (req.patch_json.empty())
    self->request(st.account, caf::infinite, profile_get_atom::value, *st.number)
        .then(deliver, fail);
  else
    self->request(st.account, caf::infinite, profile_set_atom::value, *st.number,
                  std::move(req.patch_json))
        .then(deliver, fail);
  return rp;
}

/// Meta refused the number's token (meta_sync holds its sends): stored on the number, so the
/// project shows it until the number is connected again, and published. Not awaited: webhooks
/// and replies go on meanwhile. A refusal of a token replaced since (the number connected again)
/// marks nothing; a control database that is away is asked again, a few times, with backoff.
void mark_token_refused(self_ptr self, const std::string& token, const std::string& error_json,
                        int attempt) {
  auto& st = self->state;
  if (!st.number || secrets::unseal(st.svc->master_key, st.number->access_token_sealed) != token)
    return;
  auto number_id = st.number->phone_number_id;
  auto ticket = whatsapp_ticket(st);
  self->request(st.svc->control_db, persist_timeout, run_atom::value,
                db_job{[number_id, sealed = st.number->access_token_sealed, error_json,
                        id = st.row.id](pqxx::connection& c) {
                  auto changed = storage::mark_token_invalid(c, number_id, sealed, error_json);
                  return caf::make_message(changed, storage::find_project(c, id).value());
                }})
      .then(
          [self, token, number_id, error_json, ticket](bool changed, storage::project_row& row) {
            auto& st = self->state;
            // Only the number's part of the row: the rest may have changed meanwhile.
            if (st.number && st.number->phone_number_id == number_id)
              show_whatsapp(st, ticket, std::move(row.whatsapp_json));
            if (!changed) return;
            log::warn("whatsapp.token_invalid",
                      {{"project", st.row.id}, {"phone_number_id", number_id}});
            if (st.events)
              self->send(
                  st.events, publish_atom::value, std::string{"whatsapp.token_invalid"},
                  std::int64_t{0},
                  nlohmann::json{{"type", "whatsapp.token_invalid"},
                                 {"conversation_id", 0},
                                 {"phone_number_id", number_id},
                                 {"error", nlohmann::json::parse(error_json, nullptr, false)}}
                      .dump());
          },
          [self, token, error_json, attempt](caf::error& err) {
            if (code_of(err) != errc::db_unavailable && code_of(err) != errc::timeout) {
              log::error("whatsapp.token_invalid_not_stored",
                         {{"project", self->state.row.id}, {"reason", to_string(code_of(err))}});
              return;
            }
            if (attempt >= 6) return;  // the sends wait anyway; the next refusal tells again
            self->delayed_send(self, std::chrono::seconds{1 << attempt}, token_retry_atom::value,
                               token, error_json, attempt + 1);
          });
}

void adopt_number(self_ptr self, storage::number_row number);
void register_number(self_ptr self);

/// The project's whatsapp view read again (a signup changed it in the control database).
void reload_whatsapp(self_ptr self, std::function<void()> then) {
  auto ticket = whatsapp_ticket(self->state);
  self->request(self->state.svc->control_db, persist_timeout, run_atom::value,
                db_job{[id = self->state.row.id](pqxx::connection& c) {
                  return caf::make_message(storage::find_project(c, id).value());
                }})
      .then(
          [self, then, ticket](storage::project_row& row) {
            show_whatsapp(self->state, ticket, std::move(row.whatsapp_json));
            then();
          },
          [then](caf::error&) { then(); });
}

/// Runs an embedded signup with the account actor (new, or resumed: `req` empty), without
/// holding this actor's other messages: webhooks and replies go on meanwhile. One at a time;
/// a deletion waits for it. `rp` (if any) gets the project once connected, or the error.
void run_signup(self_ptr self, std::optional<caf::typed_response_promise<project_info>> rp,
                std::optional<signup_request> req) {
  auto& st = self->state;
  st.signup_busy = true;
  auto done = [self, rp](caf::expected<storage::number_row> n) mutable {
    self->state.signup_busy = false;
    if (n && self->state.row.status != storage::project_status::deleting) {
      adopt_number(self, *n);
      register_number(self);
      templates_changed(self, nlohmann::json::array(), true);  // the WABA's templates from Meta
    }
    reload_whatsapp(self, [self, rp, n]() mutable {
      if (!rp) return;
      if (n)
        rp->deliver(to_info(self->state.row));
      else
        rp->deliver(n.error());
    });
  };
  auto ok = [done](storage::number_row& n) mutable { done(std::move(n)); };
  auto fail = [done](caf::error& err) mutable { done(std::move(err)); };
  if (req)
    self->request(st.account, caf::infinite, signup_atom::value, std::move(*req)).then(ok, fail);
  else
    self->request(st.account, caf::infinite, signup_atom::value).then(ok, fail);
}

/// Routes the number's webhooks here, unless the project is on its way out.
void adopt_number(self_ptr self, storage::number_row number) {
  auto& st = self->state;
  if (st.svc->numbers && st.row.status != storage::project_status::deleting &&
      st.row.status != storage::project_status::deleted)
    st.svc->numbers->set(number.phone_number_id, caf::actor_cast<caf::actor>(self));
  st.number = std::move(number);
  load_templates(self);
  load_flows(self);
  arm_template_sync(self);
}

/// The number's send rate from the project's settings.
double send_rate(const project_state& st) {
  auto settings = effective_settings(nlohmann::json::parse(st.row.settings_json, nullptr, false));
  return settings.value("messages_per_second", 80.0);
}

/// Reads the outbox (every outbound message still `queued`) and hands it to the Meta sync
/// supervisor, which sends what it does not know yet, per contact in id order. One read at a
/// time; asked again meanwhile, it reads once more after.
void resync_outbox(self_ptr self) {
  auto& st = self->state;
  if (!st.number || !st.pipeline_ready) return;
  if (st.outbox_reading) {
    st.outbox_again = true;
    return;
  }
  st.outbox_reading = true;
  st.outbox_again = false;
  auto done = [self] {
    auto& s = self->state;
    s.outbox_reading = false;
    if (s.outbox_again) resync_outbox(self);
  };
  self->request(st.conversation_ctx->persistence, until_answered, run_atom::value, st.row.id,
                tx_job{[](pqxx::transaction_base& tx) {
                  return caf::make_message(storage::queued_outbound(tx));
                }})
      .then(
          [self, done](std::vector<storage::queued_row>& queued) {
            self->state.outbox_failures = 0;
            std::map<std::string, std::vector<outbound_item>> by_contact;
            for (auto& q : queued)
              by_contact[q.wa_id].push_back({q.id, std::move(q.content_json), q.bulk});
            for (auto& [wa_id, items] : by_contact)
              self->send(self->state.svc->meta_sync, send_atom::value, self->state.row.id, wa_id,
                         std::move(items));
            done();
          },
          [self, done](caf::error& err) {
            auto& s = self->state;
            // Read again later: a lost connection also says when it is back (reconnected_atom),
            // but a timeout or an error does not.
            auto delay = std::chrono::seconds{1} * (1 << std::min(s.outbox_failures++, 5));
            log::warn("outbound.resume_failed",
                      {{"project", s.row.id},
                       {"reason", to_string(code_of(err))},
                       {"retry_ms", static_cast<long>(std::chrono::milliseconds{delay}.count())}});
            // One retry armed at a time, and no read again at once: that is what failed.
            s.outbox_again = false;
            if (!s.outbox_retry_armed) {
              s.outbox_retry_armed = true;
              self->delayed_send(self, delay, reconnected_atom::value, s.row.id);
            }
            done();
          });
}

/// Hands the number and its (unsealed) token to the Meta sync supervisor, and re-queues what
/// was waiting to be sent.
void register_number(self_ptr self) {
  auto& st = self->state;
  if (!st.number || !st.pipeline_ready) return;
  auto& ctx = *st.conversation_ctx;
  settle_number_health(self, true);  // the hold first: number_atom keeps it
  self->send(st.svc->meta_sync, number_atom::value, st.row.id, st.number->phone_number_id,
             secrets::unseal(st.svc->master_key, st.number->access_token_sealed), ctx.persistence,
             caf::actor_cast<caf::actor>(self), send_rate(st));
  resync_outbox(self);
  resume_broadcasts(self);
}

/// The conversation actor of `wa_id` (spawned if it has none), noted as just used.
const caf::actor& conversation_for(self_ptr self, const std::string& wa_id) {
  return self->state.conversations->for_contact(self, self->state.conversation_ctx, wa_id);
}

/// Once the project database is usable: register it with its persistence worker, hand the
/// number to the Meta sync supervisor, and run the steps a crash left undone. Blocks other
/// messages until the unhandled messages are dispatched, so new ones queue behind them.
void start_pipeline(self_ptr self) {
  auto& st = self->state;
  if (st.pipeline_ready) return;
  if (!st.svc->persistence) return;  // a configuration without a message pipeline (tests)
  auto ctx = std::make_shared<conversation_context>();
  ctx->project_id = st.row.id;
  ctx->persistence = st.svc->persistence->worker_for(st.row.id);
  ctx->meta_sync = st.svc->meta_sync;
  ctx->bot_caller = st.svc->bot_caller;
  ctx->bot_runner = st.svc->bot_runner;
  ctx->bot_queries = st.svc->bot_queries;
  ctx->watchdog = st.svc->watchdog;
  ctx->conninfo = storage::project_conninfo(st.svc->server_conninfo, database_of(st));
  ctx->events = st.events;
  ctx->bot_log = st.bot_log;
  ctx->project = self->address();
  ctx->metrics = st.svc->metrics;
  ctx->templates = st.templates;
  ctx->flows = st.flows;
  st.conversation_ctx = ctx;
  self->send(ctx->persistence, register_atom::value, st.row.id, ctx->conninfo,
             caf::actor_cast<caf::actor>(self));
  self->request(ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                tx_job{[](pqxx::transaction_base& tx) {
                  return caf::make_message(storage::unhandled_inbound(tx));
                }})
      .await(
          [self](std::vector<storage::unhandled_row>& rows) {
            auto& st = self->state;
            st.pipeline_ready = true;
            if (!rows.empty())
              log::info("pipeline.recovering", {{"project", st.row.id}, {"messages", rows.size()}});
            for (auto& row : rows) {
              auto wa_id = row.wa_id;
              self->send(conversation_for(self, wa_id), order_atom::value,
                         recover_order(std::move(row), st.bot));
            }
            register_number(self);
            self->delayed_send(self, st.svc->sweep_interval, sweep_atom::value);
            self->delayed_send(self,
                               conversation_registry::sweep_interval(st.svc->conversation_idle),
                               idle_atom::value);
          },
          [self](caf::error& err) {
            log::warn("pipeline.start_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            self->delayed_send(self, std::chrono::seconds{1}, caf::tick_atom::value);
          });
}

/// Finds conversation `id` and calls `then` with its contact's wa_id if it is open. Otherwise
/// answers `rp`: not found, or (closed) conflict conversation_closed — or, with
/// `closed_is_fine`, the closed conversation itself.
void with_open_conversation(self_ptr self, std::int64_t id,
                            caf::typed_response_promise<std::string> rp,
                            std::function<void(const std::string&)> then,
                            bool closed_is_fine = false) {
  auto& st = self->state;
  tx_job find = [id](pqxx::transaction_base& tx) {
    auto found = storage::find_conversation(tx, id);
    std::string json =
        found && found->status != "open" ? storage::get_conversation(tx, id).value_or("") : "";
    return caf::make_message(found ? found->wa_id : std::string{},
                             found ? found->status : std::string{}, json);
  };
  self->request(st.conversation_ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                std::move(find))
      .then(
          [rp, id, then, closed_is_fine](std::string& wa_id, std::string& status,
                                         std::string& json) mutable {
            if (wa_id.empty())
              rp.deliver(make_error(errc::not_found, "no conversation " + std::to_string(id),
                                    api_code::conversation_not_found));
            else if (status == "open")
              then(wa_id);
            else if (closed_is_fine)
              rp.deliver(std::move(json));
            else
              rp.deliver(make_error(errc::conflict,
                                    "conversation " + std::to_string(id) + " is closed",
                                    api_code::conversation_closed));
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}

double unix_time(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stod(text);
  } catch (const std::exception&) {
    return 0;
  }
}

/// Stores a webhook's messages (through their conversations) and statuses; answers once all
/// are committed.
/// Publishes a stored send outcome (accepted or failed) once committed, and answers meta_sync
/// (which asks again on an error, until it is recorded).
template <class Request>
caf::result<caf::ok_atom> record_outcome(self_ptr self, Request&& request) {
  auto rp = self->make_response_promise<caf::ok_atom>();
  std::forward<Request>(request).then(
      [self, rp](bool changed, storage::status_change& c) mutable {
        if (changed) publish_status(self->state.events, c);
        rp.deliver(caf::ok_atom::value);
      },
      [self, rp](caf::error& err) mutable {
        log::warn("outbound.record_failed",
                  {{"project", self->state.row.id}, {"reason", to_string(code_of(err))}});
        rp.deliver(err);
      });
  return rp;
}

void on_webhook(self_ptr self, number_batch& batch, const batch_ack& ack) {
  auto& st = self->state;
  if (!st.pipeline_ready)
    return ack.fail(make_error(
        errc::db_unavailable,
        "project " + st.row.id + " is " + storage::to_string(st.row.status) + "; retry later"));
  // Account-level errors from Meta: the first few, each cut short, keep the log bounded.
  constexpr std::size_t logged_errors = 5, logged_error_bytes = 1024;
  for (std::size_t i = 0; i < std::min(batch.errors_json.size(), logged_errors); ++i)
    log::warn("webhook.meta_error",
              {{"project", st.row.id},
               {"error", std::string{text::utf8_prefix(batch.errors_json[i], logged_error_bytes)}},
               {"errors", batch.errors_json.size()}});
  struct countdown {
    std::size_t remaining = 0;
    batch_ack ack;
  };
  auto cd = std::make_shared<countdown>();
  cd->ack = ack;
  cd->remaining = batch.messages.size() + (batch.statuses.empty() ? 0 : 1);
  if (cd->remaining == 0) return ack.ok();
  auto one_done = [cd](auto&&...) {
    if (--cd->remaining == 0) cd->ack.ok();
  };
  auto failed = [cd](caf::error& err) { cd->ack.fail(err); };
  bool paused = st.row.status == storage::project_status::paused;
  for (auto& msg : batch.messages) {
    auto wa_id = msg.from;
    self->request(conversation_for(self, wa_id), until_answered, inbound_atom::value,
                  std::move(msg), st.bot, paused)
        .then([one_done](caf::ok_atom) { one_done(); }, failed);
  }
  if (!batch.statuses.empty()) {
    std::vector<storage::status_row> rows;
    for (auto& s : batch.statuses)
      rows.push_back({s.wamid, s.status, unix_time(s.timestamp), s.errors_json});
    self->request(st.conversation_ctx->persistence, until_answered, status_atom::value, st.row.id,
                  std::move(rows))
        .then(
            [self, one_done](std::vector<storage::status_change>& changes) {
              for (const auto& c : changes) publish_status(self->state.events, c);
              one_done();
            },
            failed);
  }
}

db_job set_status(const std::string& id, storage::project_status status,
                  std::optional<std::string> detail) {
  return [id, status, detail = std::move(detail)](pqxx::connection& c) {
    return caf::make_message(storage::set_project_status(c, id, status, detail));
  };
}

/// A request that changes the status: check the state machine, persist, reply.
caf::result<project_info> transition(self_ptr self, project_request req, storage::project_status to,
                                     std::function<void(self_ptr)> after = nullptr) {
  if (auto refused = refused_transition(self->state.row.status, req))
    return make_error(errc::conflict, refused->second, refused->first);
  if (self->state.row.status == to) return to_info(self->state.row);
  auto rp = self->make_response_promise<project_info>();
  persist(
      self, set_status(self->state.row.id, to, std::nullopt),
      [self, rp, after](const storage::project_row& row) mutable {
        log::info("project.status",
                  {{"project", row.id}, {"status", storage::to_string(row.status)}});
        rp.deliver(to_info(row));
        if (after) after(self);
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

}  // namespace

caf::behavior project_actor(caf::stateful_actor<project_state>* self, storage::project_row row,
                            services_ptr services) {
  self->state.row = std::move(row);
  self->state.svc = std::move(services);
  self->state.events = spawn_event_hub(self, {self->state.row.id, self->state.svc->event_window});
  self->state.bot_log = spawn_event_hub(self, {self->state.row.id, bot_log_entries, bot_log_bytes});
  self->state.account = spawn_whatsapp_account(self, self->state.row.id, self->state.svc);
  self->state.conversations = std::make_shared<conversation_registry>(self->state.svc->metrics);
  recount(*self->state.svc, *self->state.counted, self->state.row.status);
  // Route the number at once (from the stored row); the full number row follows with the load.
  if (!self->state.row.whatsapp_json.empty() && self->state.svc->numbers &&
      self->state.row.status != storage::project_status::deleting) {
    auto w = nlohmann::json::parse(self->state.row.whatsapp_json, nullptr, false);
    if (w.is_object() && w.contains("phone_number_id"))
      self->state.svc->numbers->set(w["phone_number_id"].get<std::string>(),
                                    caf::actor_cast<caf::actor>(self));
  }
  if (self->state.row.status == storage::project_status::provisioning) start_provisioning(self);
  if (self->state.row.status == storage::project_status::deleting) start_deprovisioning(self);
  // The current bot and number first: nothing else is handled before they are loaded.
  // Without them the actor fails, and the directory restarts it.
  self->request(
          self->state.svc->control_db, persist_timeout, run_atom::value,
          retry_safe{[id = self->state.row.id](pqxx::connection& c) {
            std::string bot_secret_sealed;
            {
              pqxx::read_transaction tx{c};
              bot_secret_sealed = storage::sealed_secret(tx, id, bot_secret_name).value_or("");
            }
            return caf::make_message(storage::current_bot(c, id).value_or(storage::bot_row{}),
                                     storage::number_of(c, id).value_or(storage::number_row{}),
                                     storage::signup_of(c, id).value_or(storage::signup_row{}),
                                     std::move(bot_secret_sealed));
          }})
      .await(
          [self](storage::bot_row& bot_row, storage::number_row& number,
                 storage::signup_row& signup, std::string& bot_secret_sealed) {
            if (!bot_secret_sealed.empty())
              self->state.bot_secret =
                  secrets::unseal(self->state.svc->master_key, bot_secret_sealed);
            adopt_bot(self, std::move(bot_row));
            host_bot(self);
            if (!number.phone_number_id.empty()) adopt_number(self, std::move(number));
            // A signup a crash interrupted goes on from its step.
            if (signup.status == "running" &&
                self->state.row.status != storage::project_status::deleting)
              run_signup(self, std::nullopt, std::nullopt);
            auto status = self->state.row.status;
            if (!storage::is_ready(status)) return;
            if (self->state.row.layout < storage::current_project_layout)
              start_upgrade(self);
            else
              start_pipeline(self);
          },
          [self](caf::error& err) {
            log::warn("project.load_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            self->quit(err);
          });
  self->attach_functor([numbers = self->state.svc->numbers, addr = self->address(),
                        conversations = self->state.conversations](const caf::error&) {
    if (numbers) numbers->remove(addr);  // a restarted actor registers itself again
    conversations->stop_all();           // they are not linked: see spawn_conversation
  });
  self->set_exit_handler(
      [self](caf::exit_msg& em) { self->quit(em.reason); });  // the directory's link
  self->attach_functor([svc = self->state.svc, counted = self->state.counted](const caf::error&) {
    recount(*svc, *counted, std::nullopt);  // whatever the exit, this actor no longer counts
  });
  return {
      [=](caf::get_atom) { return to_info(self->state.row); },
      [=](caf::update_atom, const project_patch& patch) -> caf::result<project_info> {
        auto& st = self->state;
        if (st.row.status == storage::project_status::deleting)
          return make_error(errc::conflict, "the project is being deleted",
                            api_code::project_deleting);
        std::optional<std::string> name, settings;
        if (patch.has_name) {
          if (auto why = invalid_name_reason(patch.name))
            return make_error(errc::invalid_argument, *why, api_code::invalid_name);
          name = patch.name;
        }
        if (patch.has_settings) {
          auto change = nlohmann::json::parse(patch.settings_patch_json);
          if (auto why = invalid_settings_reason(change))
            return make_error(errc::invalid_argument, *why, api_code::invalid_settings);
          settings = merge_settings(nlohmann::json::parse(st.row.settings_json), change).dump();
        }
        auto rp = self->make_response_promise<project_info>();
        persist(
            self,
            [id = st.row.id, name, settings](pqxx::connection& c) {
              return caf::make_message(storage::update_project(c, id, name, settings));
            },
            [self, rp,
             temp_before = temp_file_limit_mb(st)](const storage::project_row& r) mutable {
              if (self->state.number)
                self->send(self->state.svc->meta_sync, rate_atom::value, r.id,
                           send_rate(self->state));
              if (temp_file_limit_mb(self->state) != temp_before) apply_role_limits(self);
              rp.deliver(to_info(r));
            },
            [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](pause_atom) {
        return transition(self, project_request::pause, storage::project_status::paused);
      },
      [=](resume_atom) {
        return transition(self, project_request::resume, storage::project_status::active);
      },
      [=](remove_atom) -> caf::result<project_info> {
        if (self->state.signup_busy)
          return make_error(errc::conflict, "an embedded signup is running; delete it after",
                            api_code::conflict);
        return transition(self, project_request::remove, storage::project_status::deleting,
                          [](self_ptr s) {
                            if (s->state.svc->numbers)
                              s->state.svc->numbers->remove(s->address());  // stop routing webhooks
                            s->state.conversations->stop_all();
                            s->state.pipeline_ready = false;
                            start_deprovisioning(s);
                          });
      },
      [=](connect_atom, const std::string& number_id, const std::string& waba_id,
          const std::string& token, const std::string& pin) -> caf::result<project_info> {
        auto& st = self->state;
        if (st.row.status == storage::project_status::deleting)
          return make_error(errc::conflict, "the project is being deleted",
                            api_code::project_deleting);
        if (st.signup_busy)  // its number would race this one
          return make_error(errc::busy, "an embedded signup is running; retry when it ended",
                            api_code::signup_busy);
        auto rp = self->make_response_promise<project_info>();
        // Held back until connected, so a deletion cannot slip between Meta's answer and the
        // stored number (its deprovisioning disconnects the number).
        self->request(st.account, until_answered, connect_atom::value,
                      number_request{number_id, waba_id, token, pin})
            .await(
                [self, rp](storage::number_row& n) mutable {
                  persist(
                      self,
                      [id = n.project_id](pqxx::connection& c) {
                        return caf::make_message(storage::find_project(c, id).value());
                      },
                      [self, rp, n](const storage::project_row& row) mutable {
                        adopt_number(self, n);
                        register_number(self);
                        templates_changed(self, nlohmann::json::array(), true);  // Meta's list
                        rp.deliver(to_info(row));
                      },
                      [rp](caf::error& err) mutable { rp.deliver(err); });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](signup_atom, std::string& code, std::string& waba_id, std::string& number_id,
          std::string& pin, std::string& redirect_uri) -> caf::result<project_info> {
        auto& st = self->state;
        if (st.row.status == storage::project_status::deleting)
          return make_error(errc::conflict, "the project is being deleted",
                            api_code::project_deleting);
        if (st.signup_busy)
          return make_error(errc::busy, "a signup is already running; retry when it ended",
                            api_code::signup_busy);
        auto rp = self->make_response_promise<project_info>();
        run_signup(self, rp,
                   signup_request{std::move(code), std::move(waba_id), std::move(number_id),
                                  std::move(pin), std::move(redirect_uri)});
        return rp;
      },
      [=](signup_atom, const std::string&) {
        reload_whatsapp(self, [] {});  // the account actor stored a step of the signup
      },
      [=](token_works_atom, const std::string& token) {
        // Only when the project shows the token refused: the usual case costs nothing.
        auto& st = self->state;
        if (!st.number || st.row.whatsapp_json.find("\"token_invalid\"") == std::string::npos ||
            secrets::unseal(st.svc->master_key, st.number->access_token_sealed) != token)
          return;
        auto ticket = whatsapp_ticket(st);
        self->request(st.svc->control_db, persist_timeout, run_atom::value,
                      db_job{[number_id = st.number->phone_number_id,
                              sealed = st.number->access_token_sealed,
                              id = st.row.id](pqxx::connection& c) {
                        storage::mark_token_valid(c, number_id, sealed);
                        return caf::make_message(storage::find_project(c, id).value());
                      }})
            .then(
                [self, ticket](storage::project_row& row) {
                  show_whatsapp(self->state, ticket, std::move(row.whatsapp_json));
                  log::info("whatsapp.token_valid", {{"project", self->state.row.id}});
                },
                [](caf::error&) {});  // it shows token_invalid until the next accepted token
      },
      [=](token_invalid_atom, const std::string& token, const std::string& error_json) {
        mark_token_refused(self, token, error_json, 0);
      },
      [=](token_retry_atom, const std::string& token, const std::string& error_json, int attempt) {
        mark_token_refused(self, token, error_json, attempt);
      },
      [=](account_events_atom, std::vector<account_change>& changes, batch_ack& ack) {
        record_account_changes(self, std::move(changes), std::move(ack));
      },
      [=](account_refused_atom, const std::string& error_json, std::uint64_t seq) {
        record_sends_refused(self, error_json, seq);
      },
      [=](health_check_atom) { settle_number_health(self); },
      [=](display_name_atom, std::string& name) -> caf::result<std::string> {
        return request_display_name(self, std::move(name));
      },
      [=](profile_get_atom) -> caf::result<std::string> { return ask_profile(self, {}); },
      [=](template_create_atom, std::string& t) { return create_template(self, std::move(t)); },
      [=](template_list_atom, std::string& status, std::string& name, std::string& after_name,
          std::string& after_language, int limit) {
        return list_templates(self, std::move(status), std::move(name), std::move(after_name),
                              std::move(after_language), limit);
      },
      [=](template_get_atom, std::string& name, std::string& language) {
        return get_template(self, std::move(name), std::move(language));
      },
      [=](template_get_atom) -> templates::book_ptr { return self->state.templates->get(); },
      [=](template_edit_atom, std::string& name, std::string& language, std::string& patch) {
        return edit_template(self, std::move(name), std::move(language), std::move(patch));
      },
      [=](template_delete_atom, std::string& name, std::string& language) {
        return delete_templates(self, std::move(name), std::move(language));
      },
      [=](template_sync_atom) { return sync_templates(self); },
      [=](template_media_atom, std::string& bytes, std::string& mime) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.number)
          return make_error(errc::conflict, "connect a WhatsApp number first",
                            api_code::whatsapp_not_connected);
        auto rp = self->make_response_promise<std::string>();
        self->request(st.account, caf::infinite, template_media_atom::value, *st.number,
                      std::move(bytes), std::move(mime))
            .then([rp](std::string& handle) mutable { rp.deliver(std::move(handle)); },
                  [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](flow_create_atom, std::string& body) { return create_flow(self, std::move(body)); },
      [=](flow_list_atom, std::string& status, std::string& after, int limit) {
        return list_flows(self, std::move(status), std::move(after), limit);
      },
      [=](flow_get_atom, std::string& name) { return get_flow(self, std::move(name)); },
      [=](flow_edit_atom, std::string& name, std::string& patch) {
        return edit_flow(self, std::move(name), std::move(patch));
      },
      [=](flow_delete_atom, std::string& name) { return delete_flow(self, std::move(name)); },
      [=](flow_publish_atom, std::string& name) { return publish_flow(self, std::move(name)); },
      [=](flow_deprecate_atom, std::string& name) { return deprecate_flow(self, std::move(name)); },
      [=](flow_preview_atom, std::string& name) { return flow_preview(self, std::move(name)); },
      [=](flow_key_atom) { return flow_key_view(self); },
      [=](flow_key_atom, bool) { return make_flow_key(self); },
      [=](flow_secret_atom) { return flow_private_key(self); },
      [=](flow_session_atom, std::string& token) { return flow_session(self, std::move(token)); },
      [=](broadcast_create_atom, std::string& body, std::int64_t schedule_at) {
        return create_broadcast(self, std::move(body), schedule_at);
      },
      [=](broadcast_list_atom, std::int64_t before, int limit) {
        return list_broadcasts(self, before, limit);
      },
      [=](broadcast_get_atom, std::int64_t id) { return get_broadcast(self, id); },
      [=](broadcast_recipients_atom, std::int64_t id, std::string& status, std::int64_t after,
          int limit) { return list_recipients(self, id, std::move(status), after, limit); },
      [=](broadcast_control_atom, std::int64_t id, std::string& action) {
        return control_broadcast(self, id, std::move(action));
      },
      [=](broadcast_count_atom, std::string& audience) {
        return count_audience(self, std::move(audience));
      },
      [=](broadcast_due_atom, std::int64_t id) { wake_broadcast(self, id); },
      [=](contact_opt_out_atom, std::int64_t contact, bool opted_out) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        // Through the contact's conversation actor, in turn with its bot's steps: a step after
        // the change knows of it (and queues no marketing template for a contact who opted out).
        auto rp = self->make_response_promise<std::string>();
        auto not_found = [rp, contact]() mutable {
          rp.deliver(make_error(errc::not_found, "no contact " + std::to_string(contact),
                                api_code::contact_not_found));
        };
        self->request(st.conversation_ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                      tx_job{[contact](pqxx::transaction_base& tx) {
                        return caf::make_message(storage::contact_wa_id(tx, contact).value_or(""));
                      }})
            .then(
                [self, rp, contact, opted_out, not_found](std::string& wa_id) mutable {
                  if (wa_id.empty()) return not_found();
                  self->request(conversation_for(self, wa_id), std::chrono::seconds{30},
                                order_atom::value, opt_out_order(contact, opted_out))
                      .then(
                          [self, rp, contact, opted_out](std::string& view) mutable {
                            log::info(opted_out ? "contact.opted_out" : "contact.opted_in",
                                      {{"project", self->state.row.id}, {"contact", contact}});
                            rp.deliver(std::move(view));
                          },
                          [rp](caf::error& err) mutable { rp.deliver(err); });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](broadcast_ended_atom, std::int64_t id, const std::string& status) {
        broadcast_ended(self, id, status);
      },
      [=](templates_due_atom) {
        self->state.templates_sync_armed = false;
        templates_changed(self, nlohmann::json::array(), true);
        arm_template_sync(self);
      },
      [=](profile_set_atom, std::string& patch_json) -> caf::result<std::string> {
        return ask_profile(self, {std::move(patch_json), {}, {}});
      },
      [=](photo_atom, std::string& bytes, std::string& mime) -> caf::result<std::string> {
        return ask_profile(self, {{}, std::move(bytes), std::move(mime)});
      },
      [=](conninfo_atom) -> caf::result<std::string> {
        auto& st = self->state;
        if (!storage::is_ready(st.row.status))
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        return storage::project_conninfo(st.svc->server_conninfo, database_of(st));
      },
      [=](bot_get_atom) -> caf::result<bot_info> {
        if (self->state.bot_version.version == 0)
          return make_error(errc::not_found, "the project has no bot", api_code::bot_not_found);
        return to_bot_info(self->state.bot_version);
      },
      [=](bot_put_atom, const std::string& definition) -> caf::result<bot_info> {
        if (self->state.row.status == storage::project_status::deleting)
          return make_error(errc::conflict, "the project is being deleted",
                            api_code::project_deleting);
        auto rp = self->make_response_promise<bot_info>();
        auto doc = nlohmann::json::parse(definition, nullptr, false);
        if (member_of(doc, "kind") == "code")
          deploy_then_store(self, definition, rp);
        else
          store_bot_version(self, definition, rp, [self](bot_info*) { host_bot(self); });
        return rp;
      },
      [=](bot_secret_atom) -> caf::result<std::string> {
        if (self->state.row.status == storage::project_status::deleting)
          return make_error(errc::conflict, "the project is being deleted",
                            api_code::project_deleting);
        auto rp = self->make_response_promise<std::string>();
        auto fresh = secrets::random_hex(32);
        self->request(self->state.svc->control_db, persist_timeout, run_atom::value,
                      db_job{[id = self->state.row.id,
                              sealed = secrets::seal(self->state.svc->master_key, fresh)](
                                 pqxx::connection& c) {
                        pqxx::work tx{c};
                        storage::replace_secret(tx, id, bot_secret_name, sealed);
                        tx.commit();
                        return caf::make_message(caf::ok_atom::value);
                      }})
            .await(
                [self, rp, fresh](caf::ok_atom) mutable {
                  log::info("bot.secret_rotated", {{"project", self->state.row.id}});
                  self->state.bot_secret = fresh;
                  if (self->state.bot_version.version != 0)
                    adopt_bot(self, self->state.bot_version);
                  host_bot(self);  // a hosted bot's process restarts with the new secret
                  rp.deliver(fresh);
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](secrets_changed_atom) { host_bot(self); },
      [=](bot_preview_atom, std::string& definition, std::int64_t version,
          bot::preview_request& request) -> caf::result<std::string> {
        return preview_bot(self, definition, version, std::move(request));
      },
      [=](bot_http_atom, bot::fetch_request& r) -> caf::result<bot_reply> {
        return send_bot_request(self, std::move(r));
      },
      [=](bot_runtime_atom) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.bot || !st.bot->code || !st.bot->code->hosted || !st.svc->bot_runner)
          return nlohmann::json{{"hosted", false}}.dump();
        auto rp = self->make_response_promise<std::string>();
        self->request(st.svc->bot_runner, std::chrono::seconds{10}, bot_status_atom::value,
                      st.row.id)
            .then(
                [self, rp](std::string& status) mutable {
                  auto view = nlohmann::json::parse(status);
                  view["hosted"] = true;
                  view["version"] = self->state.bot_version.version;
                  rp.deliver(view.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](webhook_atom, number_batch& batch, batch_ack& ack) { on_webhook(self, batch, ack); },
      [=](operator_send_atom, const std::string& wa_id,
          std::string& message_json) -> caf::result<outbound_view> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(
              errc::conflict,
              "the project is " + storage::to_string(st.row.status) + ": it cannot send messages",
              api_code::project_not_ready);
        auto rp = self->make_response_promise();
        rp.delegate(conversation_for(self, wa_id), order_atom::value,
                    operator_send_order(std::move(message_json), st.bot));
        return rp;
      },
      [=](database_atom, storage::database_request& request,
          storage::database_rules& rules) -> caf::result<storage::database_outcome> {
        auto& st = self->state;
        if (!storage::is_ready(st.row.status))
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        auto settings =
            effective_settings(nlohmann::json::parse(st.row.settings_json, nullptr, false));
        rules.quota_bytes = settings.value("database_quota_mb", std::int64_t{1024}) << 20;
        auto conninfo = storage::project_conninfo(st.svc->server_conninfo, database_of(st));
        auto rp = self->make_response_promise<storage::database_outcome>();
        auto run = [&](auto job) {
          self->request(st.svc->database_api, until_answered, run_atom::value, conninfo,
                        std::move(job))
              .then([rp](storage::database_outcome& o) mutable { rp.deliver(std::move(o)); },
                    [rp](caf::error& err) mutable { rp.deliver(err); });
        };
        if (auto* table = std::get_if<storage::table_request>(&request))
          run(db_job{[table = std::move(*table), rules](pqxx::connection& c) {
            return caf::make_message(storage::run_table_request(c, table, rules));
          }});
        else
          run(session_job{[sql = std::get<storage::sql_request>(std::move(request)),
                           rules](const std::string& conninfo) {
            return caf::make_message(storage::run_sql_request(conninfo, sql, rules));
          }});
        return rp;
      },
      [=](query_atom, storage::project_read& read) -> caf::result<storage::read_result> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        auto rp = self->make_response_promise<storage::read_result>();
        self->request(st.conversation_ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                      tx_job{[read = std::move(read)](pqxx::transaction_base& tx) {
                        return caf::make_message(storage::run_read(tx, read));
                      }})
            .then([rp](storage::read_result& r) mutable { rp.deliver(std::move(r)); },
                  [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](messages_atom, std::int64_t conversation_id, std::int64_t before,
          int limit) -> caf::result<std::vector<storage::message_row>> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        auto rp = self->make_response_promise<std::vector<storage::message_row>>();
        tx_job read = [conversation_id, before, limit](pqxx::transaction_base& tx) {
          auto rows = storage::conversation_messages(tx, conversation_id, before, limit);
          return caf::make_message(rows.has_value(),
                                   rows.value_or(std::vector<storage::message_row>{}));
        };
        self->request(st.conversation_ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                      std::move(read))
            .then(
                [rp, conversation_id](bool exists,
                                      std::vector<storage::message_row>& rows) mutable {
                  if (exists)
                    rp.deliver(std::move(rows));
                  else
                    rp.deliver(make_error(errc::not_found,
                                          "no conversation " + std::to_string(conversation_id),
                                          api_code::conversation_not_found));
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](operator_send_atom, std::int64_t conversation_id,
          std::string& message_json) -> caf::result<outbound_view> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(
              errc::conflict,
              "the project is " + storage::to_string(st.row.status) + ": it cannot send messages",
              api_code::project_not_ready);
        // The conversation's contact first, then the same path as a message to that contact.
        auto rp = self->make_response_promise<outbound_view>();
        tx_job find = [conversation_id](pqxx::transaction_base& tx) {
          auto found = storage::find_conversation(tx, conversation_id);
          return caf::make_message(found ? found->wa_id : std::string{});
        };
        self->request(st.conversation_ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                      std::move(find))
            .then(
                [self, rp, conversation_id, message_json](std::string& wa_id) mutable {
                  if (wa_id.empty()) {
                    rp.deliver(make_error(errc::not_found,
                                          "no conversation " + std::to_string(conversation_id),
                                          api_code::conversation_not_found));
                    return;
                  }
                  self->request(conversation_for(self, wa_id), std::chrono::seconds{30},
                                order_atom::value,
                                operator_send_order(std::move(message_json), self->state.bot))
                      .then([rp](outbound_view& v) mutable { rp.deliver(std::move(v)); },
                            [rp](caf::error& err) mutable { rp.deliver(err); });
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](record_atom, std::int64_t message_id, std::string& wamid,
          bool again) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::db_unavailable, "the project's pipeline is not running",
                            api_code::unavailable);
        if (!again)
          return record_outcome(
              self, self->request(st.conversation_ctx->persistence, until_answered,
                                  accepted_atom::value, st.row.id, message_id, std::move(wamid)));
        tx_job job = [row = storage::accepted_row{message_id, std::move(wamid)}](
                         pqxx::transaction_base& tx) {
          auto c = storage::record_accepted_again(tx, row);
          return caf::make_message(c.has_value(), c.value_or(storage::status_change{}));
        };
        return record_outcome(self, self->request(st.conversation_ctx->persistence, until_answered,
                                                  run_atom::value, st.row.id, std::move(job)));
      },
      [=](record_atom, std::int64_t, status_job& change) -> caf::result<caf::ok_atom> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::db_unavailable, "the project's pipeline is not running",
                            api_code::unavailable);
        tx_job job = [change = std::move(change)](pqxx::transaction_base& tx) {
          auto c = change(tx);
          return caf::make_message(c.has_value(), c.value_or(storage::status_change{}));
        };
        return record_outcome(self, self->request(st.conversation_ctx->persistence, until_answered,
                                                  run_atom::value, st.row.id, std::move(job)));
      },
      [=](bot_logs_atom) {
        self->delegate(self->state.bot_log, hub_read_atom::value);
        return caf::delegated<std::string>{};
      },
      [=](bot_follow_atom, std::string& last_event_id, event_sink& sink) {
        self->send(self->state.bot_log, subscribe_atom::value, std::move(last_event_id),
                   std::int64_t{0}, std::move(sink));
        return caf::ok_atom::value;
      },
      [=](subscribe_atom, std::string& last_event_id, std::int64_t conversation, event_sink& sink) {
        self->send(self->state.events, subscribe_atom::value, std::move(last_event_id),
                   conversation, std::move(sink));
        return caf::ok_atom::value;
      },
      [=](change_state_atom, std::int64_t conversation_id, std::string& state, bool force,
          std::string& who) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        if (!force && !(st.bot && (st.bot->code || st.bot->states.count(state))))
          return make_error(
              errc::invalid_argument,
              "the current bot does not declare state '" + state + "' (set force to use it anyway)",
              api_code::unknown_state);
        auto rp = self->make_response_promise<std::string>();
        with_open_conversation(
            self, conversation_id, rp,
            [self, rp, conversation_id, state, who](const std::string& wa_id) mutable {
              self->request(conversation_for(self, wa_id), std::chrono::seconds{30},
                            order_atom::value, change_state_order(conversation_id, state, who))
                  .then([rp](std::string& json) mutable { rp.deliver(std::move(json)); },
                        [rp](caf::error& err) mutable { rp.deliver(err); });
            });
        return rp;
      },
      [=](close_atom, std::int64_t conversation_id, std::string& who) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.pipeline_ready)
          return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                            api_code::project_not_ready);
        auto rp = self->make_response_promise<std::string>();
        with_open_conversation(
            self, conversation_id, rp,
            [self, rp, conversation_id, who](const std::string& wa_id) mutable {
              self->request(conversation_for(self, wa_id), std::chrono::seconds{30},
                            order_atom::value, close_order(conversation_id, who))
                  .then([rp](std::string& json) mutable { rp.deliver(std::move(json)); },
                        [rp](caf::error& err) mutable { rp.deliver(err); });
            },
            true);
        return rp;
      },
      [=](sweep_atom) {
        auto& st = self->state;
        if (!st.pipeline_ready) return;
        auto idle = effective_settings(nlohmann::json::parse(st.row.settings_json, nullptr, false))
                        .value("conversation_timeout_seconds", std::int64_t{86400});
        tx_job find = [idle](pqxx::transaction_base& tx) {
          return caf::make_message(storage::idle_conversations(tx, idle, 500));
        };
        self->request(st.conversation_ctx->persistence, persist_timeout, run_atom::value, st.row.id,
                      std::move(find))
            .then(
                [self, idle](std::vector<storage::idle_conversation>& found) {
                  // Each closes in turn with its contact's messages: one arriving now keeps it
                  // open.
                  for (const auto& c : found)
                    self->send(conversation_for(self, c.wa_id), order_atom::value,
                               expire_order(c.id, idle));
                  if (!found.empty())
                    log::info("conversations.expiring",
                              {{"project", self->state.row.id}, {"count", found.size()}});
                  self->delayed_send(self, self->state.svc->sweep_interval, sweep_atom::value);
                },
                [self](caf::error& err) {
                  log::warn("conversations.sweep_failed",
                            {{"project", self->state.row.id}, {"reason", reason_of(err)}});
                  self->delayed_send(self, self->state.svc->sweep_interval, sweep_atom::value);
                });
      },
      [=](crashed_atom, const std::string& wa_id) {
        self->state.conversations->forget(wa_id,
                                          caf::actor_cast<caf::actor_addr>(self->current_sender()));
      },
      [=](idle_atom) {
        auto idle = self->state.svc->conversation_idle;
        self->state.conversations->ask_idle(self, idle);
        self->delayed_send(self, conversation_registry::sweep_interval(idle), idle_atom::value);
      },
      [=](idle_atom, const std::string& wa_id, std::int64_t asked_at) {
        if (self->state.conversations->passivate(self, wa_id, asked_at))
          log::debug("conversation.passivated", {{"project", self->state.row.id}});
      },
      [=](caf::tick_atom) { start_pipeline(self); },
      // The persistence worker connected again after losing its connection: a write whose
      // commit it could not confirm may have queued replies nobody handed over.
      [=](reconnected_atom, const std::string&) {
        self->state.outbox_retry_armed = false;
        resync_outbox(self);
      },
      [=](provisioned_atom) {
        auto& st = self->state;
        if (st.upgrading) {
          persist(
              self,
              [id = st.row.id](pqxx::connection& c) {
                return caf::make_message(
                    storage::set_project_layout(c, id, storage::current_project_layout));
              },
              [self](const storage::project_row& row) {
                self->state.upgrading = false;
                log::info("project.upgraded", {{"project", row.id}, {"layout", row.layout}});
                start_pipeline(self);
              },
              [self](caf::error& err) {
                log::error("project.persist_failed",
                           {{"project", self->state.row.id}, {"reason", reason_of(err)}});
                self->delayed_send(self, std::chrono::seconds{30}, upgrade_atom::value);
              });
          return;
        }
        if (st.row.status != storage::project_status::provisioning) return;
        auto seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - st.provisioning_since)
                .count();
        persist(
            self, set_status(st.row.id, storage::project_status::active, std::nullopt),
            [self, seconds](const storage::project_row& row) {
              if (auto* m = self->state.svc->metrics)
                m->histograms("paige_project_provisioning_seconds",
                              "time from creation (or restart) to an active project database", {},
                              metrics::latency_buckets())
                    .with({})
                    .observe(seconds);
              log::info("project.active", {{"project", row.id}, {"provisioning_s", seconds}});
              start_pipeline(self);
            },
            [self](caf::error& err) {
              // Not written: stay provisioning; a restart provisions again (idempotent).
              log::error("project.persist_failed",
                         {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            });
      },
      [=](upgrade_atom) { start_upgrade(self); },
      [=](prov_failed_atom, const std::string& reason) {
        auto& st = self->state;
        if (st.upgrading) {
          // The project stays as it was (its pipeline waits); the steps are tried again later.
          log::error("project.upgrade_failed", {{"project", st.row.id}, {"reason", reason}});
          self->delayed_send(self, std::chrono::seconds{30}, upgrade_atom::value);
          return;
        }
        auto detail =
            (st.row.status == storage::project_status::deleting ? "deletion failed: "
                                                                : "provisioning failed: ") +
            reason;
        persist(
            self, set_status(st.row.id, storage::project_status::failed, detail),
            [](const storage::project_row& row) {
              log::warn("project.failed",
                        {{"project", row.id}, {"detail", row.status_detail.value_or("")}});
            },
            [self](caf::error& err) {
              log::error("project.persist_failed",
                         {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            });
      },
      [=](deprovisioned_atom) {
        persist(
            self,
            [id = self->state.row.id](pqxx::connection& c) {
              storage::disconnect_number(c, id);  // the number may now join another project
              storage::delete_project_secrets(c, id);
              return caf::make_message(storage::set_project_status(
                  c, id, storage::project_status::deleted, std::nullopt));
            },
            [self](const storage::project_row& row) {
              log::info("project.deleted", {{"project", row.id}});
              self->quit();
            },
            [self](caf::error& err) {
              log::error("project.persist_failed",
                         {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            });
      },
  };
}

std::string project_conninfo_of(const project_state& st) {
  return storage::project_conninfo(st.svc->server_conninfo, database_of(st));
}

}  // namespace paige::actors
