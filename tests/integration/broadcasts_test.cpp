// Broadcasts through the real binaries: an approved template sent to an audience (contacts,
// states, a list, a project table), each recipient once — across a restart and a kill -9 —
// opted-out contacts skipped, paused, resumed, cancelled and scheduled, with live replies going
// first.
#include "actors/core/bot_definition.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <set>

using namespace paige::test;

namespace {

const json quiet_bot =
    json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": []}}})");

struct broadcasts {
  pipeline& p;

  std::string base() const { return "/v1/projects/" + p.project + "/broadcasts"; }

  /// An approved utility template "notice": body "Hi {{1}}, your code is {{2}}."
  void approved_template(const std::string& category = "UTILITY") {
    json t{{"name", "notice"},
           {"language", "en_US"},
           {"category", category},
           {"components",
            {{{"type", "BODY"},
              {"text", "Hi {{1}}, your code is {{2}}."},
              {"example", {{"body_text", json::array({json::array({"Ana", "B-1"})})}}}}}}};
    REQUIRE(p.s.call("POST", "/v1/projects/" + p.project + "/templates", t.dump()).status == 201);
    REQUIRE(wait_until([&] {
      return p.s.call("GET", "/v1/projects/" + p.project + "/templates/notice/en_US")
                 .body.value("status", "") == "APPROVED";
    }));
  }

  static json body_params(const json& first, const json& second) {
    return json::array(
        {{{"type", "body"},
          {"parameters",
           {{{"type", "text"}, {"text", first}}, {{"type", "text"}, {"text", second}}}}}});
  }

  json create(const json& audience, const json& first = {{"column", "name"}},
              unsigned status = 201) {
    json b{{"name", "notice to all"},
           {"template", {{"name", "notice"}, {"language", "en_US"}}},
           {"audience", audience},
           {"components", body_params(first, "B-7")}};
    auto r = p.s.call("POST", base(), b.dump());
    INFO(r.body.dump());
    REQUIRE(r.status == status);
    return r.body;
  }

  json get(std::int64_t id) { return p.s.call("GET", base() + "/" + std::to_string(id)).body; }

  bool wait_status(std::int64_t id, const std::string& status,
                   std::chrono::milliseconds within = std::chrono::seconds{60}) {
    return wait_until([&] { return get(id).value("status", "") == status; }, within);
  }

  /// Template messages the simulator recorded, per recipient.
  std::map<std::string, int> received() {
    std::map<std::string, int> out;
    auto r = p.meta.call("GET", "/control/numbers/" + number_id + "/messages?after=0");
    for (const auto& item : r.body["items"])
      if (item["direction"] == "out" && item["message"].value("type", "") == "template")
        ++out[item["wa_id"].get<std::string>()];
    return out;
  }
};

}  // namespace

