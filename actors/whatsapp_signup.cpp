// The embedded signup inside the WhatsApp account actor (whatsapp_account.hpp): Meta's dialog
// gave the browser a single-use code and the ids of the WABA and number it shared; Paige
// exchanges the code for a business token, checks the token may manage and message that
// WABA, subscribes its app to the WABA's webhooks, registers the number with a PIN of its
// own, and reads and stores the number. Each step is stored before the next, with the secrets
// sealed, so a signup a crash interrupted resumes at its step (every step is idempotent at
// Meta, except the exchange: a code is good once).
#include "actors/whatsapp_account_steps.hpp"

#include "actors/errors.hpp"
#include "common/log.hpp"
#include "common/secrets.hpp"
#include "storage/whatsapp_signups.hpp"

#include <memory>
#include <pqxx/except>

namespace paige::actors::account {
namespace {

using json = nlohmann::json;

/// A signup in progress: its stored row and its secrets in the clear (never logged).
struct signup_run {
  storage::signup_row row;
  std::string code;
  std::string token;
  std::string pin;
  caf::typed_response_promise<storage::number_row> rp;
};
using run_ptr = std::shared_ptr<signup_run>;

/// The app's own token (app id|app secret), for the exchange and debug_token.
std::string app_token(const account_state& st) { return st.svc->app_id + "|" + st.svc->app_secret; }

void step(self_ptr self, run_ptr run);

/// The signup failed at its step: stored (the project shows it), then answered.
void fail_at(self_ptr self, run_ptr run, caf::error err) {
  auto& row = run->row;
  log::warn("whatsapp.signup_failed",
            {{"project", row.project_id}, {"step", row.step}, {"reason", reason_of(err)}});
  json error{{"step", row.step}, {"message", reason_of(err)}, {"code", api_code_of(err)}};
  auto answer = [self, run, err](auto&&...) mutable {
    caf::anon_send(self->state.project, signup_atom::value, std::string{"failed"});
    run->rp.deliver(err);
  };
  control_step(
      self,
      [id = row.project_id, error = error.dump()](pqxx::connection& c) {
        storage::fail_signup(c, id, error);
        return caf::make_message(true);
      },
      [answer](bool) mutable { answer(); }, [answer](caf::error) mutable { answer(); });
}

/// Stores that the signup reached `next` (and the exchanged token, if given), then goes on.
void advance(self_ptr self, run_ptr run, const std::string& next, std::string token_sealed = {}) {
  control_step(
      self,
      [id = run->row.project_id, next, token_sealed](pqxx::connection& c) {
        storage::advance_signup(c, id, next, token_sealed);
        return caf::make_message(true);
      },
      [self, run, next](bool) {
        run->row.step = next;
        caf::anon_send(self->state.project, signup_atom::value, next);
        step(self, run);
      },
      [self, run](caf::error err) { fail_at(self, run, std::move(err)); });
}

/// Whether debug_token's answer lets the token manage and message WhatsApp for `waba_id`:
/// empty when it does, else what is missing.
std::string missing_scope(const json& answer, const std::string& waba_id) {
  const auto data = answer.is_object() ? answer.value("data", json::object()) : json::object();
  if (data.is_object() && data.contains("is_valid") && data["is_valid"] == false)
    return "the token is not valid";
  const auto granular =
      data.is_object() ? data.value("granular_scopes", json::array()) : json::array();
  for (const char* scope : {"whatsapp_business_management", "whatsapp_business_messaging"}) {
    const json* found = nullptr;
    if (granular.is_array())
      for (const auto& g : granular)
        if (string_member(g, "scope") == scope) found = &g;
    if (!found) return std::string{"the token lacks the "} + scope + " permission";
    const auto targets = found->contains("target_ids") ? (*found)["target_ids"] : json::array();
    bool names_waba = !targets.is_array() || targets.empty();
    if (targets.is_array())
      for (const auto& t : targets)
        if (t.is_string() && t.get<std::string>() == waba_id) names_waba = true;
    if (!names_waba)
      return std::string{"the token's "} + scope + " permission does not include WABA " + waba_id;
  }
  return {};
}

/// Runs the signup's current step.
void step(self_ptr self, run_ptr run) {
  auto& st = self->state;
  auto& row = run->row;
  auto fail = [self, run](caf::error err) { fail_at(self, run, std::move(err)); };
  if (row.step == "exchange") {
    if (run->code.empty())
      return fail(make_error(errc::invalid_argument,
                             "the signup's code was used before a crash: sign up again",
                             api_code::whatsapp_rejected));
    return graph_step(
        self, "GET",
        "/oauth/access_token?client_id=" + url_text::percent_encode(st.svc->app_id) +
            "&client_secret=" + url_text::percent_encode(st.svc->app_secret) +
            "&code=" + url_text::percent_encode(run->code) +
            (row.redirect_uri.empty()
                 ? ""
                 : "&redirect_uri=" + url_text::percent_encode(row.redirect_uri)),
        app_token(st), "",
        [self, run, fail](const json& answer) {
          auto token = string_member(answer, "access_token");
          if (token.empty())
            return fail(make_error(errc::upstream, "Meta's exchange answered no access_token",
                                   api_code::graph_unavailable));
          run->token = token;
          run->code.clear();
          advance(self, run, "check", secrets::seal(self->state.svc->master_key, run->token));
        },
        fail);
  }
  if (row.step == "check")
    return graph_step(
        self, "GET", "/debug_token?input_token=" + url_text::percent_encode(run->token),
        app_token(st), "",
        [self, run, fail](const json& answer) {
          if (auto missing = missing_scope(answer, run->row.waba_id); !missing.empty())
            return fail(
                make_error(errc::invalid_argument, missing, api_code::whatsapp_scope_missing));
          advance(self, run, "subscribe");
        },
        fail);
  if (row.step == "subscribe")
    return graph_step(
        self, "POST", "/" + row.waba_id + "/subscribed_apps", run->token, "",
        [self, run](const json&) { advance(self, run, "register"); }, fail);
  if (row.step == "register")
    return graph_step(
        self, "POST", "/" + row.phone_number_id + "/register", run->token,
        json{{"messaging_product", "whatsapp"}, {"pin", run->pin}}.dump(),
        [self, run](const json&) { advance(self, run, "store"); }, fail);
  // store: read the number, store it, and forget the signup.
  graph_step(
      self, "GET", "/" + row.phone_number_id + number_fields, run->token, "",
      [self, run, fail](const json& meta) {
        auto& r = run->row;
        store_number(
            self,
            number_row_of(self->state, r.phone_number_id, r.waba_id, run->token, run->pin, meta),
            [run](storage::number_row n) {
              // Stored with the number: connect_number ended the signup in its transaction.
              log::info("whatsapp.signup_done", {{"project", n.project_id}});
              run->rp.deliver(std::move(n));
            },
            fail);
      },
      fail);
}

caf::error not_configured() {
  return make_error(errc::conflict,
                    "embedded signup needs the Meta app id: start paige with --app-id",
                    api_code::app_id_not_configured);
}

}  // namespace

caf::result<storage::number_row> sign_up(self_ptr self, signup_request req) {
  auto& st = self->state;
  if (st.svc->app_id.empty()) return not_configured();
  auto run = std::make_shared<signup_run>();
  run->rp = self->make_response_promise<storage::number_row>();
  run->code = req.code;
  run->pin = req.pin;
  run->row = {st.project_id,
              req.waba_id,
              req.phone_number_id,
              "exchange",
              "running",
              secrets::seal(st.svc->master_key, req.code),
              {},
              secrets::seal(st.svc->master_key, req.pin),
              {},
              req.redirect_uri};
  auto fail = [run](caf::error err) mutable { run->rp.deliver(std::move(err)); };
  // Refuse a number another project owns before Meta is called (its code stays unused).
  control_step(
      self,
      [row = run->row](pqxx::connection& c) {
        auto owner = storage::number_owner(c, row.phone_number_id).value_or("");
        if (owner.empty() || owner == row.project_id) {
          bool started = false;
          try {
            started = storage::start_signup(c, row);
          } catch (const pqxx::unique_violation&) {  // the other signup started meanwhile
          }
          if (!started) owner = "(another signup)";
        }
        return caf::make_message(owner);
      },
      [self, run, fail](std::string& owner) mutable {
        if (owner == "(another signup)")
          return fail(make_error(
              errc::conflict,
              "another project's signup of number " + run->row.phone_number_id + " is running",
              api_code::number_in_use));
        if (!owner.empty() && owner != self->state.project_id)
          return fail(number_in_use(run->row.phone_number_id));
        log::info("whatsapp.signup_started", {{"project", run->row.project_id}});
        caf::anon_send(self->state.project, signup_atom::value, std::string{"exchange"});
        step(self, run);
      },
      fail);
  return run->rp;
}

caf::result<storage::number_row> resume_signup(self_ptr self) {
  auto& st = self->state;
  auto run = std::make_shared<signup_run>();
  run->rp = self->make_response_promise<storage::number_row>();
  auto fail = [run](caf::error err) mutable { run->rp.deliver(std::move(err)); };
  control_step(
      self,
      [id = st.project_id](pqxx::connection& c) {
        return caf::make_message(storage::signup_of(c, id).value_or(storage::signup_row{}));
      },
      [self, run, fail](storage::signup_row& row) mutable {
        if (row.status != "running")
          return fail(
              make_error(errc::conflict, "no signup is running", api_code::signup_not_running));
        run->row = std::move(row);
        // Whatever stops it here fails it for good (stored): a resume that failed each time
        // the project starts would never let it be deleted or signed up again.
        if (self->state.svc->app_id.empty()) return fail_at(self, run, not_configured());
        const auto& key = self->state.svc->master_key;
        try {
          if (!run->row.code_sealed.empty()) run->code = secrets::unseal(key, run->row.code_sealed);
          if (!run->row.access_token_sealed.empty())
            run->token = secrets::unseal(key, run->row.access_token_sealed);
          run->pin = secrets::unseal(key, run->row.pin_sealed);
        } catch (const std::exception&) {
          return fail_at(
              self, run,
              make_error(errc::internal, "the signup's secrets cannot be unsealed: sign up again"));
        }
        log::info("whatsapp.signup_resumed",
                  {{"project", run->row.project_id}, {"step", run->row.step}});
        step(self, run);
      },
      fail);
  return run->rp;
}

}  // namespace paige::actors::account
