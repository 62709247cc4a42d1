// Operator sends and the 24-hour customer-service window, through the real binaries.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

namespace {

const json quiet_bot =
    json::parse(R"({"initial_state": "q", "states": {"q": {"kind": "await", "routes": []}}})");
const json hello_template = {
    {"type", "template"},
    {"template", {{"name", "hello_world"}, {"language", {{"code", "en_US"}}}}}};

json text(const std::string& body) { return {{"type", "text"}, {"text", {{"body", body}}}}; }

json with_to(json m, const std::string& to) {
  m["to"] = to;
  return m;
}

}  // namespace

TEST_CASE("operators send to a contact and to a conversation within the window",
          "[integration][operator]") {
  pipeline p;
  p.put_bot(quiet_bot);
  p.say("15550030", "hi");
  auto sent = p.s.call("POST", "/v1/projects/" + p.project + "/messages",
                       with_to(text("from operator"), "15550030").dump());
  REQUIRE(sent.status == 202);
  CHECK(sent.body["status"] == "queued");
  CHECK(sent.body["direction"] == "out");
  CHECK(sent.body["content"]["text"]["body"] == "from operator");
  CHECK(sent.body["wamid"].is_null());
  CHECK(body_of(p.replies("15550030", 1)[0]) == "from operator");

  std::string conversation;
  {
    auto db = p.project_db();
    pqxx::work tx{db};
    conversation = tx.exec1("SELECT id FROM conversations")[0].as<std::string>();
  }
  auto via_conv =
      p.s.call("POST", "/v1/projects/" + p.project + "/conversations/" + conversation + "/messages",
               text("second").dump());
  REQUIRE(via_conv.status == 202);
  CHECK(body_of(p.replies("15550030", 2)[1]) == "second");
  auto db = p.project_db();
  REQUIRE(wait_until([&] {
    pqxx::work tx{db};
    return tx
               .exec(
                   "SELECT count(*) FROM messages WHERE direction = 'out' AND wamid IS NOT NULL")[0]
                                                                                                 [0]
               .as<int>() == 2;
  }));
  // The history pages newest first, every message once.
  std::vector<std::string> seen;
  std::string path =
      "/v1/projects/" + p.project + "/conversations/" + conversation + "/messages?limit=1";
  for (int pages = 0; pages < 10; ++pages) {
    auto r = p.s.call("GET", path);
    REQUIRE(r.status == 200);
    for (const auto& m : r.body["items"])
      seen.push_back(m["direction"].get<std::string>() + ":" + m["content"].dump());
    if (r.body["next_cursor"].is_null()) break;
    path = "/v1/projects/" + p.project + "/conversations/" + conversation +
           "/messages?limit=1&cursor=" + r.body["next_cursor"].get<std::string>();
  }
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].rfind("out:", 0) == 0);
  CHECK(seen[2].rfind("in:", 0) == 0);
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/conversations/999/messages")
            .body["error"]["code"] == "conversation_not_found");
}

TEST_CASE("outside the window only templates go out, and a refusal stores nothing",
          "[integration][operator]") {
  pipeline p{{}, {"--conversation-idle", "200ms"}};
  p.put_bot(quiet_bot);
  // Meta's sample template, approved (a template the project lacks is refused).
  auto templates = "/v1/projects/" + p.project + "/templates";
  REQUIRE(p.s.call("POST", templates,
                   R"({"name": "hello_world", "language": "en_US", "category": "UTILITY",
                       "components": [{"type": "BODY", "text": "Hello World"}]})")
              .status == 201);
  REQUIRE(wait_until([&] {
    return p.s.call("GET", templates + "/hello_world/en_US").body.value("status", "") == "APPROVED";
  }));
  // Never wrote: business-initiated free-form is refused, a template is fine.
  auto refused = p.s.call("POST", "/v1/projects/" + p.project + "/messages",
                          with_to(text("hello?"), "15550031").dump());
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "outside_service_window");
  auto db = p.project_db();
  {
    pqxx::work tx{db};
    CHECK(tx.exec("SELECT count(*) FROM contacts")[0][0].as<int>() == 0);
    CHECK(tx.exec("SELECT count(*) FROM messages")[0][0].as<int>() == 0);
  }
  CHECK(p.s.call("POST", "/v1/projects/" + p.project + "/messages",
                 with_to(hello_template, "15550031").dump())
            .status == 202);
  CHECK(p.replies("15550031", 1)[0]["message"]["type"] == "template");

  // Wrote more than 24 hours ago.
  p.say("15550032", "a while ago");
  REQUIRE(wait_until([&] { return p.metric("paige_conversation_actors") == 0; },
                     std::chrono::seconds{10}));
  {
    pqxx::work tx{db};
    tx.exec(
        "UPDATE contacts SET last_inbound_at = now() - interval '25 hours' WHERE wa_id = "
        "'15550032'");
    tx.commit();
  }
  auto late = p.s.call("POST", "/v1/projects/" + p.project + "/messages",
                       with_to(text("late"), "15550032").dump());
  CHECK(late.status == 422);
  CHECK(late.body["error"]["code"] == "outside_service_window");
  CHECK(p.metric("paige_outbound_outside_window_total{source=\"api\"}") == 2);
  CHECK(p.s.call("POST", "/v1/projects/" + p.project + "/messages",
                 with_to(hello_template, "15550032").dump())
            .status == 202);
  CHECK(p.replies("15550032", 1).size() == 1);
  CHECK(p.meta.call("GET", "/control/stats").body.value("sends_invalid", 0) == 0);
}

TEST_CASE("bad operator sends are refused with clear errors", "[integration][operator]") {
  pipeline p;
  auto base = "/v1/projects/" + p.project;
  auto bad = p.s.call("POST", base + "/messages",
                      with_to({{"type", "text"}, {"text", {{"body", ""}}}}, "15550033").dump());
  CHECK(bad.status == 422);
  CHECK(bad.body["error"]["code"] == "invalid_message");
  CHECK(bad.body["error"]["details"]["problems"][0]["pointer"] == "/text/body");
  CHECK(p.s.call("POST", base + "/messages", with_to(text("x"), "+1 555").dump())
            .body["error"]["code"] == "invalid_recipient");
  CHECK(p.s.call("POST", base + "/messages", text("x").dump()).body["error"]["code"] ==
        "invalid_recipient");
  CHECK(p.s.call("POST", base + "/conversations/999/messages", text("x").dump())
            .body["error"]["code"] == "conversation_not_found");
  CHECK(p.s.call("POST", base + "/conversations/abc/messages", text("x").dump()).status == 404);
  CHECK(p.s.call("POST", base + "/messages", "{oops").status == 400);
  CHECK(p.s.call("POST", base + "/messages", with_to(text("x"), "1").dump(), "").status == 401);
  auto other = p.s.create("Other")["id"].get<std::string>();
  auto key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                 .body["key"]
                 .get<std::string>();
  CHECK(p.s.call("POST", base + "/messages", with_to(text("x"), "1").dump(), key).status == 404);
}