TEST_CASE("a broadcast reaches each contact once with its values, and skips contacts who opted out",
          "[integration][broadcasts]") {
  pipeline p;
  p.put_bot(quiet_bot);
  broadcasts b{p};
  b.approved_template();
  for (const auto& [wa_id, name] : std::vector<std::pair<std::string, std::string>>{
           {"15550401", "Ana"}, {"15550402", "Bea"}, {"15550403", "Cy"}, {"15550404", "Di"}})
    p.say(wa_id, "hi", name);
  // One opts out (the API); the count before sending includes every contact.
  auto contacts = p.s.call("GET", "/v1/projects/" + p.project + "/contacts?search=15550404");
  auto di = contacts.body["items"][0]["id"].get<std::int64_t>();
  auto out = p.s.call("PATCH", "/v1/projects/" + p.project + "/contacts/" + std::to_string(di),
                      R"({"opted_out": true})");
  REQUIRE(out.status == 200);
  CHECK_FALSE(out.body["opted_out_at"].is_null());
  auto count = p.s.call("POST", b.base() + "/audience", R"({"audience": {"all_contacts": true}})");
  REQUIRE(count.status == 200);
  CHECK(count.body["count"] == 4);

  auto made = b.create({{"all_contacts", true}});
  CHECK(made["status"] == "running");
  auto id = made["id"].get<std::int64_t>();
  REQUIRE(b.wait_status(id, "completed"));
  REQUIRE(wait_until([&] { return b.get(id)["progress"]["read"] == 3; }));
  auto done = b.get(id);
  CHECK(done["progress"]["total"] == 4);
  CHECK(done["progress"]["skipped"] == 1);
  CHECK(done["progress"]["pending"] == 0);
  CHECK(done["progress"]["failed"] == 0);
  auto got = b.received();
  CHECK(got == std::map<std::string, int>{{"15550401", 1}, {"15550402", 1}, {"15550403", 1}});
  auto to_bea = p.records("15550402", "out");
  REQUIRE(to_bea.size() == 1);
  CHECK(to_bea[0]["message"]["template"]["components"][0]["parameters"][0]["text"] == "Bea");
  auto skipped =
      p.s.call("GET", b.base() + "/" + std::to_string(id) + "/recipients?status=skipped");
  REQUIRE(skipped.status == 200);
  REQUIRE(skipped.body["items"].size() == 1);
  CHECK(skipped.body["items"][0]["wa_id"] == "15550404");
  CHECK(skipped.body["items"][0]["skip_reason"] == "opted_out");
  auto read =
      p.s.call("GET", b.base() + "/" + std::to_string(id) + "/recipients?status=read&limit=2");
  CHECK(read.body["items"].size() == 2);
  CHECK_FALSE(read.body["next_cursor"].is_null());
  // The broadcast's messages are the contacts' messages, outside any conversation.
  auto db = p.project_db();
  pqxx::read_transaction tx{db};
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'out' AND conversation_id IS NULL")
            [0][0]
                .as<int>() == 3);
  CHECK(p.metric("paige_broadcast_recipients_total{outcome=\"queued\"}") == 3);
  CHECK(p.metric("paige_broadcast_recipients_total{outcome=\"skipped\"}") == 1);
}

TEST_CASE("a broadcast to a list, to states and to a project table", "[integration][broadcasts]") {
  pipeline p;
  p.put_bot(quiet_bot);
  broadcasts b{p};
  b.approved_template();
  // A list of numbers that never wrote: their contacts are made.
  auto list = b.create({{"wa_ids", {"15550411", "15550412", "15550413"}}}, "friend");
  REQUIRE(b.wait_status(list["id"].get<std::int64_t>(), "completed"));
  CHECK(b.received().size() == 3);
  // Its view shows the list by its length (up to 100 000 numbers stay in the database).
  CHECK(list["audience"] == json{{"wa_ids_count", 3}});
  CHECK(b.get(list["id"].get<std::int64_t>())["audience"] == json{{"wa_ids_count", 3}});
  // The rows of a table, each with its own values; a phone that is not one is skipped.
  auto tables = "/v1/projects/" + p.project + "/tables";
  REQUIRE(p.s.call("POST", tables,
                   R"({"name": "customers", "columns": [{"name": "phone", "type": "text"},
                       {"name": "first_name", "type": "text"}]})")
              .status == 201);
  for (const auto& [phone, name] : std::vector<std::pair<std::string, std::string>>{
           {"+1 555-0421", "Eve"}, {"15550422", "Fay"}, {"call me", "Gus"}})
    REQUIRE(p.s.call("POST", tables + "/customers/rows",
                     json{{"phone", phone}, {"first_name", name}}.dump())
                .status == 201);
  auto rows =
      b.create({{"table", "customers"}, {"phone_column", "phone"}}, {{"column", "first_name"}});
  auto rows_id = rows["id"].get<std::int64_t>();
  REQUIRE(b.wait_status(rows_id, "completed"));
  auto progress = b.get(rows_id)["progress"];
  CHECK(progress["total"] == 3);
  CHECK(progress["skipped"] == 1);
  auto eve = p.records("15550421", "out");
  REQUIRE(eve.size() == 1);
  CHECK(eve[0]["message"]["template"]["components"][0]["parameters"][0]["text"] == "Eve");
  auto skipped =
      p.s.call("GET", b.base() + "/" + std::to_string(rows_id) + "/recipients?status=skipped");
  CHECK(skipped.body["items"][0]["skip_reason"] == "invalid_phone");
  // A column the table lacks, a table that does not exist: refused before anything is stored.
  auto missing = p.s.call("POST", b.base(),
                          json{{"template", {{"name", "notice"}, {"language", "en_US"}}},
                               {"audience", {{"table", "customers"}, {"phone_column", "mobile"}}},
                               {"components", broadcasts::body_params("a", "b")}}
                              .dump());
  CHECK(missing.status == 422);
  CHECK(missing.body["error"]["code"] == "invalid_broadcast");
  // Contacts whose open conversation is in a state.
  p.say("15550431", "hi", "Hal");
  auto states = b.create({{"states", {"a"}}});
  REQUIRE(b.wait_status(states["id"].get<std::int64_t>(), "completed"));
  CHECK(p.records("15550431", "out").size() == 1);
}

