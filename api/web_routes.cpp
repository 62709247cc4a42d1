#include "api/web_routes.hpp"

#include "api/web_assets.hpp"

namespace paige::api {

void add_web_routes(router& routes) {
  routes.add("GET", "/v1/openapi.json", [](http_request&&, responder respond) {
    http_response r;
    r.body = std::string{*embedded_file("openapi.json")};
    respond(std::move(r));
  });
}

}  // namespace paige::api
