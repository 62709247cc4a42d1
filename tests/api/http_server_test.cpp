// The HTTP server in-process, over real sockets: keep-alive, limits, errors, metrics, drain.
#include "api/http_server.hpp"
#include "common/metrics.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <future>
#include <mutex>
#include <thread>

using namespace paige::api;
using paige::test::http_connection;
using json = nlohmann::json;

namespace {

/// A server with a few routes; /slow answers only when the test releases it.
struct server_fixture {
  paige::metrics::registry metrics;
  router routes;
  std::mutex m;
  std::vector<responder> parked;
  std::unique_ptr<http_server> server;
  std::uint16_t port = 0;

  explicit server_fixture(http_server_options opts = {}) {
    routes.add("GET", "/hello/{name}", [](http_request&& req, responder respond) {
      respond(http_response::json(200, {{"hello", req.param("name")},
                                        {"q", std::string{req.query_param("q").value_or("")}}}));
    });
    routes.add("POST", "/echo", [](http_request&& req, responder respond) {
      http_response res;
      res.content_type = "text/plain";
      res.body = req.body;
      respond(std::move(res));
    });
    routes.add("GET", "/slow", [this](http_request&&, responder respond) {
      std::lock_guard<std::mutex> lock{m};
      parked.push_back(std::move(respond));
    });
    // Like /slow, but the server answers 503 for it after 100 ms; /prompt answers at once.
    answer_deadline deadline{std::chrono::milliseconds{100},
                             http_response::foreign_error(503, "too_late", "no answer in time")};
    routes.add(
        "GET", "/patient",
        [this](http_request&&, responder respond) {
          std::lock_guard<std::mutex> lock{m};
          parked.push_back(std::move(respond));
        },
        deadline);
    routes.add(
        "GET", "/prompt",
        [](http_request&&, responder respond) {
          respond(http_response::json(200, {{"prompt", true}}));
        },
        deadline);
    routes.add("GET", "/throws",
               [](http_request&&, responder) -> void { throw std::runtime_error("boom"); });
    opts.port = 0;
    server = std::make_unique<http_server>(opts, routes, metrics);
    port = server->start();
  }

  std::size_t parked_count() {
    std::lock_guard<std::mutex> lock{m};
    return parked.size();
  }

  /// Answers every parked request; whether each answer went out (not after its deadline's).
  std::vector<bool> release_all(unsigned status) {
    std::lock_guard<std::mutex> lock{m};
    std::vector<bool> sent;
    for (auto& r : parked)
      sent.push_back(r.answer(http_response::json(status, {{"released", true}})));
    parked.clear();
    return sent;
  }
};

}  // namespace

TEST_CASE("requests are routed with decoded parameters over one keep-alive connection", "[http]") {
  server_fixture f;
  http_connection c{f.port};
  auto a = c.request("GET", "/hello/w%C3%B6rld?q=a%20b");
  CHECK(a.status == 200);
  CHECK(json::parse(a.body) == json{{"hello", "wörld"}, {"q", "a b"}});
  CHECK(a.keep_alive);
  auto b = c.request("POST", "/echo", "ping");
  CHECK(b.status == 200);
  CHECK(b.body == "ping");
  CHECK(b.header("content-type") == "text/plain");
}

TEST_CASE("unknown routes, wrong methods and failing handlers get JSON errors", "[http]") {
  server_fixture f;
  http_connection c{f.port};
  auto nf = c.request("GET", "/nope");
  CHECK(nf.status == 404);
  CHECK(json::parse(nf.body)["error"]["code"] == "not_found");
  auto na = c.request("DELETE", "/echo");
  CHECK(na.status == 405);
  CHECK(na.header("allow") == "POST");
  CHECK(json::parse(na.body)["error"]["code"] == "method_not_allowed");
  auto boom = c.request("GET", "/throws");
  CHECK(boom.status == 500);
  CHECK(json::parse(boom.body)["error"]["code"] == "internal");
  CHECK(boom.body.find("boom") == std::string::npos);  // internals stay in the log
}

