#include "api/ops_routes.hpp"

#include "common/metrics.hpp"

#include <nlohmann/json.hpp>

namespace paige::api {

void add_ops_routes(router& routes, readiness_probe probe, const metrics::registry& metrics) {
  routes.add("GET", "/healthz", [](http_request&&, responder respond) {
    respond(http_response::json(200, {{"status", "ok"}}));
  });
  routes.add("GET", "/readyz", [probe = std::move(probe)](http_request&&, responder respond) {
    probe([respond](bool ready, std::string reason) {
      if (ready) return respond(http_response::json(200, {{"status", "ready"}}));
      respond(http_response::json(503, {{"status", "not_ready"}, {"reason", reason}}));
    });
  });
  routes.add("GET", "/metrics", [&metrics](http_request&&, responder respond) {
    http_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = metrics.expose();
    respond(std::move(res));
  });
}

}  // namespace paige::api