TEST_CASE("broadcasts that do not fit are refused with pointers, and another project sees none",
          "[integration][broadcasts]") {
  pipeline p;
  broadcasts b{p};
  b.approved_template();
  auto bad = p.s.call("POST", b.base(),
                      R"({"template": {"name": "notice"}, "audience": {"wa_ids": ["12", "x"]},
                          "schedule_at": "yesterday"})");
  REQUIRE(bad.status == 422);
  CHECK(bad.body["error"]["code"] == "invalid_broadcast");
  std::set<std::string> pointers;
  for (const auto& problem : bad.body["error"]["details"]["problems"])
    pointers.insert(problem["pointer"].get<std::string>());
  CHECK(pointers == std::set<std::string>{"/template", "/audience/wa_ids/0", "/schedule_at"});
  // The template as every recipient will get it: one parameter short.
  json short_one{
      {"template", {{"name", "notice"}, {"language", "en_US"}}},
      {"audience", {{"all_contacts", true}}},
      {"components", {{{"type", "body"}, {"parameters", {{{"type", "text"}, {"text", "x"}}}}}}}};
  auto unfit = p.s.call("POST", b.base(), short_one.dump());
  CHECK(unfit.status == 422);
  CHECK(unfit.body["error"]["code"] == "invalid_template_parameters");
  CHECK(unfit.body["error"]["details"]["problems"][0]["pointer"] == "/components/0/parameters");
  short_one["template"]["name"] = "nope";
  CHECK(p.s.call("POST", b.base(), short_one.dump()).status == 404);
  // A table audience against the table as it is: each missing one with its pointer.
  auto pointers_of = [](const reply& r) {
    std::set<std::string> out;
    for (const auto& problem : r.body["error"]["details"]["problems"])
      out.insert(problem["pointer"].get<std::string>());
    return out;
  };
  json to_table{{"template", {{"name", "notice"}, {"language", "en_US"}}},
                {"audience", {{"table", "people"}, {"phone_column", "phone"}}},
                {"components", broadcasts::body_params({{"column", "first"}}, {{"column", "x"}})}};
  auto no_table = p.s.call("POST", b.base(), to_table.dump());
  CHECK(no_table.status == 422);
  CHECK(no_table.body["error"]["code"] == "invalid_broadcast");
  CHECK(pointers_of(no_table) == std::set<std::string>{"/audience/table"});
  auto counted =
      p.s.call("POST", b.base() + "/audience", json{{"audience", to_table["audience"]}}.dump());
  CHECK(counted.status == 422);
  CHECK(pointers_of(counted) == std::set<std::string>{"/audience/table"});
  REQUIRE(p.s.call("POST", "/v1/projects/" + p.project + "/tables",
                   R"({"name": "people", "columns": [{"name": "first", "type": "text"}]})")
              .status == 201);
  auto no_columns = p.s.call("POST", b.base(), to_table.dump());
  CHECK(no_columns.status == 422);
  CHECK(pointers_of(no_columns) ==
        std::set<std::string>{"/audience/phone_column", "/components/0/parameters/1/text/column"});
  CHECK(p.s.call("GET", b.base()).body["items"].empty());
  CHECK(p.s.call("GET", b.base() + "/99").status == 404);
  CHECK(p.s.call("GET", b.base() + "/x'1").status == 404);
  CHECK(p.s.call("POST", b.base() + "/99/pause").status == 404);

  auto made = b.create({{"wa_ids", {"15550441"}}}, "x");
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                 .body["key"]
                 .get<std::string>();
  CHECK(p.s.call("GET", b.base(), "", key).status == 404);
  CHECK(p.s.call("GET", b.base() + "/" + std::to_string(made["id"].get<std::int64_t>()), "", key)
            .status == 404);
  CHECK(p.s.call("GET", "/v1/projects/" + other + "/broadcasts", "", key).body["items"].empty());
}

