// The HTTP client against the HTTP server, over real sockets.
#include "api/http_client.hpp"
#include "api/http_server.hpp"
#include "common/metrics.hpp"
#include "tests/support/child_process.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

using namespace paige::api;

namespace {

struct target {
  paige::metrics::registry metrics;
  router routes;
  std::mutex m;
  std::vector<responder> parked;
  std::unique_ptr<http_server> server;
  std::uint16_t port = 0;

  explicit target(http_server_options opts = {}) {
    routes.add("POST", "/echo", [](http_request&& req, responder respond) {
      http_response r;
      r.status = 201;
      r.body = req.method + " " + req.target + " " +
               std::string{req.header("x-test").value_or("")} + " " + req.body;
      respond(std::move(r));
    });
    routes.add("GET", "/park", [this](http_request&&, responder respond) {
      std::lock_guard<std::mutex> lock{m};
      parked.push_back(std::move(respond));
    });
    opts.port = 0;
    server = std::make_unique<http_server>(opts, routes, metrics);
    port = server->start();
  }
  ~target() {
    {
      std::lock_guard<std::mutex> lock{m};
      for (auto& r : parked) r(http_response::json(200, {}));
    }
    server->stop(std::chrono::milliseconds{100});
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  double open_connections() {
    auto text = metrics.expose();
    auto at = text.find("\npaige_http_connections ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + 24));
  }
};

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

/// A TLS server on 127.0.0.1 with a self-signed certificate made for it. It answers each
/// connection's first request (keep-alive), then closes the socket without TLS's
/// close_notify, as a server that restarts or drops idle connections does.
struct tls_target {
  std::filesystem::path dir;
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc, {net::ip::make_address("127.0.0.1"), 0}};
  std::uint16_t port = acceptor.local_endpoint().port();
  std::atomic<int> served{0};
  std::atomic<bool> stopping{false};
  std::thread thread;

  tls_target() {
    char name[] = "/tmp/paige-tls-XXXXXX";
    REQUIRE(mkdtemp(name));
    dir = name;
    auto command =
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext "
        "subjectAltName=IP:127.0.0.1 "
        "-days 1 -keyout " +
        (dir / "key.pem").string() + " -out " + ca_file() + " 2>/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
    ctx.use_certificate_chain_file(ca_file());
    ctx.use_private_key_file((dir / "key.pem").string(), ssl::context::pem);
    thread = std::thread([this] { serve(); });
  }
  ~tls_target() {
    stopping = true;
    tcp::socket wake{ioc};
    boost::system::error_code ec;
    wake.connect({net::ip::make_address("127.0.0.1"), port}, ec);  // ends the blocking accept
    thread.join();
    std::filesystem::remove_all(dir);
  }
  std::string ca_file() const { return (dir / "cert.pem").string(); }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port) + path;
  }

  void serve() {
    while (!stopping) {
      tcp::socket socket{ioc};
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (ec || stopping) return;
      ssl::stream<tcp::socket> tls{std::move(socket), ctx};
      tls.handshake(ssl::stream_base::server, ec);
      if (ec) continue;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(tls, buffer, req, ec);
      if (ec) continue;
      http::response<http::string_body> res{http::status::created, 11};
      res.keep_alive(true);
      res.body() = req.body();
      res.prepare_payload();
      http::write(tls, res, ec);
      if (!ec) ++served;
      tls.next_layer().close(ec);
    }
  }
};

