// A number whose token Meta stops accepting (Graph error 190): its sends wait, untried and
// unfailed, the project says so, and connecting the number again sends them, once each, in order.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

using namespace paige::test;

TEST_CASE("a refused token holds the number's sends until it is connected again",
          "[integration][outbound][token]") {
  pipeline p;
  auto project = "/v1/projects/" + p.project;
  p.say("15550400", "hello", "Ada");
  REQUIRE(p.replies("15550400", 1).size() == 1);
  CHECK(p.s.call("GET", project).body["whatsapp"]["status"] == "connected");

  // The token is revoked at Meta.
  REQUIRE(p.meta
              .call("PUT", "/control/numbers/" + number_id,
                    json{{"waba_id", "2001"},
                         {"display_phone_number", "15551001"},
                         {"verified_name", "Business 1001"},
                         {"access_token", "token-rotated"}}
                        .dump())
              .status == 200);
  p.send("15550400", tap("book", "Book"));  // the bot answers "What's your name?"
  p.say("15550401", "hi", "Grace");         // and greets Grace
  p.say("15550400", "Ada Lovelace");        // "Thanks, Ada Lovelace!"
  REQUIRE(wait_until([&] {
    auto w = p.s.call("GET", project).body["whatsapp"];
    return w["status"] == "token_invalid";
  }));
  auto shown = p.s.call("GET", project).body["whatsapp"];
  CHECK(shown["status_detail"].get<std::string>().find("access token") != std::string::npos);
  // Nothing failed, nothing left: every reply waits queued; Meta was asked once, not in a storm.
  REQUIRE(wait_until([&] { return p.count_out("queued") == 3; }));
  CHECK(p.count_out("failed") == 0);
  CHECK(p.metric("paige_outbound_token_refused_total") == 1);
  CHECK(p.metric("paige_outbound_failed_total") <= 0);  // absent or zero
  CHECK(p.records("15550400", "out").size() == 1);
  CHECK(p.records("15550401", "out").empty());
  CHECK(p.s.server->process().stderr_text().find("token-rotated") == std::string::npos);

  // Connected again with the new token: everything goes out, in order, once.
  auto again = p.s.call(
      "PUT", project + "/whatsapp",
      json{{"phone_number_id", number_id}, {"waba_id", "2001"}, {"access_token", "token-rotated"}}
          .dump());
  REQUIRE(again.status == 200);
  CHECK(again.body["whatsapp"]["status"] == "connected");
  auto ada = p.replies("15550400", 3);
  REQUIRE(ada.size() == 3);
  CHECK(body_of(ada[1]) == "What's your name?");
  CHECK(body_of(ada[2]) == "Thanks, Ada Lovelace!");
  CHECK(p.replies("15550401", 1).size() == 1);
  REQUIRE(wait_until([&] { return p.count_out("queued") == 0; }));
  CHECK(p.count_out("failed") == 0);
  // Exactly once each: no reply was sent twice while it waited.
  CHECK(p.records("15550400", "out").size() == 3);
  CHECK(p.records("15550401", "out").size() == 1);
}

TEST_CASE("a refused token that Meta takes again after a restart shows connected again",
          "[integration][outbound][token]") {
  pipeline p;
  auto project = "/v1/projects/" + p.project;
  auto put_token = [&](const std::string& token) {
    REQUIRE(p.meta
                .call("PUT", "/control/numbers/" + number_id,
                      json{{"waba_id", "2001"},
                           {"display_phone_number", "15551001"},
                           {"verified_name", "Business 1001"},
                           {"access_token", token}}
                          .dump())
                .status == 200);
  };
  put_token("token-elsewhere");  // revoked at Meta
  p.say("15550410", "hello", "Ada");
  REQUIRE(wait_until(
      [&] { return p.s.call("GET", project).body["whatsapp"]["status"] == "token_invalid"; }));
  put_token("token-1001");  // and valid again (say, restored by Meta's side)
  p.restart();              // the stored token is tried once at start
  REQUIRE(p.replies("15550410", 1).size() == 1);
  REQUIRE(wait_until(
      [&] { return p.s.call("GET", project).body["whatsapp"]["status"] == "connected"; }));
  CHECK(p.s.call("GET", project).body["whatsapp"]["status_detail"].is_null());
}