TEST_CASE("a broadcast is paused, resumed, cancelled and scheduled", "[integration][broadcasts]") {
  pipeline p;
  p.put_bot(quiet_bot);
  broadcasts b{p};
  b.approved_template();
  REQUIRE(
      p.s.call("PATCH", "/v1/projects/" + p.project, R"({"settings":{"messages_per_second":10}})")
          .status == 200);
  json ids = json::array();
  for (int i = 0; i < 60; ++i) ids.push_back("1555050" + std::to_string(1000 + i).substr(1));
  auto made = b.create({{"wa_ids", ids}}, "x");
  auto id = made["id"].get<std::int64_t>();
  auto path = b.base() + "/" + std::to_string(id);
  REQUIRE(wait_until([&] { return b.get(id)["progress"]["read"].get<int>() >= 5; }));
  auto paused = p.s.call("POST", path + "/pause");
  REQUIRE(paused.status == 200);
  CHECK(paused.body["status"] == "paused");
  CHECK(p.s.call("POST", path + "/pause").status == 409);
  CHECK(b.get(id)["progress"]["pending"].get<int>() > 0);
  REQUIRE(p.s.call("POST", path + "/resume").status == 200);
  REQUIRE(b.wait_status(id, "completed"));
  auto got = b.received();
  CHECK(got.size() == 60);
  for (const auto& [wa_id, n] : got) CHECK(n == 1);
  CHECK(p.s.call("POST", path + "/resume").status == 409);

  // Cancelled: what was not queued stays unsent.
  json more = json::array();
  for (int i = 0; i < 60; ++i) more.push_back("1555060" + std::to_string(1000 + i).substr(1));
  auto second = b.create({{"wa_ids", more}}, "x")["id"].get<std::int64_t>();
  REQUIRE(wait_until([&] { return b.get(second)["progress"]["read"].get<int>() >= 3; }));
  auto cancelled = p.s.call("POST", b.base() + "/" + std::to_string(second) + "/cancel");
  REQUIRE(cancelled.status == 200);
  CHECK(cancelled.body["status"] == "cancelled");
  CHECK_FALSE(cancelled.body["finished_at"].is_null());
  auto left = b.get(second)["progress"]["pending"].get<int>();
  CHECK(left > 0);
  // Scheduled two seconds ahead: it waits, then runs by itself.
  json b3{{"template", {{"name", "notice"}, {"language", "en_US"}}},
          {"audience", {{"wa_ids", {"15550701"}}}},
          {"components", broadcasts::body_params("x", "y")},
          {"schedule_at", [] {
             auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                           std::chrono::seconds{2});
             char buf[32];
             std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
             return std::string{buf};
           }()}};
  auto scheduled = p.s.call("POST", b.base(), b3.dump());
  REQUIRE(scheduled.status == 201);
  CHECK(scheduled.body["status"] == "scheduled");
  REQUIRE(b.wait_status(scheduled.body["id"].get<std::int64_t>(), "completed"));
  CHECK(p.records("15550701", "out").size() == 1);
  CHECK(b.get(second)["progress"]["pending"] == left);  // the cancelled one stayed so
}

TEST_CASE("a broadcast goes on after a restart and a kill -9, and each recipient gets it once",
          "[integration][broadcasts]") {
  pipeline p;
  p.put_bot(quiet_bot);
  broadcasts b{p};
  b.approved_template();
  REQUIRE(
      p.s.call("PATCH", "/v1/projects/" + p.project, R"({"settings":{"messages_per_second":20}})")
          .status == 200);
  json ids = json::array();
  for (int i = 0; i < 150; ++i) ids.push_back("155508" + std::to_string(10000 + i).substr(1));
  auto id = b.create({{"wa_ids", ids}}, "x")["id"].get<std::int64_t>();
  REQUIRE(wait_until([&] { return b.received().size() >= 20; }));
  p.restart();  // SIGTERM: nothing in flight is lost or repeated
  REQUIRE(wait_until([&] { return b.received().size() >= 60; }));
  p.s.server->process().signal(SIGKILL);
  p.s.server->process().wait_exit(std::chrono::seconds{10});
  p.s.start(master_hex);
  p.meta.target(p.s.server->port());
  REQUIRE(b.wait_status(id, "completed", std::chrono::seconds{120}));
  auto got = b.received();
  CHECK(got.size() == 150);
  int twice = 0;
  for (const auto& [wa_id, n] : got) {
    CHECK(n <= 2);
    twice += n - 1;
  }
  // At most the sends in flight at the kill (16 a project) arrive twice.
  CHECK(twice <= 16);
}