TEST_CASE(
    "a route's answer deadline answers in place of a silent handler and discards its late answer",
    "[http]") {
  server_fixture f;
  http_connection c{f.port};
  auto started = std::chrono::steady_clock::now();
  auto cut = c.request("GET", "/patient");
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds{100});
  CHECK(cut.status == 503);
  CHECK(json::parse(cut.body)["error"]["code"] == "too_late");
  CHECK(cut.keep_alive);
  REQUIRE(f.parked_count() == 1);
  // Too late: nothing more may reach the connection, and the handler learns it.
  CHECK(f.release_all(200) == std::vector<bool>{false});
  auto next = c.request("GET", "/hello/again");
  CHECK(next.status == 200);
  CHECK(json::parse(next.body)["hello"] == "again");
  for (int i = 0; i < 3; ++i) {  // a handler answering in time is never cut, nor the next request
    auto prompt = c.request("GET", "/prompt");
    CHECK(prompt.status == 200);
    CHECK(json::parse(prompt.body)["prompt"] == true);
  }
}

TEST_CASE("a body over the limit is refused with 413 and the connection closed", "[http]") {
  http_server_options opts;
  opts.max_body_bytes = 1024;
  server_fixture f{opts};
  http_connection c{f.port};
  auto r = c.request("POST", "/echo", std::string(1025, 'x'));
  CHECK(r.status == 413);
  CHECK(json::parse(r.body)["error"]["code"] == "body_too_large");
  CHECK_FALSE(r.keep_alive);
  CHECK(c.closed_by_peer());
  CHECK(paige::test::http_request(f.port, "POST", "/echo", std::string(1024, 'x')).status == 200);
}

TEST_CASE("a request head over the limit is refused with 431", "[http]") {
  http_server_options opts;
  opts.max_header_bytes = 1024;
  server_fixture f{opts};
  auto r =
      paige::test::http_request(f.port, "GET", "/hello/x", {}, {{"X-Big", std::string(2000, 'h')}});
  CHECK(r.status == 431);
  CHECK(json::parse(r.body)["error"]["code"] == "headers_too_large");
}

TEST_CASE("a request not received in time gets 408, an idle connection is closed", "[http]") {
  http_server_options opts;
  opts.request_timeout = std::chrono::milliseconds{300};
  server_fixture f{opts};
  http_connection partial{f.port};
  partial.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  auto r = partial.read_reply();
  CHECK(r.status == 408);
  CHECK(json::parse(r.body)["error"]["code"] == "request_timeout");

  http_connection idle{f.port};
  CHECK(idle.closed_by_peer());
}

