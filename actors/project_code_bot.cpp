#include "actors/project_code_bot.hpp"

#include "actors/core/secret_rules.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/project_directory.hpp"
#include "common/log.hpp"
#include "common/secrets.hpp"
#include "storage/conninfo.hpp"
#include "storage/project_secrets.hpp"
#include "storage/projects.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>

namespace paige::actors {
namespace {

constexpr std::chrono::seconds secrets_timeout{30};

}  // namespace

void ensure_bot_api_key(pqxx::transaction_base& tx, const std::string& project_id,
                        const secrets::master_key& master) {
  auto sealed = storage::sealed_secret(tx, project_id, bot_api_key_name);
  if (sealed &&
      storage::key_is_live(tx, project_id, secrets::sha256_hex(secrets::unseal(master, *sealed))))
    return;
  auto key = generate_project_key();
  storage::insert_key(tx, "key_" + secrets::random_hex(8), project_id, bot_api_key_label, key.hash,
                      key.prefix);
  storage::replace_secret(tx, project_id, bot_api_key_name, secrets::seal(master, key.key));
}

bot_launch hosted_launch(const project_state& st, std::shared_ptr<const bot::code_files> code,
                         const std::map<std::string, std::string>& sealed_secrets) {
  bot_launch launch;
  launch.project_id = st.row.id;
  // The files by path, as JSON: the same sources give the same key, whatever their order.
  launch.key = secrets::sha256_hex(nlohmann::json(code->files).dump()).substr(0, 32);
  launch.code = std::move(code);
  launch.log = st.bot_log;
  auto server = storage::parse_conninfo(st.svc->bot_server_conninfo);
  server["dbname"] = st.row.db_name;
  server["user"] = st.row.db_role;
  server["password"] = secrets::unseal(st.svc->master_key, st.row.db_password_sealed);
  launch.env.push_back("DATABASE_URL=" + storage::conninfo_url(server));
  launch.env.push_back("PAIGE_PROJECT_ID=" + st.row.id);
  for (const auto& [name, sealed] : sealed_secrets)
    launch.env.push_back(name + "=" + secrets::unseal(st.svc->master_key, sealed));
  return launch;
}

caf::error deploy_error(const bot_deployed& deployed) {
  if (deployed.stage == "busy")
    return make_error(errc::conflict, deployed.output, api_code::bot_deploy_running);
  auto what = deployed.stage == "install"  ? "npm ci failed"
              : deployed.stage == "health" ? "the bot did not answer GET /health with 200 in time"
                                           : "the bot could not start";
  return make_error(errc::invalid_argument,
                    std::string{what} + "; the running version stays (the output is in details)",
                    api_code::bot_deploy_failed,
                    nlohmann::json{{"stage", deployed.stage}, {"output", deployed.output}}.dump(
                        -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

caf::result<bot_reply> send_bot_request(project_self self, bot::fetch_request r) {
  auto& st = self->state;
  auto secret_header = [](const bot::http_call_header& h) { return !h.secret.empty(); };
  if (std::none_of(r.headers.begin(), r.headers.end(), secret_header)) {
    self->delegate(st.svc->bot_caller, bot_http_atom::value, std::move(r));
    return caf::delegated<bot_reply>{};
  }
  auto rp = self->make_response_promise<bot_reply>();
  auto failed = [](std::string why) {
    bot_reply reply;
    reply.error = std::move(why);
    return reply;
  };
  self->request(st.svc->control_db, secrets_timeout, run_atom::value,
                retry_safe{[id = st.row.id](pqxx::connection& c) {
                  return caf::make_message(storage::sealed_secrets(c, id));
                }})
      .then(
          [self, rp, r, failed](std::map<std::string, std::string>& sealed) mutable {
            for (auto& h : r.headers) {
              if (h.secret.empty()) continue;
              auto it = sealed.find(h.secret);
              if (it == sealed.end())
                return rp.deliver(failed("the project has no secret " + h.secret)), void();
              auto value = secrets::unseal(self->state.svc->master_key, it->second);
              if (value.find_first_of("\r\n") != std::string::npos)
                return rp.deliver(failed("the secret " + h.secret +
                                         " holds a line break, which a header cannot")),
                       void();
              h.value += value;
              h.secret.clear();
            }
            auto timeout = r.timeout + std::chrono::seconds{1};
            self->request(self->state.svc->bot_caller, timeout, bot_http_atom::value, std::move(r))
                .then(
                    [rp](bot_reply& reply) mutable { rp.deliver(std::move(reply)); },
                    [rp, failed](caf::error& err) mutable { rp.deliver(failed(reason_of(err))); });
          },
          [rp, failed](caf::error&) mutable {
            rp.deliver(failed("the project's secrets could not be read"));
          });
  return rp;
}

void with_hosted_launch(project_self self, std::shared_ptr<const bot::code_files> code,
                        std::function<void(bot_launch)> then,
                        std::function<void(const caf::error&)> failed) {
  auto& st = self->state;
  // Idempotent: a retry finds the key its first run made.
  self->request(st.svc->control_db, secrets_timeout, run_atom::value,
                retry_safe{[id = st.row.id, master = st.svc->master_key](pqxx::connection& c) {
                  pqxx::work tx{c};
                  ensure_bot_api_key(tx, id, master);
                  tx.commit();
                  return caf::make_message(storage::sealed_secrets(c, id));
                }})
      .then(
          [self, code, then](std::map<std::string, std::string>& sealed) {
            then(hosted_launch(self->state, code, sealed));
          },
          [failed](caf::error& err) { failed(err); });
}

void host_bot(project_self self) {
  auto& st = self->state;
  if (!st.svc->bot_runner) return;
  if (!st.bot || !st.bot->code || !st.bot->code->hosted) {
    self->send(st.svc->bot_runner, bot_stop_atom::value, st.row.id);
    return;
  }
  auto code = st.bot->code->hosted;
  with_hosted_launch(
      self, code,
      [self, code](bot_launch launch) {
        auto& st = self->state;
        // Another version was adopted meanwhile: its own call hosts it.
        if (!st.bot || !st.bot->code || st.bot->code->hosted != code) return;
        self->send(st.svc->bot_runner, bot_ensure_atom::value, st.row.id, std::move(launch));
      },
      [self](const caf::error& err) {
        log::error("bot.secrets_unread",
                   {{"project", self->state.row.id}, {"reason", reason_of(err)}});
      });
}

}  // namespace paige::actors