TEST_CASE("live replies go before a project's broadcast", "[integration][broadcasts]") {
  pipeline p;
  broadcasts b{p};
  b.approved_template();
  p.put_bot(paige::actors::bot::echo_bot());
  REQUIRE(
      p.s.call("PATCH", "/v1/projects/" + p.project, R"({"settings":{"messages_per_second":10}})")
          .status == 200);
  json ids = json::array();
  for (int i = 0; i < 200; ++i) ids.push_back("155509" + std::to_string(10000 + i).substr(1));
  auto id = b.create({{"wa_ids", ids}}, "x")["id"].get<std::int64_t>();
  REQUIRE(wait_until([&] { return b.get(id)["progress"]["read"].get<int>() >= 5; }));
  p.say("15550999", "are you there?");
  auto reply = p.replies("15550999", 1);
  CHECK(body_of(reply[0]) == "echo: are you there?");
  // Sent while most of the broadcast still waited (200 at 10 a second take 20 s).
  auto progress = b.get(id)["progress"];
  CHECK(progress["pending"].get<int>() + progress["queued"].get<int>() > 100);
}

TEST_CASE("a bot opts a contact out, and no marketing template reaches them",
          "[integration][broadcasts]") {
  pipeline p;
  broadcasts b{p};
  b.approved_template("MARKETING");
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
    {"when": {"text_equals": "stop"}, "then": [{"opt_out": true},
      {"send": {"type": "text", "text": {"body": "You will get no offers."}}}]},
    {"when": {"text_equals": "start"}, "then": [{"opt_out": false}]}]}}})"));
  p.say("15550451", "STOP");
  p.replies("15550451", 1);
  auto contact =
      p.s.call("GET", "/v1/projects/" + p.project + "/contacts?search=15550451").body["items"][0];
  CHECK_FALSE(contact["opted_out_at"].is_null());
  // An operator's marketing template is refused; a broadcast skips the contact.
  json send{{"to", "15550451"},
            {"type", "template"},
            {"template",
             {{"name", "notice"},
              {"language", {{"code", "en_US"}}},
              {"components", broadcasts::body_params("x", "y")}}}};
  auto refused = p.s.call("POST", "/v1/projects/" + p.project + "/messages", send.dump());
  CHECK(refused.status == 409);
  CHECK(refused.body["error"]["code"] == "contact_opted_out");
  auto id = b.create({{"wa_ids", {"15550451"}}}, "x")["id"].get<std::int64_t>();
  REQUIRE(b.wait_status(id, "completed"));
  CHECK(b.get(id)["progress"]["skipped"] == 1);
  CHECK(b.received().empty());
  // In again: the operator's template goes.
  p.say("15550451", "start");
  REQUIRE(wait_until([&] {
    return p.s.call("GET", "/v1/projects/" + p.project + "/contacts?search=15550451")
        .body["items"][0]["opted_out_at"]
        .is_null();
  }));
  CHECK(p.s.call("POST", "/v1/projects/" + p.project + "/messages", send.dump()).status == 202);
}

