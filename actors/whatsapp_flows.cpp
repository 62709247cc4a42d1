// The account actor's flow calls (whatsapp_account.hpp): Meta's Flows API (spec/meta-cloud-api.md
// §9.1) on the number's WABA.
#include "actors/whatsapp_account_steps.hpp"

#include "actors/core/graph_result.hpp"
#include "actors/errors.hpp"
#include "actors/meta_sync.hpp"
#include "common/log.hpp"

#include <random>

namespace paige::actors::account {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds graph_timeout{60};

std::string token_of(self_ptr self, const storage::number_row& n) {
  return secrets::unseal(self->state.svc->master_key, n.access_token_sealed);
}

/// A boundary that the Flow JSON cannot contain: it is JSON, and the boundary has no quote
/// but the random part makes a collision with text in it improbable; checked anyway.
std::string boundary_for(const std::string& text) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    auto b = "paige-" + std::to_string(rng()) + std::to_string(rng());
    if (text.find(b) == std::string::npos) return b;
  }
}

/// The multipart body Meta's asset upload takes: the file flow.json, its name, its type.
std::string asset_form(const std::string& boundary, const std::string& flow_json) {
  auto field = [&](const std::string& name, const std::string& value) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
           value + "\r\n";
  };
  return field("name", "flow.json") + field("asset_type", "FLOW_JSON") + "--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"flow.json\"\r\n"
         "Content-Type: application/json\r\n\r\n" +
         flow_json + "\r\n--" + boundary + "--\r\n";
}

caf::result<std::string> answer(self_ptr self, std::string method, std::string path,
                                const std::string& token, std::string body) {
  auto rp = self->make_response_promise<std::string>();
  graph_step(
      self, std::move(method), std::move(path), token, std::move(body),
      [rp](const json& a) mutable { rp.deliver(a.is_discarded() ? std::string{"{}"} : a.dump()); },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

}  // namespace

caf::result<std::string> create_flow(self_ptr self, const storage::number_row& n,
                                     const std::string& body_json) {
  auto rp = self->make_response_promise<std::string>();
  graph_step(
      self, "POST", "/" + n.waba_id + "/flows", token_of(self, n), body_json,
      [self, rp](const json& a) mutable {
        if (string_member(a, "id").empty()) {
          rp.deliver(make_error(errc::upstream, "Meta's answer has no flow id",
                                api_code::graph_unavailable));
          return;
        }
        log::info("whatsapp.flow_created",
                  {{"project", self->state.project_id}, {"flow_id", string_member(a, "id")}});
        rp.deliver(a.dump());
      },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<std::string> upload_flow_json(self_ptr self, const storage::number_row& n,
                                          const std::string& meta_id, const std::string& text) {
  auto rp = self->make_response_promise<std::string>();
  auto boundary = boundary_for(text);
  self->request(self->state.svc->meta_sync, graph_timeout, graph_form_atom::value,
                "/" + meta_id + "/assets", token_of(self, n),
                "multipart/form-data; boundary=" + boundary, asset_form(boundary, text))
      .await(
          [rp](graph_result& r) mutable {
            if (!r.ok()) return rp.deliver(graph_failure(r)), void();
            auto a = json::parse(r.body, nullptr, false);
            rp.deliver(a.is_object() ? a.dump() : std::string{"{}"});
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

caf::result<std::string> flow_call(self_ptr self, const storage::number_row& n,
                                   const std::string& meta_id, const std::string& action,
                                   const std::string& body_json) {
  auto token = token_of(self, n);
  auto node = "/" + meta_id;
  if (action == "update") return answer(self, "POST", node, token, body_json);
  if (action == "publish" || action == "deprecate")
    return answer(self, "POST", node + "/" + action, token, "");
  if (action == "delete") return answer(self, "DELETE", node, token, "");
  if (action == "preview")
    return answer(self, "GET", node + "?fields=preview.invalidate(false)", token, "");
  return make_error(errc::invalid_argument, "no flow call '" + action + "'");
}

caf::result<std::string> flow_key_status(self_ptr self, const storage::number_row& n) {
  return answer(self, "GET", "/" + n.phone_number_id + "/whatsapp_business_encryption",
                token_of(self, n), "");
}

caf::result<std::string> upload_flow_key(self_ptr self, const storage::number_row& n,
                                         const std::string& public_pem) {
  auto rp = self->make_response_promise<std::string>();
  auto path = "/" + n.phone_number_id + "/whatsapp_business_encryption";
  auto token = token_of(self, n);
  self->request(self->state.svc->meta_sync, graph_timeout, graph_form_atom::value, path, token,
                std::string{"application/x-www-form-urlencoded"},
                "business_public_key=" + url_text::percent_encode(public_pem))
      .await(
          [self, rp, path, token](graph_result& r) mutable {
            if (!r.ok()) return rp.deliver(graph_failure(r)), void();
            log::info("whatsapp.flow_key_uploaded", {{"project", self->state.project_id}});
            graph_step(
                self, "GET", path, token, "",
                [rp](const json& a) mutable {
                  rp.deliver(a.is_discarded() ? std::string{"{}"} : a.dump());
                },
                [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

}  // namespace paige::actors::account
