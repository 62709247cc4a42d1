// Meta's embedded signup through the simulator: the dialog's code exchanged, the token's
// scopes checked, the app subscribed, the number registered and stored; each step Meta
// refuses is shown on the project with its step; a signup a crash interrupted goes on.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

using namespace paige::test;

namespace {

const std::vector<std::string> with_app{"--app-id", "4242"};

/// A pipeline whose paige and simulator know app 4242, a second simulated number (1002, WABA
/// 2002) that signups hand over, and a project without a number.
struct signup_fixture {
  pipeline p{with_app, with_app};
  std::string project;

  signup_fixture() {
    p.meta.add_number("1002", "2002", "token-1002");
    REQUIRE(p.meta.call("PUT", "/control/signup", R"({"phone_number_id":"1002"})").status == 200);
    project = p.s.create("Signed up")["id"].get<std::string>();
    REQUIRE(p.s.wait_status(project, "active"));
  }

  /// What the dialog hands the browser: {"code", "waba_id", "phone_number_id"}.
  json dialog() {
    auto r = p.meta.call("POST", "/control/signup/code");
    REQUIRE(r.status == 200);
    return r.body;
  }

  reply sign_up(const json& body, const std::string& id = "") {
    return p.s.call("POST", "/v1/projects/" + (id.empty() ? project : id) + "/whatsapp/signup",
                    body.dump());
  }

  json whatsapp() { return p.s.call("GET", "/v1/projects/" + project).body["whatsapp"]; }

  void refuse(const std::string& step) {
    REQUIRE(p.meta
                .call("PUT", "/control/signup",
                      json{{"phone_number_id", "1002"}, {"refuse", step}}.dump())
                .status == 200);
  }

  long stat(const std::string& name) {
    return p.meta.call("GET", "/control/stats").body.value(name, 0L);
  }
};

}  // namespace

TEST_CASE("a signup exchanges the dialog's code, registers the number and connects it",
          "[integration][whatsapp][signup]") {
  signup_fixture f;
  auto code = f.dialog();
  auto r = f.sign_up(code);
  REQUIRE(r.status == 200);
  auto w = r.body["whatsapp"];
  CHECK(w["status"] == "connected");
  CHECK(w["phone_number_id"] == "1002");
  CHECK(w["waba_id"] == "2002");
  CHECK(w["verified_name"] == "Business 1002");
  CHECK_FALSE(w.contains("signup"));  // done: nothing of it is left
  auto number = f.p.meta.call("GET", "/control/numbers/1002").body;
  CHECK(number["registered"] == true);
  CHECK(number["subscribed"] == true);
  CHECK(f.stat("codes_exchanged") == 1);

  // The token and PIN are sealed at rest; the code is not kept.
  {
    pqxx::connection c{f.p.s.control.conninfo()};
    pqxx::read_transaction tx{c};
    auto row = tx.exec_params1(
        "SELECT access_token_sealed, pin_sealed FROM whatsapp_numbers WHERE project_id = $1",
        f.project);
    CHECK(row[0].as<std::string>().find("token-1002") == std::string::npos);
    CHECK(
        tx.exec_params1("SELECT count(*) FROM whatsapp_signups WHERE project_id = $1", f.project)[0]
            .as<int>() == 0);
  }
  CHECK(f.p.s.server->process().stderr_text().find("token-1002") == std::string::npos);
  CHECK(f.p.s.server->process().stderr_text().find(code["code"].get<std::string>()) ==
        std::string::npos);

  // A code is good once: the second signup with it fails at the exchange, and the connected
  // number stays as it was.
  auto again = f.sign_up(code);
  CHECK(again.status == 422);
  CHECK(again.body["error"]["code"] == "whatsapp_rejected");
  auto after = f.whatsapp();
  CHECK(after["status"] == "connected");
  CHECK(after["signup"]["status"] == "failed");
  CHECK(after["signup"]["step"] == "exchange");
}

TEST_CASE("each signup step Meta refuses is shown with its step, and nothing is connected",
          "[integration][whatsapp][signup]") {
  signup_fixture f;
  SECTION("a code Meta does not take") {
    f.refuse("exchange");
    auto r = f.sign_up(f.dialog());
    CHECK(r.body["error"]["code"] == "whatsapp_rejected");
    CHECK(f.whatsapp()["signup"]["step"] == "exchange");
    CHECK(f.p.s.call("GET", "/v1/projects/" + f.project + "/whatsapp/profile").status == 409);
  }
  SECTION("a token without the messaging permission") {
    f.refuse("scope");
    auto r = f.sign_up(f.dialog());
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "whatsapp_scope_missing");
    auto w = f.whatsapp();
    CHECK(w["status"] == "failed");
    CHECK(w["status_detail"].get<std::string>().find("whatsapp_business_messaging") !=
          std::string::npos);
    CHECK(w["signup"]["step"] == "check");
    CHECK(f.p.meta.call("GET", "/control/numbers/1002").body["subscribed"] == false);
    CHECK(f.p.s.call("GET", "/v1/projects/" + f.project + "/whatsapp/profile").status == 409);
  }
  SECTION("a registration Meta refuses") {
    f.refuse("register");
    auto r = f.sign_up(f.dialog());
    CHECK(r.body["error"]["code"] == "whatsapp_rejected");
    auto w = f.whatsapp();
    CHECK(w["status"] == "failed");
    CHECK(w["signup"]["step"] == "register");
    CHECK(w["signup"]["error"]["message"].get<std::string>().find("PIN") != std::string::npos);
    // Signing up again once Meta takes it connects the number.
    f.refuse("");
    auto ok = f.sign_up(f.dialog());
    REQUIRE(ok.status == 200);
    CHECK(ok.body["whatsapp"]["status"] == "connected");
  }
}