client_response call(http_client& c, const std::string& method, const std::string& url,
                     std::string body = {},
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
  std::promise<client_response> p;
  c.request(method, url, std::move(headers), std::move(body),
            [&p](client_response r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

}  // namespace

TEST_CASE("requests reuse one keep-alive connection", "[http_client]") {
  target t;
  http_client client;
  for (int i = 0; i < 10; ++i) {
    auto r = call(client, "POST", t.url("/echo?i=" + std::to_string(i)), "b" + std::to_string(i),
                  {{"X-Test", "yes"}});
    CHECK(r.error.empty());
    CHECK(r.status == 201);
    CHECK(r.body == "POST /echo?i=" + std::to_string(i) + " yes b" + std::to_string(i));
  }
  CHECK(t.open_connections() == 1);
}

TEST_CASE("parallel requests all complete within the connection limit", "[http_client]") {
  target t;
  http_client_options opts;
  opts.max_connections_per_origin = 4;
  http_client client{opts};
  constexpr int n = 100;
  std::atomic<int> ok{0};
  std::promise<void> all;
  std::atomic<int> left{n};
  for (int i = 0; i < n; ++i)
    client.request("POST", t.url("/echo"), {}, std::to_string(i), [&, i](client_response r) {
      if (r.status == 201 && r.body == "POST /echo  " + std::to_string(i)) ++ok;
      if (--left == 0) all.set_value();
    });
  all.get_future().wait();
  CHECK(ok == n);
  CHECK(t.open_connections() <= 4);
}

TEST_CASE("a connection the server closed while idle is replaced transparently", "[http_client]") {
  http_server_options opts;
  opts.request_timeout = std::chrono::milliseconds{150};
  target t{opts};
  http_client client;
  CHECK(call(client, "POST", t.url("/echo"), "1").status == 201);
  REQUIRE(paige::test::wait_until([&] { return t.open_connections() == 0; }));
  auto again = call(client, "POST", t.url("/echo"), "2");
  CHECK(again.error.empty());
  CHECK(again.status == 201);
}

TEST_CASE("transport failures and timeouts are reported, not thrown", "[http_client]") {
  http_client_options opts;
  opts.timeout = std::chrono::milliseconds{200};
  http_client client{opts};
  auto bad = call(client, "GET", "not a url");
  CHECK(bad.status == 0);
  CHECK_THAT(bad.error, Catch::Contains("invalid URL"));
  auto refused = call(client, "GET", "http://127.0.0.1:1/x");
  CHECK(refused.status == 0);
  CHECK_FALSE(refused.error.empty());
  target t;
  auto slow = call(client, "GET", t.url("/park"));
  CHECK(slow.status == 0);
  CHECK(slow.timed_out);
  // TLS is verified: a plain-HTTP server cannot complete a handshake.
  auto tls = call(client, "GET", "https://127.0.0.1:" + std::to_string(t.port) + "/echo");
  CHECK(tls.status == 0);
  CHECK_THAT(tls.error, Catch::Contains("TLS"));
}

namespace {

/// `n` concurrent POSTs; how many failed.
int failures_of_burst(http_client& client, const std::string& url, int n) {
  std::atomic<int> failed{0};
  std::promise<void> all;
  std::atomic<int> left{n};
  for (int i = 0; i < n; ++i)
    client.request("POST", url, {}, std::to_string(i), [&](client_response r) {
      if (r.status != 201) ++failed;
      if (--left == 0) all.set_value();
    });
  all.get_future().wait();
  return failed;
}

}  // namespace

TEST_CASE("a server that restarted between bursts: every request after it succeeds",
          "[http_client]") {
  http_client client;  // 32 connections per origin
  std::uint16_t port = 0;
  {
    target first;
    port = first.port;
    // 30 requests held at once: 30 pooled connections.
    std::atomic<int> left{30};
    std::promise<void> all;
    for (int i = 0; i < 30; ++i)
      client.request("GET", first.url("/park"), {}, {}, [&](client_response) {
        if (--left == 0) all.set_value();
      });
    REQUIRE(paige::test::wait_until([&] {
      std::lock_guard<std::mutex> lock{first.m};
      return first.parked.size() == 30;
    }));
    {
      std::lock_guard<std::mutex> lock{first.m};
      for (auto& r : first.parked) r(http_response::json(200, {}));
      first.parked.clear();
    }
    all.get_future().wait();
  }  // the server goes away, and every pooled connection with it
  http_server_options opts;
  opts.port = port;
  paige::metrics::registry metrics;
  router routes;
  routes.add("POST", "/echo",
             [](http_request&&, responder respond) { respond(http_response::json(201, {})); });
  http_server again{opts, routes, metrics};
  REQUIRE(again.start() == port);
  // One request at a time, as a contact's sends go: the first meets a dead pooled connection
  // and goes again at once on a new one (the other dead ones are dropped with it). It used to
  // take another dead one, and fail.
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/echo";
  for (int i = 0; i < 5; ++i) {
    auto r = call(client, "POST", url, std::to_string(i));
    INFO(r.error << " opened " << client.connections_opened());
    CHECK(r.error.empty());
    CHECK(r.status == 201);
  }
  CHECK(failures_of_burst(client, url, 30) == 0);
  again.stop(std::chrono::milliseconds{100});
}

TEST_CASE("a connection idle longer than idle_timeout is not reused", "[http_client]") {
  target t;
  http_client_options opts;
  opts.idle_timeout = std::chrono::milliseconds{100};
  http_client client{opts};
  CHECK(call(client, "POST", t.url("/echo"), "1").status == 201);
  CHECK(call(client, "POST", t.url("/echo"), "2").status == 201);
  CHECK(client.connections_opened() == 1);  // reused while fresh
  std::this_thread::sleep_for(
      std::chrono::milliseconds{150});  // the behaviour under test: time idle
  CHECK(call(client, "POST", t.url("/echo"), "3").status == 201);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("a TLS connection the server dropped without close_notify is replaced transparently",
          "[http_client]") {
  tls_target t;
  {
    http_client untrusting;  // the system's CAs only: the self-signed certificate is refused
    auto refused = call(untrusting, "POST", t.url("/echo"), "0");
    CHECK(refused.status == 0);
    CHECK_FALSE(refused.error.empty());
  }
  http_client_options opts;
  opts.ca_file = t.ca_file();
  http_client client{opts};
  auto first = call(client, "POST", t.url("/echo"), "1");
  CHECK(first.error.empty());
  CHECK(first.body == "1");
  // The pooled connection is dead (a TLS read on it ends in stream_truncated): the request
  // goes again, at once, on a new connection.
  auto second = call(client, "POST", t.url("/echo"), "2");
  INFO(second.error);
  CHECK(second.status == 201);
  CHECK(second.body == "2");
  CHECK(client.connections_opened() == 2);
  CHECK(t.served == 2);
}
