#include "actors/project_directory.hpp"

#include "actors/core/bot_definition.hpp"
#include "actors/core/project_rules.hpp"
#include "actors/core/secret_rules.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/persistence.hpp"
#include "actors/project_actor.hpp"
#include "actors/project_preview.hpp"
#include "common/log.hpp"

#include "storage/project_secrets.hpp"
#include "storage/whatsapp_events.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <unordered_map>

namespace paige::actors {
namespace {

using restart_atom = caf::atom_constant<caf::atom("restart")>;

constexpr std::chrono::seconds db_timeout{15};

struct directory_state {
  static constexpr const char* name = "project_directory";
  services_ptr svc;
  std::unordered_map<std::string, caf::actor> projects;
  std::unordered_map<caf::actor_addr, std::string> ids;
};

using self_ptr = caf::stateful_actor<directory_state>*;

void spawn_project(self_ptr self, storage::project_row row) {
  auto id = row.id;
  // Linked: project actors end with the directory. Monitored: the directory restarts one
  // that crashed (its exit message is ignored below; the down message drives the restart).
  auto actor =
      self->spawn<caf::monitored + caf::linked>(project_actor, std::move(row), self->state.svc);
  self->state.ids[actor.address()] = id;
  self->state.projects[id] = std::move(actor);
}

caf::error project_not_found(const std::string& id) {
  return make_error(errc::not_found, "no project " + id, api_code::project_not_found);
}

/// Forwards `xs` to the project's actor, which replies to the original requester.
template <class... Ts>
caf::result<caf::message> forward(self_ptr self, const std::string& id, Ts&&... xs) {
  auto it = self->state.projects.find(id);
  if (it == self->state.projects.end()) return project_not_found(id);
  auto rp = self->make_response_promise();
  rp.delegate(it->second, std::forward<Ts>(xs)...);
  return rp;
}

/// Tells the project's actor that its secrets changed.
void tell_secrets_changed(self_ptr self, const std::string& id) {
  auto it = self->state.projects.find(id);
  if (it != self->state.projects.end()) self->send(it->second, secrets_changed_atom::value);
}

/// Runs a database job on the control pool and delivers `convert(reply)` or the error. A read
/// (`reads_only`) found on a dead connection runs again on a new one.
template <class Reply, class Out, class Convert>
caf::result<Out> query(self_ptr self, db_job job, Convert convert, bool reads_only) {
  auto rp = self->make_response_promise<Out>();
  auto then = [rp, convert](Reply& r) mutable { rp.deliver(convert(r)); };
  auto fail = [rp](caf::error& err) mutable { rp.deliver(err); };
  auto& db = self->state.svc->control_db;
  if (reads_only)
    self->request(db, db_timeout, run_atom::value, retry_safe{std::move(job)}).then(then, fail);
  else
    self->request(db, db_timeout, run_atom::value, std::move(job)).then(then, fail);
  return rp;
}

nlohmann::json secret_json(const storage::secret_row& r) {
  return {{"name", r.name}, {"created_at", r.created_at}, {"updated_at", r.updated_at}};
}

}  // namespace

project_identity new_project_identity() {
  auto hex = secrets::random_hex(8);
  return {"prj_" + hex, "paige_p_" + hex};
}

new_key generate_project_key() {
  auto key = "paige_pk_" + secrets::random_hex(20);
  return {key, secrets::sha256_hex(key), key.substr(0, 14)};
}

caf::behavior project_directory(self_ptr self, services_ptr services,
                                std::vector<storage::project_row> existing) {
  self->state.svc = std::move(services);
  for (auto& row : existing) spawn_project(self, std::move(row));
  self->set_exit_handler([self](caf::exit_msg& em) {
    // anon_send_exit names the receiver itself as the source: that is a shutdown. Exits of
    // children are left to the down handler.
    if (em.source == self->address()) self->quit(em.reason);
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto it = self->state.ids.find(dm.source);
    if (it == self->state.ids.end()) return;
    auto id = it->second;
    self->state.ids.erase(it);
    self->state.projects.erase(id);
    if (dm.reason == caf::exit_reason::normal) return;  // deleted
    log::error("project.actor_crashed", {{"project", id}, {"reason", caf::to_string(dm.reason)}});
    self->delayed_send(self, std::chrono::milliseconds{100}, restart_atom::value, id);
  });
  return {
      [=](create_atom, const std::string& name,
          const std::string& settings_json) -> caf::result<project_info> {
        if (auto why = invalid_name_reason(name))
          return make_error(errc::invalid_argument, *why, api_code::invalid_name);
        auto settings = nlohmann::json::parse(settings_json);
        if (auto why = invalid_settings_reason(settings))
          return make_error(errc::invalid_argument, *why, api_code::invalid_settings);
        auto ident = new_project_identity();
        storage::new_project p{ident.id,
                               name,
                               merge_settings(nlohmann::json::object(), settings).dump(),
                               ident.db_name,
                               ident.db_name,
                               secrets::seal(self->state.svc->master_key, secrets::random_hex(24)),
                               bot::starter_bot().dump()};
        auto rp = self->make_response_promise<project_info>();
        self->request(self->state.svc->control_db, db_timeout, run_atom::value,
                      db_job{[p](pqxx::connection& c) {
                        return caf::make_message(storage::insert_project(c, p));
                      }})
            .then(
                [self, rp](storage::project_row& row) mutable {
                  log::info("project.created", {{"project", row.id}});
                  auto info = to_info(row);
                  spawn_project(self, std::move(row));
                  rp.deliver(std::move(info));
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](list_atom, std::int64_t after, int limit) {
        return query<std::vector<storage::project_row>, project_page>(
            self,
            [after, limit](pqxx::connection& c) {
              return caf::make_message(storage::list_projects(c, after, limit + 1));
            },
            [limit](std::vector<storage::project_row>& rows) {
              project_page page;
              for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i)
                page.items.push_back(to_info(rows[i]));
              if (static_cast<int>(rows.size()) > limit) page.next_after = page.items.back().seq;
              return page;
            },
            true);
      },
      [=](caf::get_atom, const std::string& id) { return forward(self, id, caf::get_atom::value); },
      [=](caf::update_atom, const std::string& id, project_patch& patch) {
        return forward(self, id, caf::update_atom::value, std::move(patch));
      },
      [=](pause_atom, const std::string& id) { return forward(self, id, pause_atom::value); },
      [=](resume_atom, const std::string& id) { return forward(self, id, resume_atom::value); },
      [=](remove_atom, const std::string& id) { return forward(self, id, remove_atom::value); },
      [=](conninfo_atom, const std::string& id) { return forward(self, id, conninfo_atom::value); },
      [=](bot_get_atom, const std::string& id) { return forward(self, id, bot_get_atom::value); },
      [=](profile_get_atom, const std::string& id) {
        return forward(self, id, profile_get_atom::value);
      },
      [=](template_create_atom, const std::string& id, std::string& t) {
        return forward(self, id, template_create_atom::value, std::move(t));
      },
      [=](template_list_atom, const std::string& id, std::string& status, std::string& name,
          std::string& after_name, std::string& after_language, int limit) {
        return forward(self, id, template_list_atom::value, std::move(status), std::move(name),
                       std::move(after_name), std::move(after_language), limit);
      },
      [=](template_get_atom, const std::string& id, std::string& name, std::string& language) {
        return forward(self, id, template_get_atom::value, std::move(name), std::move(language));
      },
      [=](template_get_atom, const std::string& id) {
        return forward(self, id, template_get_atom::value);
      },
      [=](template_edit_atom, const std::string& id, std::string& name, std::string& language,
          std::string& patch) {
        return forward(self, id, template_edit_atom::value, std::move(name), std::move(language),
                       std::move(patch));
      },
      [=](template_delete_atom, const std::string& id, std::string& name, std::string& language) {
        return forward(self, id, template_delete_atom::value, std::move(name), std::move(language));
      },
      [=](template_media_atom, const std::string& id, std::string& bytes, std::string& mime) {
        return forward(self, id, template_media_atom::value, std::move(bytes), std::move(mime));
      },
      [=](template_sync_atom, const std::string& id) {
        return forward(self, id, template_sync_atom::value);
      },
      [=](flow_create_atom, const std::string& id, std::string& body) {
        return forward(self, id, flow_create_atom::value, std::move(body));
      },
      [=](flow_list_atom, const std::string& id, std::string& status, std::string& after,
          int limit) {
        return forward(self, id, flow_list_atom::value, std::move(status), std::move(after), limit);
      },
      [=](flow_edit_atom, const std::string& id, std::string& name, std::string& patch) {
        return forward(self, id, flow_edit_atom::value, std::move(name), std::move(patch));
      },
      [=](flow_get_atom, const std::string& id, std::string& name) {
        return forward(self, id, flow_get_atom::value, std::move(name));
      },
      [=](flow_delete_atom, const std::string& id, std::string& name) {
        return forward(self, id, flow_delete_atom::value, std::move(name));
      },
      [=](flow_publish_atom, const std::string& id, std::string& name) {
        return forward(self, id, flow_publish_atom::value, std::move(name));
      },
      [=](flow_deprecate_atom, const std::string& id, std::string& name) {
        return forward(self, id, flow_deprecate_atom::value, std::move(name));
      },
      [=](flow_preview_atom, const std::string& id, std::string& name) {
        return forward(self, id, flow_preview_atom::value, std::move(name));
      },
      [=](flow_key_atom, const std::string& id) { return forward(self, id, flow_key_atom::value); },
      [=](flow_key_atom, const std::string& id, bool make) {
        return forward(self, id, flow_key_atom::value, make);
      },
      [=](flow_secret_atom, const std::string& id) {
        return forward(self, id, flow_secret_atom::value);
      },
      [=](flow_session_atom, const std::string& id, std::string& token) {
        return forward(self, id, flow_session_atom::value, std::move(token));
      },
      [=](broadcast_create_atom, const std::string& id, std::string& body, std::int64_t at) {
        return forward(self, id, broadcast_create_atom::value, std::move(body), at);
      },
      [=](broadcast_list_atom, const std::string& id, std::int64_t before, int limit) {
        return forward(self, id, broadcast_list_atom::value, before, limit);
      },
      [=](broadcast_get_atom, const std::string& id, std::int64_t b) {
        return forward(self, id, broadcast_get_atom::value, b);
      },
      [=](broadcast_recipients_atom, const std::string& id, std::int64_t b, std::string& status,
          std::int64_t after, int limit) {
        return forward(self, id, broadcast_recipients_atom::value, b, std::move(status), after,
                       limit);
      },
      [=](broadcast_control_atom, const std::string& id, std::int64_t b, std::string& action) {
        return forward(self, id, broadcast_control_atom::value, b, std::move(action));
      },
      [=](broadcast_count_atom, const std::string& id, std::string& audience) {
        return forward(self, id, broadcast_count_atom::value, std::move(audience));
      },
      [=](contact_opt_out_atom, const std::string& id, std::int64_t contact, bool opted_out) {
        return forward(self, id, contact_opt_out_atom::value, contact, opted_out);
      },
      [=](profile_set_atom, const std::string& id, std::string& patch_json) {
        return forward(self, id, profile_set_atom::value, std::move(patch_json));
      },
      [=](operator_send_atom, const std::string& id, std::string& wa_id,
          std::string& message_json) {
        return forward(self, id, operator_send_atom::value, std::move(wa_id),
                       std::move(message_json));
      },
      [=](query_atom, const std::string& id, storage::project_read& read) {
        return forward(self, id, query_atom::value, std::move(read));
      },
      [=](bot_logs_atom, const std::string& id) { return forward(self, id, bot_logs_atom::value); },
      [=](bot_preview_atom, const std::string& id, std::string& definition, std::int64_t version,
          bot::preview_request& request) {
        return forward(self, id, bot_preview_atom::value, std::move(definition), version,
                       std::move(request));
      },
      [=](bot_follow_atom, const std::string& id, std::string& last_event_id, event_sink& sink) {
        return forward(self, id, bot_follow_atom::value, std::move(last_event_id), std::move(sink));
      },
      [=](subscribe_atom, const std::string& id, std::string& last_event_id,
          std::int64_t conversation, event_sink& sink) {
        return forward(self, id, subscribe_atom::value, std::move(last_event_id), conversation,
                       std::move(sink));
      },
      [=](change_state_atom, const std::string& id, std::int64_t conversation, std::string& state,
          bool force, std::string& who) {
        return forward(self, id, change_state_atom::value, conversation, std::move(state), force,
                       std::move(who));
      },
      [=](close_atom, const std::string& id, std::int64_t conversation, std::string& who) {
        return forward(self, id, close_atom::value, conversation, std::move(who));
      },
      [=](database_atom, const std::string& id, storage::database_request& request,
          storage::database_rules& rules) {
        return forward(self, id, database_atom::value, std::move(request), rules);
      },
      [=](messages_atom, const std::string& id, std::int64_t conversation_id, std::int64_t before,
          int limit) {
        return forward(self, id, messages_atom::value, conversation_id, before, limit);
      },
      [=](operator_send_atom, const std::string& id, std::int64_t conversation_id,
          std::string& message_json) {
        return forward(self, id, operator_send_atom::value, conversation_id,
                       std::move(message_json));
      },
      [=](connect_atom, const std::string& id, std::string& number, std::string& waba,
          std::string& token, std::string& pin) {
        return forward(self, id, connect_atom::value, std::move(number), std::move(waba),
                       std::move(token), std::move(pin));
      },
      [=](bot_put_atom, const std::string& id, std::string& definition) {
        return forward(self, id, bot_put_atom::value, std::move(definition));
      },
      [=](bot_secret_atom, const std::string& id) {
        return forward(self, id, bot_secret_atom::value);
      },
      [=](bot_runtime_atom, const std::string& id) {
        return forward(self, id, bot_runtime_atom::value);
      },
      [=](key_create_atom, const std::string& id,
          const std::string& name) -> caf::result<key_info> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        if (name.empty() || name.size() > 200)
          return make_error(errc::invalid_argument, "a key name has 1 to 200 characters",
                            api_code::invalid_name);
        auto key = generate_project_key();
        auto key_id = "key_" + secrets::random_hex(8);
        return query<storage::key_row, key_info>(
            self,
            [=](pqxx::connection& c) {
              return caf::make_message(
                  storage::insert_key(c, key_id, id, name, key.hash, key.prefix));
            },
            [key](storage::key_row& r) {
              return key_info{r.id, r.name, r.key_prefix, r.created_at, key.key};
            },
            false);
      },
      [=](secret_put_atom, const std::string& id, const std::string& name,
          const std::string& value) -> caf::result<std::string, bool> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        if (auto why = secret_name_problem(name))
          return make_error(errc::invalid_argument, *why, api_code::invalid_secret_name);
        if (auto why = secret_value_problem(value))
          return make_error(errc::invalid_argument, *why, api_code::invalid_secret_value);
        auto sealed = secrets::seal(self->state.svc->master_key, value);
        auto rp = self->make_response_promise<std::string, bool>();
        self->request(self->state.svc->control_db, db_timeout, run_atom::value,
                      db_job{[id, name, sealed](pqxx::connection& c) {
                        auto row = storage::put_secret(c, id, name, sealed);
                        if (!row) return caf::make_message(std::string{}, false);
                        return caf::make_message(secret_json(*row).dump(), row->created);
                      }})
            .then(
                [self, rp, id](std::string& secret, bool created) mutable {
                  if (!secret.empty()) tell_secrets_changed(self, id);
                  if (secret.empty())
                    rp.deliver(make_error(errc::invalid_argument,
                                          "project " + id + " has " +
                                              std::to_string(storage::max_secrets_per_project) +
                                              " secrets, the most it may hold; delete one first",
                                          api_code::too_many_secrets));
                  else
                    rp.deliver(std::move(secret), created);
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](secret_list_atom, const std::string& id) -> caf::result<std::string> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        return query<std::string, std::string>(
            self,
            [id](pqxx::connection& c) {
              auto items = nlohmann::json::array();
              for (const auto& r : storage::list_secrets(c, id)) items.push_back(secret_json(r));
              return caf::make_message(nlohmann::json{{"items", items}}.dump());
            },
            [](std::string& s) { return std::move(s); }, true);
      },
      [=](secret_delete_atom, const std::string& id,
          const std::string& name) -> caf::result<caf::ok_atom> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        // Paige's own: without them a code bot's events could not be signed, nor could a
        // hosted bot call the API.
        if (name.rfind("PAIGE_", 0) == 0)
          return make_error(errc::invalid_argument,
                            name + " is Paige's own; " +
                                (name == bot_secret_name
                                     ? "make a new one with POST .../bot/secret"
                                     : "revoke its key (DELETE .../keys/{key_id}) for a new one"),
                            api_code::invalid_secret_name);
        auto rp = self->make_response_promise<caf::ok_atom>();
        self->request(self->state.svc->control_db, db_timeout, run_atom::value,
                      db_job{[id, name](pqxx::connection& c) {
                        return caf::make_message(storage::delete_secret(c, id, name));
                      }})
            .then(
                [self, rp, id, name](bool deleted) mutable {
                  if (deleted) tell_secrets_changed(self, id);
                  if (!deleted)
                    rp.deliver(make_error(errc::not_found,
                                          "project " + id + " has no secret " + name,
                                          api_code::secret_not_found));
                  else
                    rp.deliver(caf::ok_atom::value);
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](bot_versions_atom, const std::string& id) -> caf::result<std::vector<bot_info>> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        return query<std::vector<storage::bot_row>, std::vector<bot_info>>(
            self,
            [id](pqxx::connection& c) { return caf::make_message(storage::bot_versions(c, id)); },
            [](std::vector<storage::bot_row>& rows) {
              std::vector<bot_info> out;
              for (const auto& r : rows) out.push_back(to_bot_info(r));
              return out;
            },
            true);
      },
      [=](account_events_atom, const std::string& id, const std::string& field,
          std::int64_t before_id, int limit) -> caf::result<std::string> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        return query<std::vector<storage::account_event_row>, std::string>(
            self,
            [id, field, before_id, limit](pqxx::connection& c) {
              return caf::make_message(storage::account_events(c, id, field, before_id, limit));
            },
            [](std::vector<storage::account_event_row>& rows) {
              auto items = nlohmann::json::array();
              for (const auto& r : rows)
                items.push_back({{"id", r.id},
                                 {"field", r.field},
                                 {"waba_id", r.waba_id},
                                 {"phone_number_id", r.phone_number_id},
                                 {"event_time", r.event_time},
                                 {"received_at", r.received_at},
                                 {"value", nlohmann::json::parse(r.value_json, nullptr, false)}});
              return items.dump();
            },
            true);
      },
      [=](signup_atom, const std::string& id, std::string& code, std::string& waba_id,
          std::string& number_id, std::string& pin, std::string& redirect_uri) {
        return forward(self, id, signup_atom::value, std::move(code), std::move(waba_id),
                       std::move(number_id), std::move(pin), std::move(redirect_uri));
      },
      [=](photo_atom, const std::string& id, std::string& bytes, std::string& mime) {
        return forward(self, id, photo_atom::value, std::move(bytes), std::move(mime));
      },
      [=](display_name_atom, const std::string& id, std::string& name) {
        return forward(self, id, display_name_atom::value, std::move(name));
      },
      [=](waba_numbers_atom, const std::string& waba_id) -> caf::result<std::string> {
        return query<std::vector<storage::number_owner_row>, std::string>(
            self,
            [waba_id](pqxx::connection& c) {
              return caf::make_message(storage::waba_numbers(c, waba_id));
            },
            [](std::vector<storage::number_owner_row>& rows) {
              auto out = nlohmann::json::array();
              for (const auto& r : rows)
                out.push_back({r.project_id, r.phone_number_id, r.display_phone_number});
              return out.dump();
            },
            true);
      },
      [=](key_list_atom, const std::string& id) -> caf::result<std::vector<key_info>> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        return query<std::vector<storage::key_row>, std::vector<key_info>>(
            self,
            [id](pqxx::connection& c) { return caf::make_message(storage::list_keys(c, id)); },
            [](std::vector<storage::key_row>& rows) {
              std::vector<key_info> out;
              for (auto& r : rows) out.push_back({r.id, r.name, r.key_prefix, r.created_at, {}});
              return out;
            },
            true);
      },
      [=](key_revoke_atom, const std::string& id,
          const std::string& key_id) -> caf::result<caf::ok_atom> {
        if (!self->state.projects.count(id)) return project_not_found(id);
        auto rp = self->make_response_promise<caf::ok_atom>();
        self->request(self->state.svc->control_db, db_timeout, run_atom::value,
                      db_job{[id, key_id](pqxx::connection& c) {
                        return caf::make_message(storage::revoke_key(c, id, key_id));
                      }})
            .then(
                [self, rp, id, key_id](bool revoked) mutable {
                  // It may have been the hosted bot's: the bot gets a new one.
                  if (revoked) tell_secrets_changed(self, id);
                  if (revoked)
                    rp.deliver(caf::ok_atom::value);
                  else
                    rp.deliver(
                        make_error(errc::not_found, "no key " + key_id, api_code::key_not_found));
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](number_owned_atom, const std::string& phone_number_id) -> caf::result<bool> {
        auto rp = self->make_response_promise<bool>();
        self->request(
                self->state.svc->control_db, db_timeout, run_atom::value,
                retry_safe{[phone_number_id](pqxx::connection& c) {
                  return caf::make_message(storage::number_has_live_project(c, phone_number_id));
                }})
            .then([rp](bool owned) mutable { rp.deliver(owned); },
                  [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](auth_atom, const std::string& key_hash) -> caf::result<std::string, std::string> {
        auto rp = self->make_response_promise<std::string, std::string>();
        self->request(self->state.svc->control_db, db_timeout, run_atom::value,
                      retry_safe{[key_hash](pqxx::connection& c) {
                        auto found =
                            storage::project_of_key(c, key_hash).value_or(std::make_pair("", ""));
                        return caf::make_message(found.first, found.second);
                      }})
            .then(
                [rp](std::string& project, std::string& key_id) mutable {
                  if (project.empty())
                    rp.deliver(make_error(errc::not_found, "unknown key"));
                  else
                    rp.deliver(std::move(project), std::move(key_id));
                },
                [rp](caf::error& err) mutable { rp.deliver(err); });
        return rp;
      },
      [=](restart_atom, const std::string& id) {
        self->request(self->state.svc->control_db, db_timeout, run_atom::value,
                      retry_safe{[id](pqxx::connection& c) {
                        // An empty row: the project is gone meanwhile, nothing to restart.
                        return caf::make_message(
                            storage::find_project(c, id).value_or(storage::project_row{}));
                      }})
            .then(
                [self](storage::project_row& row) {
                  if (!row.id.empty()) spawn_project(self, std::move(row));
                },
                [self, id](caf::error& err) {
                  log::warn("project.restart_failed",
                            {{"project", id}, {"reason", reason_of(err)}});
                  self->delayed_send(self, std::chrono::seconds{1}, restart_atom::value, id);
                });
      },
  };
}

caf::actor spawn_project_directory(caf::actor_system& sys, services_ptr services,
                                   std::vector<storage::project_row> existing) {
  return sys.spawn(project_directory, std::move(services), std::move(existing));
}

}  // namespace paige::actors