TEST_CASE("malformed requests get 400", "[http]") {
  server_fixture f;
  http_connection c{f.port};
  c.send_raw("GET /hello/x HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
  auto r = c.read_reply();
  CHECK(r.status == 400);
  CHECK(json::parse(r.body)["error"]["code"] == "bad_request");
}

TEST_CASE("Expect: 100-continue is honoured", "[http]") {
  server_fixture f;
  http_connection c{f.port};
  c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_reply();
  CHECK(interim.status == 100);
  c.send_raw("data");
  auto r = c.read_reply();
  CHECK(r.status == 200);
  CHECK(r.body == "data");
}

TEST_CASE("requests are counted by route pattern, method and status", "[http]") {
  server_fixture f;
  paige::test::http_request(f.port, "GET", "/hello/a");
  paige::test::http_request(f.port, "GET", "/hello/b");
  paige::test::http_request(f.port, "GET", "/missing");
  auto text = f.metrics.expose();
  CHECK_THAT(
      text,
      Catch::Contains(
          "paige_http_requests_total{method=\"GET\",route=\"/hello/{name}\",status=\"200\"} 2"));
  CHECK_THAT(text,
             Catch::Contains(
                 "paige_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"));
  CHECK_THAT(
      text,
      Catch::Contains(
          "paige_http_request_duration_seconds_count{method=\"GET\",route=\"/hello/{name}\"} 2"));
}

TEST_CASE("one keep-alive connection counts each answer under its own route and status", "[http]") {
  server_fixture f;
  http_connection c{f.port};
  CHECK(c.request("GET", "/hello/a").status == 200);
  CHECK(c.request("GET", "/hello/b").status == 200);
  CHECK(c.request("GET", "/missing").status == 404);
  CHECK(c.request("GET", "/hello/c").status == 200);
  CHECK(c.request("GET", "/missing").status == 404);
  auto text = f.metrics.expose();
  CHECK_THAT(
      text,
      Catch::Contains(
          "paige_http_requests_total{method=\"GET\",route=\"/hello/{name}\",status=\"200\"} 3"));
  CHECK_THAT(text,
             Catch::Contains(
                 "paige_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 2"));
  CHECK_THAT(
      text,
      Catch::Contains(
          "paige_http_request_duration_seconds_count{method=\"GET\",route=\"/hello/{name}\"} 3"));
  CHECK_THAT(
      text, Catch::Contains(
                "paige_http_request_duration_seconds_count{method=\"GET\",route=\"unmatched\"} 2"));
}

TEST_CASE("stop drains: requests in flight are answered, idle connections closed", "[http]") {
  server_fixture f;
  http_connection idle{f.port};
  CHECK(idle.request("GET", "/hello/x").status == 200);
  http_connection busy{f.port};
  busy.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(paige::test::wait_until([&] { return f.parked_count() == 1; }));

  auto stopped = std::async(std::launch::async, [&] { f.server->stop(std::chrono::seconds{10}); });
  REQUIRE(paige::test::wait_until([&] { return f.server->draining(); }));
  CHECK(idle.closed_by_peer());
  CHECK(stopped.wait_for(std::chrono::milliseconds{0}) == std::future_status::timeout);
  CHECK(f.release_all(200) == std::vector<bool>{true});  // the handler finishes during the drain
  auto r = busy.read_reply();
  CHECK(r.status == 200);
  CHECK_FALSE(r.keep_alive);
  stopped.get();
  CHECK_THROWS(http_connection{f.port});
}

TEST_CASE("stop gives up on requests still running after the grace period", "[http]") {
  server_fixture f;
  http_connection busy{f.port};
  busy.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(paige::test::wait_until([&] { return f.parked_count() == 1; }));
  f.server->stop(std::chrono::milliseconds{100});
  f.release_all(200);  // too late: answering a stopped server is harmless
  f.server.reset();
  CHECK(busy.closed_by_peer());
}

namespace {

/// The value of a sample line `name{labels} value` in `text`, or -1.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

/// Polls `cond` until it holds or `deadline` passes.
template <class Cond>
bool eventually(Cond cond, std::chrono::milliseconds deadline = std::chrono::seconds{10}) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return cond();
}

}  // namespace

TEST_CASE("paths and queries that are not UTF-8 or hold a NUL are refused before any handler",
          "[http]") {
  server_fixture f;
  http_connection c{f.port};
  for (const char* target :
       {"/hello/secrets%00x", "/hello/%ff", "/hello/a?q=%ff", "/hello/a?q=x%00y", "/hello/a?%00=1",
        "/hello/%C0%AF", "/hello/%ED%A0%80"}) {
    INFO(target);
    auto r = c.request("GET", target);
    CHECK(r.status == 422);
    CHECK(json::parse(r.body)["error"]["code"] == "invalid_encoding");
  }
  auto ok = c.request("GET", "/hello/caf%C3%A9?q=%E2%82%AC");
  CHECK(ok.status == 200);
  CHECK(json::parse(ok.body)["hello"] == "caf\xC3\xA9");
}

TEST_CASE("at most max_connections are open: the next client waits until one closes", "[http]") {
  http_server_options opts;
  opts.max_connections = 2;
  server_fixture f{opts};
  auto first = std::make_unique<http_connection>(f.port);
  http_connection second{f.port};
  CHECK(first->request("GET", "/hello/1").status == 200);
  CHECK(second.request("GET", "/hello/2").status == 200);
  http_connection third{f.port};  // the kernel completes the handshake; Paige does not accept it
  third.send_raw("GET /hello/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_THROWS(third.read_reply(std::chrono::milliseconds{300}));
  auto text = f.metrics.expose();
  CHECK(sample(text, "paige_http_connections") == 2);
  CHECK(sample(text, "paige_http_accept_paused_total{reason=\"max_connections\"}") >= 1);
  first.reset();  // a connection closes: the third is accepted and answered
  auto r = third.read_reply();
  CHECK(r.status == 200);
  CHECK(json::parse(r.body)["hello"] == "3");
}
