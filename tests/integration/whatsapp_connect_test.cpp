// Connecting a WhatsApp number through the real binary and the real simulator.
#include "tests/support/metasim_process.hpp"
#include "tests/support/project_server.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

namespace {

std::string connect_body(const std::string& number, const std::string& waba,
                         const std::string& token) {
  return json{{"phone_number_id", number}, {"waba_id", waba}, {"access_token", token}}.dump();
}

}  // namespace

TEST_CASE("a number is read, registered, subscribed and stored with its token sealed",
          "[integration][whatsapp]") {
  metasim_process meta;
  project_server s{{"--graph-url", meta.url()}};
  meta.target(s.server->port());
  meta.add_number("1001", "2001", "token-of-1001");
  meta.add_number("1002", "2002", "token-of-1002");
  auto a = s.create("A")["id"].get<std::string>();
  auto b = s.create("B")["id"].get<std::string>();
  REQUIRE(s.wait_status(a, "active"));

  auto connected = s.call("PUT", "/v1/projects/" + a + "/whatsapp",
                          connect_body("1001", "2001", "token-of-1001"));
  REQUIRE(connected.status == 200);
  CHECK(connected.body["whatsapp"] == json{{"phone_number_id", "1001"},
                                           {"waba_id", "2001"},
                                           {"display_phone_number", "15551001"},
                                           {"verified_name", "Business 1001"},
                                           {"status", "connected"},
                                           {"status_detail", nullptr},
                                           {"health", {{"quality_rating", "GREEN"}}}});
  CHECK(s.call("GET", "/v1/projects/" + a).body["whatsapp"]["phone_number_id"] == "1001");
  {
    pqxx::connection c{s.control.conninfo()};
    pqxx::work tx{c};
    CHECK(tx.exec("SELECT 1 FROM whatsapp_numbers WHERE access_token_sealed LIKE '%token-of-1001%'")
              .empty());
    CHECK(tx.exec_params1("SELECT access_token_sealed FROM whatsapp_numbers WHERE project_id = $1",
                          a)[0]
              .as<std::string>()
              .rfind("v1:", 0) == 0);
  }
  CHECK(s.server->process().stderr_text().find("token-of-1001") == std::string::npos);

  // Another project cannot take it.
  auto taken = s.call("PUT", "/v1/projects/" + b + "/whatsapp",
                      connect_body("1001", "2001", "token-of-1001"));
  CHECK(taken.status == 409);
  CHECK(taken.body["error"]["code"] == "number_in_use");
  // Meta's refusals are explained.
  auto bad_token =
      s.call("PUT", "/v1/projects/" + b + "/whatsapp", connect_body("1002", "2002", "wrong"));
  CHECK(bad_token.status == 422);
  CHECK(bad_token.body["error"]["code"] == "whatsapp_token_invalid");
  auto unknown = s.call("PUT", "/v1/projects/" + b + "/whatsapp",
                        connect_body("9999", "2002", "token-of-1002"));
  CHECK(unknown.status == 422);
  CHECK(unknown.body["error"]["code"] == "whatsapp_rejected");
  CHECK(s.call("GET", "/v1/projects/" + b).body["whatsapp"].is_null());
  // Hostile identifiers never reach a Graph path.
  CHECK(s.call("PUT", "/v1/projects/" + b + "/whatsapp", connect_body("1002/../x", "2002", "t"))
            .body["error"]["code"] == "invalid_phone_number_id");
  CHECK(s.call("PUT", "/v1/projects/" + b + "/whatsapp", connect_body("1002", "2002", "has space"))
            .body["error"]["code"] == "invalid_access_token");

  // The connection survives a restart; deleting the project frees the number.
  CHECK(s.server->terminate() == 0);
  s.start(master_hex);
  meta.target(s.server->port());
  CHECK(s.call("GET", "/v1/projects/" + a).body["whatsapp"]["phone_number_id"] == "1001");
  CHECK(s.call("DELETE", "/v1/projects/" + a).status == 202);
  REQUIRE(s.wait_status(a, "deleted"));
  CHECK(s.call("PUT", "/v1/projects/" + b + "/whatsapp",
               connect_body("1001", "2001", "token-of-1001"))
            .status == 200);
}

TEST_CASE("an unreachable Graph API answers 502", "[integration][whatsapp]") {
  project_server s{{"--graph-url", "http://127.0.0.1:1"}};
  auto id = s.create("Offline")["id"].get<std::string>();
  REQUIRE(s.wait_status(id, "active"));
  auto r = s.call("PUT", "/v1/projects/" + id + "/whatsapp", connect_body("1001", "2001", "t"));
  CHECK(r.status == 502);
  CHECK(r.body["error"]["code"] == "graph_unavailable");
}
