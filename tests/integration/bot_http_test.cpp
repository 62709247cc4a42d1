// A declarative bot's `http` action (docs/bot-http.md) end to end: a message through the
// simulator, the request to an API the test runs (with a project secret in a header), and the
// reply built from its answer.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include "api/http_server.hpp"
#include "common/metrics.hpp"

#include <mutex>

using namespace paige::test;

namespace {

/// A shop's API: GET /orders/{id} (A7 exists), POST /tickets, and GET /slow, which never
/// answers. It records what it was sent.
struct shop_api {
  struct seen {
    std::string method, id, authorization, contact, body;
  };
  std::mutex mutex;
  std::vector<seen> requests;
  std::vector<paige::api::responder> held;
  paige::metrics::registry metrics;
  paige::api::router routes;
  std::unique_ptr<paige::api::http_server> server;
  std::uint16_t port = 0;

  shop_api() {
    auto record = [this](const paige::api::http_request& req) {
      std::lock_guard lock{mutex};
      requests.push_back({req.method, std::string{req.param("id")},
                          std::string{req.header("authorization").value_or("")},
                          std::string{req.header("x-contact").value_or("")}, req.body});
    };
    routes.add("GET", "/orders/{id}",
               [record](paige::api::http_request&& req, paige::api::responder respond) {
                 record(req);
                 if (req.param("id") != "A7")
                   return respond(paige::api::http_response::json(404, {{"error", "no order"}}));
                 respond(paige::api::http_response::json(
                     200, {{"id", "A7"}, {"status", "shipped"}, {"items", {{{"name", "tea"}}}}}));
               });
    routes.add("POST", "/tickets",
               [record](paige::api::http_request&& req, paige::api::responder respond) {
                 record(req);
                 respond(paige::api::http_response::json(201, {{"ticket", "T1"}}));
               });
    routes.add("GET", "/slow",
               [this, record](paige::api::http_request&& req, paige::api::responder respond) {
                 record(req);
                 std::lock_guard lock{mutex};
                 held.push_back(std::move(respond));
               });
    paige::api::http_server_options opts;
    opts.port = 0;
    server = std::make_unique<paige::api::http_server>(opts, routes, metrics);
    port = server->start();
  }

  ~shop_api() {
    server->stop(std::chrono::milliseconds{0});
    std::lock_guard lock{mutex};
    held.clear();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  std::vector<seen> seen_so_far() {
    std::lock_guard lock{mutex};
    return requests;
  }
};

json say(const std::string& body) {
  return {{"send", {{"type", "text"}, {"text", {{"body", body}}}}}};
}

json shop_bot(const shop_api& shop) {
  json lookup{{"http",
               {{"name", "order"},
                {"then", json::array({{{"http", {{"name", "ticket"}}}},
                                      say("{{http.order.body.id}} is {{http.order.body.status}} "
                                          "({{http.order.body.items.0.name}}), ticket "
                                          "{{http.ticket.body.ticket}}")})},
                {"else", json::array({say("No order {{message.text}} ({{http.order.status}})")})},
                {"on_error", json::array({say("The shop is away")})}}}};
  return {
      {"initial_state", "start"},
      {"requests",
       {{"order",
         {{"url", shop.url() + "/orders/{{message.text}}"},
          {"headers",
           {{"Authorization", {{"secret", "SHOP_TOKEN"}, {"prefix", "Bearer "}}},
            {"X-Contact", "{{contact.wa_id}}"}}}}},
        {"ticket",
         {{"method", "POST"},
          {"url", shop.url() + "/tickets"},
          {"body", {{"order", "{{http.order.body.id}}"}, {"from", "{{contact.wa_id}}"}}}}},
        {"slow", {{"url", shop.url() + "/slow"}, {"timeout_ms", 300}}}}},
      {"states",
       {{"start",
         {{"kind", "await"},
          {"routes",
           json::array({{{"when", {{"text_equals", "slow"}}},
                         {"then", json::array({{{"http",
                                                 {{"name", "slow"},
                                                  {"on_error",
                                                   json::array({say("The shop is away")})}}}}})}},
                        {{"when", "always"}, {"then", json::array({lookup})}}})}}}}}};
}

const std::vector<std::string> loopback{"--bot-http-loopback", "on"};

}  // namespace

TEST_CASE("a declarative bot calls an API with a secret in a header and answers from its answer",
          "[integration][bot_http]") {
  shop_api shop;
  pipeline p({}, loopback);
  REQUIRE(p.s.call("PUT", "/v1/projects/" + p.project + "/secrets/SHOP_TOKEN",
                   json{{"value", "s3cret-token"}}.dump())
              .status == 201);
  p.put_bot(shop_bot(shop));

  const std::string ada = "15550401";
  p.say(ada, "A7");
  CHECK(body_of(p.replies(ada, 1)[0]) == "A7 is shipped (tea), ticket T1");
  auto seen = shop.seen_so_far();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].id == "A7");
  CHECK(seen[0].authorization == "Bearer s3cret-token");
  CHECK(seen[0].contact == ada);
  CHECK(seen[1].method == "POST");
  CHECK(json::parse(seen[1].body) == json{{"order", "A7"}, {"from", ada}});

  // Another status takes `else`; a value cannot leave its path segment.
  p.say(ada, "../tickets");
  CHECK(body_of(p.replies(ada, 2)[1]) == "No order ../tickets (404)");
  CHECK(shop.seen_so_far().at(2).id == "../tickets");

  // No answer in time takes on_error; the next message keeps its order.
  p.say(ada, "slow");
  p.say(ada, "B1");
  auto r = p.replies(ada, 4);
  CHECK(body_of(r[2]) == "The shop is away");
  CHECK(body_of(r[3]) == "No order B1 (404)");

  // Without its secret the request fails (on_error), and never goes out without it.
  auto before = shop.seen_so_far().size();
  REQUIRE(p.s.call("DELETE", "/v1/projects/" + p.project + "/secrets/SHOP_TOKEN").status == 204);
  p.say(ada, "A7");
  CHECK(body_of(p.replies(ada, 5)[4]) == "The shop is away");
  CHECK(shop.seen_so_far().size() == before);
  CHECK(p.metric("paige_bot_http_seconds_count{outcome=\"ok\"}") >= 4);
  CHECK(p.metric("paige_bot_http_seconds_count{outcome=\"failed\"}") >= 1);
}

TEST_CASE("a request that fails without on_error skips its step, and URLs are held to https",
          "[integration][bot_http]") {
  shop_api shop;
  pipeline p({}, loopback);
  auto bot = shop_bot(shop);
  bot["states"]["start"]["routes"][1]["then"][0]["http"].erase("on_error");
  p.put_bot(bot);
  // No SHOP_TOKEN secret: the request cannot go, and the step is skipped with its reason.
  p.say("15550402", "A7");
  p.say("15550402", "slow");
  auto r = p.replies("15550402", 1);
  CHECK(body_of(r[0]) == "The shop is away");
  auto error = p.message_error("A7");
  CHECK(error["code"] == "http_failed");
  CHECK(error["message"].get<std::string>().find("no secret SHOP_TOKEN") != std::string::npos);
  CHECK(shop.seen_so_far().size() == 1);  // only /slow

  // A server without --bot-http-loopback refuses http:// URLs.
  pipeline strict;
  auto refused =
      strict.s.call("PUT", "/v1/projects/" + strict.project + "/bot", shop_bot(shop).dump());
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["details"]["problems"][0]["pointer"] == "/requests/order/url");
}