TEST_CASE("a bot's marketing templates skip a contact who opted out, by an operator or the bot",
          "[integration][broadcasts]") {
  pipeline p;
  broadcasts b{p};
  b.approved_template("MARKETING");
  // "offer" sends the marketing template, then a text; "stop" opts out and offers in one step.
  auto offer = json::parse(R"([{"send": {"type": "template", "template": {"name": "notice",
      "language": {"code": "en_US"}, "components": [{"type": "body", "parameters": [
      {"type": "text", "text": "x"}, {"type": "text", "text": "y"}]}]}}},
    {"send": {"type": "text", "text": {"body": "done"}}}])");
  auto stop = offer;
  stop.insert(stop.begin(), json{{"opt_out", true}});
  json routes = json::array();
  routes.push_back({{"when", {{"text_equals", "offer"}}}, {"then", offer}});
  routes.push_back({{"when", {{"text_equals", "stop"}}}, {"then", stop}});
  routes.push_back(
      {{"when", {{"text_equals", "start"}}}, {"then", json::array({{{"opt_out", false}}})}});
  json bot{{"initial_state", "a"}, {"states", {{"a", {{"kind", "await"}, {"routes", routes}}}}}};
  p.put_bot(bot);
  const std::string wa_id = "15550461";
  auto templates_received = [&] {
    std::size_t n = 0;
    for (const auto& r : p.records(wa_id, "out")) n += r["message"].contains("template");
    return n;
  };
  p.say(wa_id, "offer");
  p.replies(wa_id, 2);
  CHECK(templates_received() == 1);
  // An operator opts the contact out: the bot's next offer is only its text.
  auto contact = p.s.call("GET", "/v1/projects/" + p.project + "/contacts?search=" + wa_id)
                     .body["items"][0]["id"]
                     .get<std::int64_t>();
  auto patch = [&](bool out) {
    auto r = p.s.call("PATCH", "/v1/projects/" + p.project + "/contacts/" + std::to_string(contact),
                      json{{"opted_out", out}}.dump());
    REQUIRE(r.status == 200);
    CHECK(r.body["opted_out_at"].is_null() == !out);
  };
  patch(true);
  p.say(wa_id, "offer");
  p.replies(wa_id, 3);  // the text; the template would have gone before it
  CHECK(templates_received() == 1);
  CHECK(p.metric("paige_template_sends_refused_total{source=\"bot\"}") == 1);
  // In again: offered again.
  patch(false);
  p.say(wa_id, "offer");
  p.replies(wa_id, 5);
  CHECK(templates_received() == 2);
  // The bot opts the contact out in the step that offers: the offer is not sent.
  p.say(wa_id, "stop");
  p.replies(wa_id, 6);
  CHECK(templates_received() == 2);
  // Opted in again by the bot: offered again.
  p.say(wa_id, "start");
  p.say(wa_id, "offer");
  p.replies(wa_id, 8);
  CHECK(templates_received() == 3);
  CHECK(p.metric("paige_template_sends_refused_total{source=\"bot\"}") == 2);
  // Unknown contact: 404, nothing changed.
  auto unknown =
      p.s.call("PATCH", "/v1/projects/" + p.project + "/contacts/999999", R"({"opted_out": true})");
  CHECK(unknown.status == 404);
  CHECK(unknown.body["error"]["code"] == "contact_not_found");
}

TEST_CASE("a broadcast waits for Meta's messaging limit, and goes on when it is raised",
          "[integration][broadcasts]") {
  pipeline p;
  p.put_bot(quiet_bot);
  broadcasts b{p};
  b.approved_template();
  auto limit = [&](const std::string& tier) {
    auto r = p.meta.call(
        "POST", "/control/numbers/" + number_id + "/webhooks",
        json{
            {"field", "phone_number_quality_update"},
            {"value",
             {{"display_phone_number", "15551001"}, {"event", "UPGRADE"}, {"current_limit", tier}}}}
            .dump());
    REQUIRE(r.status == 200);
    REQUIRE(r.body["delivered"] == true);
  };
  limit("TIER_50");
  json ids = json::array();
  for (int i = 0; i < 60; ++i) ids.push_back("155510" + std::to_string(10000 + i).substr(1));
  auto id = b.create({{"wa_ids", ids}}, "x")["id"].get<std::int64_t>();
  // 50 unique users a day: the 50 go, the other 10 wait, and the broadcast says why.
  REQUIRE(wait_until([&] {
    auto now = b.get(id);
    return now["progress"]["read"] == 50 && now.value("status_detail", json()).is_string() &&
           now["status_detail"].get<std::string>().find("messaging limit") != std::string::npos;
  }));
  CHECK(b.get(id)["status"] == "running");
  CHECK(b.get(id)["progress"]["pending"] == 10);
  CHECK(b.received().size() == 50);
  // Meta raises the tier: the rest go out.
  limit("TIER_1K");
  REQUIRE(b.wait_status(id, "completed"));
  CHECK(b.received().size() == 60);
  CHECK(b.get(id)["status_detail"].is_null());
}
