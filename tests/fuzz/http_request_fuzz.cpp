// A request's head as the server reads it (Beast's parser with the server's limits), its
// target split and decoded, and routed through Paige's route table: nothing throws, and
// every decoded segment or parameter that reaches a handler is UTF-8 without NUL.
#include "api/request_target.hpp"
#include "api/router.hpp"
#include "common/text_checks.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <string>

namespace http = boost::beast::http;

namespace {

const paige::api::router& paige_routes() {
  static const paige::api::router routes = [] {
    paige::api::router r;
    auto none = [](paige::api::http_request&&, paige::api::responder) {};
    for (const char* get : {"/healthz",
                            "/readyz",
                            "/metrics",
                            "/webhook",
                            "/v1/projects",
                            "/v1/projects/{project_id}",
                            "/v1/projects/{project_id}/bot",
                            "/v1/projects/{project_id}/keys",
                            "/v1/projects/{project_id}/contacts",
                            "/v1/projects/{project_id}/contacts/{contact_id}",
                            "/v1/projects/{project_id}/contacts/{contact_id}/conversations",
                            "/v1/projects/{project_id}/contacts/{contact_id}/messages",
                            "/v1/projects/{project_id}/conversations",
                            "/v1/projects/{project_id}/conversations/states",
                            "/v1/projects/{project_id}/conversations/{conversation_id}",
                            "/v1/projects/{project_id}/conversations/{conversation_id}/messages",
                            "/v1/projects/{project_id}/events",
                            "/v1/projects/{project_id}/tables",
                            "/v1/projects/{project_id}/tables/{table}",
                            "/v1/projects/{project_id}/tables/{table}/rows"})
      r.add("GET", get, none);
    for (const char* post :
         {"/webhook", "/v1/projects", "/v1/projects/{project_id}/keys",
          "/v1/projects/{project_id}/sql", "/v1/projects/{project_id}/messages",
          "/v1/projects/{project_id}/tables", "/v1/projects/{project_id}/tables/{table}/columns",
          "/v1/projects/{project_id}/tables/{table}/rows",
          "/v1/projects/{project_id}/conversations/{conversation_id}/close",
          "/v1/projects/{project_id}/conversations/{conversation_id}/messages"})
      r.add("POST", post, none);
    r.add("PUT", "/v1/projects/{project_id}/bot", none);
    r.add("PATCH", "/v1/projects/{project_id}/tables/{table}/rows/{key}", none);
    r.add("DELETE", "/v1/projects/{project_id}/tables/{table}/rows/{key}", none);
    r.add("DELETE", "/v1/projects/{project_id}/keys/{key_id}", none);
    return r;
  }();
  return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(64 << 10);
  boost::beast::error_code ec;
  parser.eager(true);
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& head = parser.get();
  auto target = paige::api::parse_request_target(std::string{head.target()});
  if (auto* refused = std::get_if<paige::api::http_response>(&target)) {
    paige::fuzz::require(refused->status == 400 || refused->status == 422,
                         "a target was refused with another status");
    return 0;
  }
  const auto& parts = std::get<paige::api::request_target>(target);
  for (const auto& s : parts.segments)
    paige::fuzz::require(paige::text::clean_text(s), "an unclean segment passed");
  for (const auto& [k, v] : parts.query)
    paige::fuzz::require(paige::text::clean_text(k) && paige::text::clean_text(v),
                         "an unclean parameter passed");
  auto match = paige_routes().match(std::string{head.method_string()}, parts.segments);
  if (match.target)
    for (const auto& [name, value] : match.params)
      paige::fuzz::require(!value.empty(), "a route bound an empty parameter");
  else
    paige::fuzz::require(match.status == 404 || match.status == 405,
                         "no route, yet neither 404 nor 405");
  return 0;
}
