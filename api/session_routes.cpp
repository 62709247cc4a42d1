#include "api/session_routes.hpp"

#include "api/auth.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace paige::api {

void add_session_routes(router& routes, const project_routes_context& ctx) {
  nlohmann::json limits{{"sql_timeout_ms", ctx.sql_timeout.count()},
                        {"sql_row_cap", ctx.sql_row_cap},
                        {"sql_max_bytes", ctx.sql_max_bytes}};
  // The embedded signup's dialog: the dashboard opens it (null when not configured).
  nlohmann::json signup = nullptr;
  if (!ctx.signup.app_id.empty())
    signup = {{"app_id", ctx.signup.app_id},
              {"config_id", ctx.signup.config_id},
              {"dialog_url", ctx.signup.dialog_url}};
  const auto& auth = *ctx.auth;
  routes.add("GET", "/v1/me", [&auth, limits, signup](http_request&& req, responder respond) {
    // authenticate() may answer later, on another thread: the request outlives this call.
    auto shared = std::make_shared<http_request>(std::move(req));
    auth.authenticate(*shared, [shared, respond, limits, signup](principal p) {
      if (auto refused = refusal_of(p)) return respond(std::move(*refused));
      nlohmann::json me{{"limits", limits}, {"signup", signup}};
      if (p.who == principal::kind::admin) {
        me["role"] = "admin";
      } else {
        me["role"] = "project";
        me["project_id"] = p.project_id;
        me["key_id"] = p.key_id;
      }
      respond(http_response::json(200, me));
    });
  });
}

}  // namespace paige::api
