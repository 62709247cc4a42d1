#include "api/web_routes.hpp"

#include "api/api_docs.hpp"
#include "api/web_assets.hpp"

#include <nlohmann/json.hpp>

#include <memory>

namespace paige::api {

namespace {

/// The pages and their assets: what they may load (`policy`), and no sniffing, no referrer.
string_pairs page_headers(
    const char* policy =
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'") {
  return {{"Content-Security-Policy", policy},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"}};
}

std::string content_type_of(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

http_response file_response(std::string_view name, const std::string_view& bytes) {
  http_response r;
  r.content_type = content_type_of(name);
  r.body = std::string{bytes};
  r.headers = page_headers();
  return r;
}

}  // namespace

void add_web_routes(router& routes) {
  routes.add("GET", "/", [](http_request&&, responder respond) {
    respond(file_response("index.html", *embedded_file("index.html")));
  });
  // Where Meta's signup dialog sends the popup back with its code (signup_callback.js).
  routes.add("GET", "/signup/callback", [](http_request&&, responder respond) {
    respond(file_response("signup-callback.html", *embedded_file("signup-callback.html")));
  });
  // Only what is embedded under assets/ is found, by its exact name: no path reaches
  // anything else.
  routes.add("GET", "/assets/{name}", [](http_request&& req, responder respond) {
    auto name = "assets/" + std::string{req.param("name")};
    auto* bytes = embedded_file(name);
    if (!bytes) return respond(http_response::error(api_code::not_found, "no such asset"));
    respond(file_response(name, *bytes));
  });
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
    r.headers = page_headers("default-src 'none'; frame-ancestors 'none'");  // loads nothing
    respond(std::move(r));
  });
}

}  // namespace paige::api
