#include "api/web_routes.hpp"

#include "api/api_docs.hpp"
#include "api/web_assets.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace paige::api {

void add_web_routes(router& routes) {
  routes.add("GET", "/v1/openapi.json", [](http_request&&, responder respond) {
    http_response r;
    r.body = std::string{*embedded_file("openapi.json")};
    respond(std::move(r));
  });
  // Rendered once: the document is compiled in.
  auto page = std::make_shared<const std::string>(
      render_api_docs(nlohmann::json::parse(*embedded_file("openapi.json"))));
  routes.add("GET", "/docs", [page](http_request&&, responder respond) {
    http_response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = *page;
    r.headers = {{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"}};
    respond(std::move(r));
  });
}

}  // namespace paige::api