TEST_CASE("a signup is refused before Meta is asked when its input is wrong",
          "[integration][whatsapp][signup]") {
  signup_fixture f;
  auto code = f.dialog();
  auto bad = [&](json body, const char* expected) {
    auto r = f.sign_up(body);
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == expected);
  };
  bad({{"waba_id", "2002"}, {"phone_number_id", "1002"}}, "invalid_code");
  bad({{"code", "a b"}, {"waba_id", "2002"}, {"phone_number_id", "1002"}}, "invalid_code");
  bad({{"code", code["code"]}, {"waba_id", "x"}, {"phone_number_id", "1002"}}, "invalid_waba_id");
  bad({{"code", code["code"]}, {"waba_id", "2002"}, {"phone_number_id", "../1"}},
      "invalid_phone_number_id");
  bad({{"code", code["code"]},
       {"waba_id", "2002"},
       {"phone_number_id", "1002"},
       {"redirect_uri", "javascript:alert(1)"}},
      "invalid_body");
  // A number another project owns: refused before its code is spent.
  auto taken =
      f.sign_up({{"code", code["code"]}, {"waba_id", "2001"}, {"phone_number_id", number_id}});
  CHECK(taken.status == 409);
  CHECK(taken.body["error"]["code"] == "number_in_use");
  CHECK(f.stat("codes_exchanged") == 0);
  // Admin only.
  auto key = f.p.s.call("POST", "/v1/projects/" + f.project + "/keys", R"({"name":"k"})")
                 .body["key"]
                 .get<std::string>();
  CHECK(f.p.s.call("POST", "/v1/projects/" + f.project + "/whatsapp/signup", code.dump(), key)
            .status == 403);
  // The unused code still works.
  CHECK(f.sign_up(code).status == 200);
}

TEST_CASE("without a Meta app id the signup is not offered", "[integration][whatsapp][signup]") {
  pipeline p;
  CHECK(p.s.call("GET", "/v1/me").body["signup"].is_null());
  auto r = p.s.call("POST", "/v1/projects/" + p.project + "/whatsapp/signup",
                    R"({"code":"c","waba_id":"2001","phone_number_id":"1001"})");
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "app_id_not_configured");
}

TEST_CASE("a signup a crash interrupted goes on from its step when paige starts again",
          "[integration][whatsapp][signup]") {
  signup_fixture f;
  CHECK(f.p.s.call("GET", "/v1/me").body["signup"]["app_id"] == "4242");
  // Meta slows down after the exchange: paige is killed while it subscribes the app.
  REQUIRE(f.p.meta.call("PUT", "/control/faults", R"({"latency_ms": 3000})").status == 200);
  auto code = f.dialog();
  std::thread client{[&] {
    try {
      f.sign_up(code);  // its connection dies with paige
    } catch (const std::exception&) {
    }
  }};
  REQUIRE(wait_until([&] {
    auto w = f.whatsapp();
    return w.is_object() && w["signup"]["step"] == "subscribe";
  }));
  CHECK(f.whatsapp()["status"] == "connecting");
  f.p.s.server->process().signal(SIGKILL);
  f.p.s.server->process().wait_exit(std::chrono::seconds{10});
  client.join();
  REQUIRE(f.p.meta.call("PUT", "/control/faults", R"({"latency_ms": 0})").status == 200);
  f.p.s.start(master_hex);
  f.p.meta.target(f.p.s.server->port());
  REQUIRE(wait_until([&] { return f.whatsapp()["status"] == "connected"; }));
  CHECK(f.whatsapp()["phone_number_id"] == "1002");
  CHECK(f.stat("codes_exchanged") == 1);  // the token was kept: the code was not asked again
  CHECK(f.p.meta.call("GET", "/control/numbers/1002").body["registered"] == true);
}

TEST_CASE("while a signup runs its number is not signed up elsewhere nor connected by hand",
          "[integration][whatsapp][signup]") {
  signup_fixture f;
  auto other = f.p.s.create("Other")["id"].get<std::string>();
  REQUIRE(f.p.s.wait_status(other, "active"));
  REQUIRE(f.p.meta.call("PUT", "/control/faults", R"({"latency_ms": 1500})").status == 200);
  auto code = f.dialog();
  reply first;
  std::thread client{[&] { first = f.sign_up(code); }};
  REQUIRE(wait_until([&] {
    auto w = f.whatsapp();
    return w.is_object() && w["signup"]["step"] == "subscribe";
  }));
  // Another project's signup of the same number: refused (two would register different PINs).
  auto second = f.sign_up(f.dialog(), other);
  CHECK(second.status == 409);
  CHECK(second.body["error"]["code"] == "number_in_use");
  // Connecting a number by hand meanwhile: later, please.
  auto by_hand = f.p.s.call(
      "PUT", "/v1/projects/" + f.project + "/whatsapp",
      json{{"phone_number_id", "1002"}, {"waba_id", "2002"}, {"access_token", "token-1002"}}
          .dump());
  CHECK(by_hand.status == 429);
  CHECK(by_hand.body["error"]["code"] == "signup_busy");
  client.join();
  CHECK(first.status == 200);
  CHECK(f.whatsapp()["status"] == "connected");
}
