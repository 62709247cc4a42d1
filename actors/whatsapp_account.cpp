#include "actors/whatsapp_account.hpp"

#include "actors/whatsapp_account_steps.hpp"

#include "actors/core/business_profile.hpp"
#include "actors/core/graph_result.hpp"
#include "actors/core/number_health.hpp"
#include "actors/errors.hpp"
#include "actors/meta_sync.hpp"
#include "common/log.hpp"

#include <caf/all.hpp>

#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>

namespace paige::actors {

namespace account {

constexpr std::chrono::seconds graph_timeout{60};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

caf::error graph_failure(const graph_result& r) {
  if (!r.transport_error.empty() || r.http_status >= 500)
    return make_error(errc::upstream, "Meta's Graph API is unavailable: " + r.error_message(),
                      api_code::graph_unavailable);
  if (r.error_code() == 190 || r.http_status == 401)
    return make_error(errc::invalid_argument, "Meta refused the access token: " + r.error_message(),
                      api_code::whatsapp_token_invalid);
  return make_error(errc::invalid_argument, "Meta refused the request: " + r.error_message(),
                    api_code::whatsapp_rejected);
}

void graph_step(self_ptr self, std::string method, std::string path, const std::string& token,
                std::string body, std::function<void(const nlohmann::json&)> ok, failure fail) {
  self->request(self->state.svc->meta_sync, graph_timeout, graph_call_atom::value,
                std::move(method), std::move(path), token, std::move(body))
      .await(
          [ok, fail](graph_result& r) {
            if (r.ok())
              ok(nlohmann::json::parse(r.body, nullptr, false));
            else
              fail(graph_failure(r));
          },
          [fail](caf::error& err) { fail(err); });
}

caf::error number_in_use(const std::string& phone_number_id) {
  return make_error(errc::conflict, "another project owns number " + phone_number_id,
                    api_code::number_in_use);
}

storage::number_row number_row_of(const account_state& st, const std::string& phone_number_id,
                                  const std::string& waba_id, const std::string& access_token,
                                  const std::string& pin, const nlohmann::json& meta) {
  auto text_of = [&meta](const char* key) {
    return meta.is_object() && meta.contains(key) && meta[key].is_string()
               ? meta[key].get<std::string>()
               : std::string{};
  };
  // What Meta says of the number's health now: merged over what was known of it.
  nlohmann::json health = nlohmann::json::object();
  if (auto rating = text_of("quality_rating"); !rating.empty()) health["quality_rating"] = rating;
  return {phone_number_id,
          st.project_id,
          waba_id,
          text_of("display_phone_number"),
          text_of("verified_name"),
          secrets::seal(st.svc->master_key, access_token),
          secrets::seal(st.svc->master_key, pin),
          health.dump()};
}

void store_number(self_ptr self, storage::number_row n, std::function<void(storage::number_row)> ok,
                  failure fail) {
  control_step(
      self,
      [n](pqxx::connection& c) {
        // What Meta reported of this number before stays (a ban does not end with a new token);
        // a refusal of sends is tried again at once; what was read from Meta just now wins.
        std::string health_json;
        auto stored = storage::connect_number(c, n, [&](const std::string& kept) {
          auto health = nlohmann::json::parse(kept, nullptr, false);
          if (!health.is_object()) health = nlohmann::json::object();
          health.erase("send_refusal");
          health.update(nlohmann::json::parse(n.health_json, nullptr, false));
          return health_json = health::settle(std::move(health), unix_now()).dump();
        });
        return caf::make_message(stored, health_json);
      },
      [ok, fail, n](bool stored, std::string& health_json) mutable {
        n.health_json = std::move(health_json);
        if (!stored) return fail(number_in_use(n.phone_number_id));
        log::info("project.number_connected",
                  {{"project", n.project_id}, {"phone_number_id", n.phone_number_id}});
        ok(std::move(n));
      },
      fail);
}

}  // namespace account

namespace {

using namespace account;

/// Onboards a number: refuse one another project owns before calling Meta at all, then read it,
/// register it, subscribe the app to its WABA, and store it.
caf::result<storage::number_row> connect(self_ptr self, number_request req) {
  auto rp = self->make_response_promise<storage::number_row>();
  failure fail = [rp](caf::error err) mutable { rp.deliver(std::move(err)); };
  auto subscribe_then_store = [self, rp, fail, req](const nlohmann::json& meta) {
    graph_step(
        self, "POST", "/" + req.waba_id + "/subscribed_apps", req.access_token, "",
        [self, rp, fail, req, meta](const nlohmann::json&) {
          store_number(
              self,
              number_row_of(self->state, req.phone_number_id, req.waba_id, req.access_token,
                            req.pin, meta),
              [rp](storage::number_row n) mutable { rp.deliver(std::move(n)); }, fail);
        },
        fail);
  };
  auto register_number = [self, fail, req, subscribe_then_store](const nlohmann::json& meta) {
    nlohmann::json body{{"messaging_product", "whatsapp"}, {"pin", req.pin}};
    graph_step(
        self, "POST", "/" + req.phone_number_id + "/register", req.access_token, body.dump(),
        [subscribe_then_store, meta](const nlohmann::json&) { subscribe_then_store(meta); }, fail);
  };
  control_step(
      self,
      [id = req.phone_number_id](pqxx::connection& c) {
        return caf::make_message(storage::number_owner(c, id).value_or(""));
      },
      [self, fail, req, register_number](std::string& owner) {
        if (!owner.empty() && owner != self->state.project_id) {
          fail(number_in_use(req.phone_number_id));
          return;
        }
        graph_step(
            self, "GET",
            "/" + req.phone_number_id + "?fields=display_phone_number,verified_name,quality_rating",
            req.access_token, "", register_number, fail);
      },
      fail);
  return rp;
}

const std::string profile_path = "/whatsapp_business_profile";
const std::string profile_fields =
    "?fields=about,address,description,email,profile_picture_url,websites,vertical";

/// Reads the number's business profile from Meta.
void read_profile(self_ptr self, const storage::number_row& n,
                  caf::typed_response_promise<std::string> rp) {
  graph_step(
      self, "GET", "/" + n.phone_number_id + profile_path + profile_fields,
      secrets::unseal(self->state.svc->master_key, n.access_token_sealed), "",
      [rp](const nlohmann::json& answer) mutable {
        rp.deliver(profile::from_graph(answer).dump());
      },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
}

caf::result<std::string> get_profile(self_ptr self, const storage::number_row& n) {
  auto rp = self->make_response_promise<std::string>();
  read_profile(self, n, rp);
  return rp;
}

/// Sends a change (checked by the caller: profile::check_patch) and reads the profile back, as
/// Meta answers an update with {"success": true} only.
caf::result<std::string> set_profile(self_ptr self, const storage::number_row& n,
                                     const std::string& patch_json) {
  auto rp = self->make_response_promise<std::string>();
  auto body = profile::update_body(nlohmann::json::parse(patch_json)).dump();
  graph_step(
      self, "POST", "/" + n.phone_number_id + profile_path,
      secrets::unseal(self->state.svc->master_key, n.access_token_sealed), std::move(body),
      [self, n, rp](const nlohmann::json&) {
        log::info("whatsapp.profile_updated",
                  {{"project", self->state.project_id}, {"phone_number_id", n.phone_number_id}});
        read_profile(self, n, rp);
      },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

}  // namespace

namespace account {

void upload(self_ptr self, const storage::number_row& n, std::string bytes, const std::string& mime,
            std::function<void(std::string)> ok, failure fail) {
  auto& st = self->state;
  if (st.svc->app_id.empty())
    return fail(make_error(errc::conflict,
                           "uploading a file needs the Meta app id: start paige with --app-id",
                           api_code::app_id_not_configured));
  auto token = secrets::unseal(st.svc->master_key, n.access_token_sealed);
  auto session = "/" + st.svc->app_id + "/uploads?file_length=" + std::to_string(bytes.size()) +
                 "&file_type=" + url_text::percent_encode(mime);
  graph_step(
      self, "POST", session, token, "",
      [self, token, ok, fail, bytes = std::move(bytes)](const nlohmann::json& answer) mutable {
        auto id = string_member(answer, "id");
        if (id.empty())
          return fail(make_error(errc::upstream, "Meta's upload session has no id",
                                 api_code::graph_unavailable));
        self->request(self->state.svc->meta_sync, graph_timeout, graph_upload_atom::value, "/" + id,
                      token, std::move(bytes))
            .await(
                [ok, fail](graph_result& r) {
                  if (!r.ok()) return fail(graph_failure(r));
                  auto handle = string_member(nlohmann::json::parse(r.body, nullptr, false), "h");
                  if (handle.empty())
                    return fail(make_error(errc::upstream, "Meta's upload answered no handle",
                                           api_code::graph_unavailable));
                  ok(std::move(handle));
                },
                [fail](caf::error& err) { fail(err); });
      },
      fail);
}

}  // namespace account

namespace {

/// Sets the profile photo (checked by the caller: profile_photo.hpp): uploaded, then the handle
/// Meta gave it set on the profile; reads the profile back.
caf::result<std::string> set_photo(self_ptr self, const storage::number_row& n, std::string bytes,
                                   const std::string& mime) {
  auto rp = self->make_response_promise<std::string>();
  failure fail = [rp](caf::error err) mutable { rp.deliver(std::move(err)); };
  upload(
      self, n, std::move(bytes), mime,
      [self, n, rp, fail](std::string handle) {
        graph_step(
            self, "POST", "/" + n.phone_number_id + profile_path,
            secrets::unseal(self->state.svc->master_key, n.access_token_sealed),
            nlohmann::json{{"messaging_product", "whatsapp"}, {"profile_picture_handle", handle}}
                .dump(),
            [self, n, rp](const nlohmann::json&) {
              log::info("whatsapp.photo_updated", {{"project", self->state.project_id}});
              read_profile(self, n, rp);
            },
            fail);
      },
      fail);
  return rp;
}

/// A file for a template's media header: uploaded, its handle answered.
caf::result<std::string> upload_template_media(self_ptr self, const storage::number_row& n,
                                               std::string bytes, const std::string& mime) {
  auto rp = self->make_response_promise<std::string>();
  upload(
      self, n, std::move(bytes), mime, [rp](std::string handle) mutable { rp.deliver(handle); },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

/// One Graph call whose answer is only a success.
caf::result<bool> call_for_success(self_ptr self, const storage::number_row& n, std::string path,
                                   nlohmann::json body) {
  auto rp = self->make_response_promise<bool>();
  graph_step(
      self, "POST", std::move(path),
      secrets::unseal(self->state.svc->master_key, n.access_token_sealed), body.dump(),
      [rp](const nlohmann::json&) mutable { rp.deliver(true); },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

whatsapp_account::behavior_type account_behavior(self_ptr self, std::string project_id,
                                                 services_ptr services, caf::actor project) {
  self->state.project_id = std::move(project_id);
  self->state.project = std::move(project);
  self->state.svc = std::move(services);
  return {
      [=](connect_atom, number_request& req) { return connect(self, std::move(req)); },
      [=](signup_atom, signup_request& req) { return sign_up(self, std::move(req)); },
      [=](signup_atom) { return resume_signup(self); },
      [=](profile_get_atom, const storage::number_row& n) { return get_profile(self, n); },
      [=](profile_set_atom, const storage::number_row& n, const std::string& patch) {
        return set_profile(self, n, patch);
      },
      [=](photo_atom, const storage::number_row& n, std::string& bytes, const std::string& mime) {
        return set_photo(self, n, std::move(bytes), mime);
      },
      [=](display_name_atom, const storage::number_row& n, const std::string& name) {
        // Meta's display-name change on the phone-number node (spec §10: unconfirmed).
        return call_for_success(self, n, "/" + n.phone_number_id, {{"new_display_name", name}});
      },
      [=](template_media_atom, const storage::number_row& n, std::string& bytes,
          const std::string& mime) {
        return upload_template_media(self, n, std::move(bytes), mime);
      },
      [=](template_create_atom, const storage::number_row& n, const std::string& body) {
        return create_template(self, n, body);
      },
      [=](template_list_atom, const storage::number_row& n) { return list_templates(self, n); },
      [=](flow_create_atom, const storage::number_row& n, const std::string& body) {
        return create_flow(self, n, body);
      },
      [=](flow_asset_atom, const storage::number_row& n, const std::string& meta_id,
          const std::string& text) { return upload_flow_json(self, n, meta_id, text); },
      [=](flow_key_atom, const storage::number_row& n, const std::string& public_pem) {
        return upload_flow_key(self, n, public_pem);
      },
      [=](flow_key_atom, const storage::number_row& n) { return flow_key_status(self, n); },
      [=](flow_call_atom, const storage::number_row& n, const std::string& meta_id,
          const std::string& action,
          const std::string& body) { return flow_call(self, n, meta_id, action, body); },
      [=](template_edit_atom, const storage::number_row& n, const std::string& meta_id,
          const std::string& body) { return edit_template(self, n, meta_id, body); },
      [=](template_delete_atom, const storage::number_row& n, const std::string& name,
          const std::string& meta_id) { return delete_template(self, n, name, meta_id); },
      [=](reregister_atom, const storage::number_row& n) {
        return call_for_success(
            self, n, "/" + n.phone_number_id + "/register",
            {{"messaging_product", "whatsapp"},
             {"pin", secrets::unseal(self->state.svc->master_key, n.pin_sealed)}});
      },
  };
}

}  // namespace

whatsapp_account spawn_whatsapp_account(caf::local_actor* parent, std::string project_id,
                                        services_ptr services) {
  return parent->spawn<caf::linked>(account_behavior, std::move(project_id), std::move(services),
                                    caf::actor_cast<caf::actor>(parent));
}

}  // namespace paige::actors
