/// @file
/// @brief Inside the WhatsApp account actor (whatsapp_account.hpp): its state and the steps its
/// requests are made of, shared by its files (connecting, the embedded signup). Each step holds
/// back the actor's other messages until it is answered (await), so requests run one at a time.
#pragma once

#include "actors/db_pool.hpp"
#include "actors/graph_api.hpp"
#include "actors/whatsapp_account.hpp"
#include "common/url_text.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace paige::actors::account {

struct account_state {
  static constexpr const char* name = "whatsapp_account";
  std::string project_id;
  services_ptr svc;
  caf::actor project;  ///< the project actor: told of each stored signup step
};

using self_ptr = whatsapp_account::stateful_pointer<account_state>;
using failure = std::function<void(caf::error)>;

inline constexpr std::chrono::seconds control_db_timeout{15};

/// The fields of a number read when it is connected.
inline const std::string number_fields =
    "?fields=display_phone_number,verified_name,quality_rating";

std::int64_t unix_now();

/// What a failed Graph call means for the caller (Meta unavailable, token refused, refused).
caf::error graph_failure(const graph_result& r);

/// One Graph call; `ok` gets Meta's JSON answer, `fail` graph_failure's error.
void graph_step(self_ptr self, std::string method, std::string path, const std::string& token,
                std::string body, std::function<void(const nlohmann::json&)> ok, failure fail);

/// A control-database job.
template <class Ok>
void control_step(self_ptr self, db_job job, Ok ok, failure fail) {
  self->request(self->state.svc->control_db, control_db_timeout, run_atom::value, std::move(job))
      .await(ok, [fail](caf::error& err) { fail(err); });
}

caf::error number_in_use(const std::string& phone_number_id);

/// The stored row of a number Meta described in `meta` (its token and PIN sealed).
storage::number_row number_row_of(const account_state& st, const std::string& phone_number_id,
                                  const std::string& waba_id, const std::string& access_token,
                                  const std::string& pin, const nlohmann::json& meta);

/// Stores the number (what was known of its health kept), unless another project took it
/// while Meta was being called (number_in_use).
void store_number(self_ptr self, storage::number_row n, std::function<void(storage::number_row)> ok,
                  failure fail);

/// The embedded signup (whatsapp_signup.cpp): starts one, or resumes the stored one.
caf::result<storage::number_row> sign_up(self_ptr self, signup_request req);
caf::result<storage::number_row> resume_signup(self_ptr self);

/// Uploads `bytes` through the Resumable Upload API (a session of the app, then the bytes from
/// offset 0); `ok` gets the handle Meta gave them | app_id_not_configured | Graph errors.
void upload(self_ptr self, const storage::number_row& n, std::string bytes, const std::string& mime,
            std::function<void(std::string)> ok, failure fail);

/// The message templates (whatsapp_templates.cpp).
caf::result<std::string> create_template(self_ptr self, const storage::number_row& n,
                                         const std::string& body_json);
caf::result<std::string> list_templates(self_ptr self, const storage::number_row& n);
caf::result<bool> edit_template(self_ptr self, const storage::number_row& n,
                                const std::string& meta_id, const std::string& body_json);
caf::result<bool> delete_template(self_ptr self, const storage::number_row& n,
                                  const std::string& name, const std::string& meta_id);

/// The flows (whatsapp_flows.cpp).
caf::result<std::string> create_flow(self_ptr self, const storage::number_row& n,
                                     const std::string& body_json);
caf::result<std::string> upload_flow_json(self_ptr self, const storage::number_row& n,
                                          const std::string& meta_id, const std::string& text);
caf::result<std::string> flow_call(self_ptr self, const storage::number_row& n,
                                   const std::string& meta_id, const std::string& action,
                                   const std::string& body_json);
caf::result<std::string> upload_flow_key(self_ptr self, const storage::number_row& n,
                                         const std::string& public_pem);
caf::result<std::string> flow_key_status(self_ptr self, const storage::number_row& n);

}  // namespace paige::actors::account
