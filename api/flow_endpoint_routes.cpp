#include "api/flow_endpoint_routes.hpp"

#include "actors/core/bot_interpreter.hpp"
#include "actors/core/flow_exchange.hpp"
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

/// A screen's data being gathered: its queries run one after another.
struct gathering {
  caf::actor_system* sys;
  caf::actor directory;
  std::chrono::milliseconds timeout;
  storage::database_rules rules;
  std::string project;
  std::vector<actors::flows::data_query> queries;
  std::size_t next = 0;
  json data = json::object();
  std::function<void(json data, std::string error)> done;
};

void gather(std::shared_ptr<gathering> g) {
  if (g->next == g->queries.size()) return g->done(std::move(g->data), "");
  const auto& q = g->queries[g->next];
  // On a pooled connection, read only, under the database API's timeout and row cap.
  storage::database_request request{storage::table_request{
      storage::read_query_request{q.sql, q.params, g->rules.row_cap, g->rules.byte_cap}}};
  ask(
      *g->sys, g->directory, g->timeout,
      [g](storage::database_outcome& outcome) {
        const auto& q = g->queries[g->next];
        if (auto* refused = std::get_if<storage::table_error>(&outcome))
          return g->done({}, "the data of '" + q.field + "': " + refused->what());
        auto result =
            json::parse(std::get<storage::database_result>(outcome).body_json, nullptr, false);
        g->data[q.field] = actors::flows::value_of_rows(result, q.one);
        ++g->next;
        gather(g);
      },
      [g](const caf::error&) { g->done({}, "the data could not be read"); },
      actors::database_atom::value, g->project, std::move(request), g->rules);
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
        auto rules = ctx.rules;
        ask(
            sys, dir, timeout,
            [&sys, dir, timeout, rules, respond, body, project](std::string& private_pem) {
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
                  [&sys, dir, timeout, rules, respond, session, version, screen, payload, project,
                   token](std::string& found_json) {
                    auto found = json::parse(found_json, nullptr, false);
                    if (found.value("known", false) != true)
                      return respond(plain(token_invalid,
                                           json{{"error_msg", "This form has expired."}}.dump(),
                                           "application/json"));
                    const auto& flow = found["flow"];
                    const auto& sources = flow.value("data_sources", json());
                    auto next = actors::flows::next_screen(flow.value("flow_json", json()), sources,
                                                           string_at(payload, "action"), screen);
                    if (next == "SUCCESS") {
                      auto params = payload.value("data", json::object());
                      if (!params.is_object()) params = json::object();
                      params["flow_token"] = token;
                      return respond(encrypted(
                          *session,
                          {{"version", version},
                           {"screen", "SUCCESS"},
                           {"data", {{"extension_message_response", {{"params", params}}}}}}));
                    }
                    auto g = std::make_shared<gathering>();
                    g->sys = &sys;
                    g->directory = dir;
                    g->timeout = timeout;
                    g->rules = rules;
                    g->project = project;
                    g->queries = actors::flows::queries_for(sources, next, payload);
                    g->done = [respond, session, version, next, screen](json data,
                                                                        std::string error) {
                      if (!error.empty())
                        return respond(
                            encrypted(*session, {{"version", version},
                                                 {"screen", screen.empty() ? next : screen},
                                                 {"data", {{"error_message", error}}}}));
                      respond(encrypted(*session,
                                        {{"version", version}, {"screen", next}, {"data", data}}));
                    };
                    gather(g);
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
