#include "api/flow_endpoint_routes.hpp"

#include "actors/core/bot_interpreter.hpp"
#include "actors/project_types.hpp"
#include "api/actor_call.hpp"
#include "api/webhook_codec.hpp"
#include "common/flow_crypto.hpp"
#include "common/log.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace paige::api {
namespace {

using json = nlohmann::json;

/// Meta's statuses for the endpoint's refusals (spec §9.4).
constexpr unsigned cannot_decrypt = 421;
constexpr unsigned token_invalid = 427;
constexpr unsigned bad_signature = 432;

http_response plain(unsigned status, std::string body, const char* type = "text/plain") {
  http_response r;
  r.status = status;
  r.content_type = type;
  r.body = std::move(body);
  return r;
}

std::string string_at(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

/// The answer to a decrypted request, encrypted for Meta.
http_response encrypted(const flow_crypto::request& req, const json& answer) {
  return plain(200, flow_crypto::encrypt_response(req, answer.dump()));
}

}  // namespace

void add_flow_endpoint_routes(router& routes, flow_endpoint_context ctx) {
  routes.add(
      "POST", "/v1/flows/endpoint/{project_id}", [ctx](http_request&& req, responder respond) {
        auto signature = std::string{req.header("x-hub-signature-256").value_or("")};
        if (!valid_signature(ctx.app_secret, req.body, signature))
          return respond(plain(bad_signature, R"({"error_msg":"the signature does not match"})",
                               "application/json"));
        auto body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || string_at(body, "encrypted_flow_data").empty() ||
            string_at(body, "encrypted_aes_key").empty() ||
            string_at(body, "initial_vector").empty())
          return respond(http_response::error(
              api_code::invalid_body,
              "give encrypted_flow_data, encrypted_aes_key and initial_vector (base64)"));
        auto project = std::string{req.param("project_id")};
        auto& sys = *ctx.sys;
        auto dir = ctx.directory;
        auto timeout = ctx.timeout;
        ask(
            sys, dir, timeout,
            [&sys, dir, timeout, respond, body, project](std::string& private_pem) {
              flow_crypto::request decrypted;
              json payload;
              try {
                decrypted = flow_crypto::decrypt_request(
                    private_pem, string_at(body, "encrypted_aes_key"),
                    string_at(body, "encrypted_flow_data"), string_at(body, "initial_vector"));
                payload = json::parse(decrypted.payload);
              } catch (const std::exception& e) {
                log::warn("flows.endpoint_undecryptable",
                          {{"project", project}, {"reason", e.what()}});
                return respond(plain(cannot_decrypt, ""));
              }
              if (!payload.is_object()) return respond(plain(cannot_decrypt, ""));
              auto action = string_at(payload, "action");
              auto version = payload.value("version", json("3.0"));
              if (action == "ping")
                return respond(
                    encrypted(decrypted, {{"version", version}, {"data", {{"status", "active"}}}}));
              const auto& data = payload.value("data", json::object());
              if (data.is_object() && data.contains("error"))
                return respond(encrypted(
                    decrypted, {{"version", version}, {"data", {{"acknowledged", true}}}}));
              auto token = string_at(payload, "flow_token");
              auto screen = string_at(payload, "screen");
              auto session = std::make_shared<flow_crypto::request>(std::move(decrypted));
              ask(
                  sys, dir, timeout,
                  [respond, session, version, screen](bool known) {
                    if (!known)
                      return respond(plain(token_invalid,
                                           json{{"error_msg", "This form has expired."}}.dump(),
                                           "application/json"));
                    // The screen asked for, without data yet: the flow's declarative sources
                    // (SQL over the project's database) are docs/flows.md's next step.
                    respond(encrypted(
                        *session,
                        {{"version", version}, {"screen", screen}, {"data", json::object()}}));
                  },
                  [respond](const caf::error&) { respond(plain(token_invalid, "")); },
                  actors::flow_session_atom::value, project, token);
            },
            [respond](const caf::error&) {
              // No key (or no such project): Meta refetches the key and retries.
              respond(plain(cannot_decrypt, ""));
            },
            actors::flow_secret_atom::value, project);
      });
}

}  // namespace paige::api
