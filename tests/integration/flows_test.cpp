// WhatsApp Flows through the real binaries: made at the simulator (Meta) as drafts, checked
// before Meta sees them, Meta's own validation errors surfaced at their pointers, changed while
// drafts, published, deprecated, deleted, and their status kept current from the `flows`
// webhook.
#include "tests/support/booking_flow.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace paige::test;

namespace {

json booking_json() { return booking_flow_json(); }

json booking(const std::string& name = "booking") {
  return {{"name", name}, {"categories", {"APPOINTMENT_BOOKING"}}, {"flow_json", booking_json()}};
}

struct flows_api {
  pipeline& p;
  std::string base() const { return "/v1/projects/" + p.project + "/flows"; }
  json create(const json& f, unsigned status = 201) {
    auto r = p.s.call("POST", base(), f.dump());
    INFO(r.body.dump());
    REQUIRE(r.status == status);
    return r.body;
  }
  reply get(const std::string& name) { return p.s.call("GET", base() + "/" + name); }
  reply act(const std::string& name, const std::string& action) {
    return p.s.call("POST", base() + "/" + name + "/" + action);
  }
  /// The simulator's (Meta's) flows.
  json at_meta() { return p.meta.call("GET", "/control/flows").body["flows"]; }
  bool wait_for_status(const std::string& name, const std::string& status) {
    return wait_until([&] { return get(name).body.value("status", json()) == status; });
  }
};

/// The booking screen's data_exchange of the dynamic flow's session `token`.
json second_request(const std::string& token) {
  return {{"action", "data_exchange"},
          {"flow_token", token},
          {"screen", "BOOKING"},
          {"data", {{"day", "tue"}}}};
}

}  // namespace

TEST_CASE("a flow is checked, made at Meta as a draft, published and deprecated",
          "[integration][flows]") {
  pipeline p;
  flows_api f{p};
  auto made = f.create(booking());
  CHECK(made["status"] == "DRAFT");
  CHECK(made["name"] == "booking");
  CHECK(made["validation_errors"].empty());
  CHECK(made["flow_json"] == booking_json());
  CHECK(made["endpoint_uri"].is_null());
  auto meta = f.at_meta();
  REQUIRE(meta.size() == 1);
  CHECK(meta[0]["id"] == made["id"]);
  CHECK(meta[0]["status"] == "DRAFT");
  CHECK(json::parse(meta[0]["flow_json"].get<std::string>()) == booking_json());

  // A second flow of the same name is refused here; one Meta would refuse is refused before
  // Meta sees it, with a pointer per problem.
  auto again = p.s.call("POST", f.base(), booking().dump());
  CHECK(again.status == 409);
  CHECK(again.body["error"]["code"] == "flow_exists");
  auto broken = booking("broken");
  broken["flow_json"]["screens"][1]["layout"]["children"][0]["text"] = "${data.nickname}";
  broken["flow_json"]["screens"][0]["id"] = "SUCCESS";
  auto refused = p.s.call("POST", f.base(), broken.dump());
  REQUIRE(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "invalid_flow");
  std::set<std::string> pointers;
  for (const auto& pr : refused.body["error"]["details"]["problems"])
    pointers.insert(pr["pointer"].get<std::string>());
  CHECK(pointers.count("/flow_json/screens/0/id"));
  CHECK(pointers.count("/flow_json/screens/1/layout/children/0/text"));
  CHECK(f.at_meta().size() == 1);
  CHECK(f.get("broken").status == 404);

  // Listed without its Flow JSON; read with it.
  auto listed = p.s.call("GET", f.base() + "?status=DRAFT");
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body["items"].size() == 1);
  CHECK_FALSE(listed.body["items"][0].contains("flow_json"));
  CHECK(p.s.call("GET", f.base() + "?status=PUBLISHED").body["items"].empty());
  CHECK(f.get("booking").body["flow_json"] == booking_json());
  auto preview = p.s.call("GET", f.base() + "/booking/preview");
  REQUIRE(preview.status == 200);
  CHECK(preview.body["preview_url"].get<std::string>().find(made["id"].get<std::string>()) !=
        std::string::npos);
  CHECK(preview.body["expires_at"].is_string());

  // A draft changes; a published flow does not.
  auto renamed =
      p.s.call("PATCH", f.base() + "/booking",
               R"({"name": "Booking flow", "categories": ["APPOINTMENT_BOOKING", "OTHER"]})");
  REQUIRE(renamed.status == 200);
  CHECK(renamed.body["name"] == "Booking flow");
  CHECK(f.get("booking").status == 404);
  CHECK(f.at_meta()[0]["name"] == "Booking flow");
  auto published = f.act("Booking%20flow", "publish");
  INFO(published.body.dump());
  REQUIRE(published.status == 200);
  CHECK(published.body["status"] == "PUBLISHED");
  CHECK(f.at_meta()[0]["status"] == "PUBLISHED");
  auto frozen = p.s.call("PATCH", f.base() + "/Booking%20flow", R"({"categories": ["SURVEY"]})");
  CHECK(frozen.status == 409);
  CHECK(frozen.body["error"]["code"] == "flow_state");
  // Where its answers go is Paige's: it changes on a published flow too (and is checked).
  auto mapped = p.s.call("PATCH", f.base() + "/Booking%20flow",
                         R"({"answers": {"table": "leads", "columns": {"who": "{{flow.name}}"}}})");
  REQUIRE(mapped.status == 200);
  CHECK(mapped.body["answers"]["table"] == "leads");
  CHECK(mapped.body["status"] == "PUBLISHED");
  CHECK(f.get("Booking%20flow").body["answers"]["columns"]["who"] == "{{flow.name}}");
  auto bad_map = p.s.call("PATCH", f.base() + "/Booking%20flow",
                          R"({"answers": {"table": "messages", "columns": {"x": "y"}}})");
  CHECK(bad_map.status == 422);
  CHECK(bad_map.body["error"]["details"]["problems"][0]["pointer"] == "/answers/table");
  auto unmapped = p.s.call("PATCH", f.base() + "/Booking%20flow", R"({"answers": null})");
  REQUIRE(unmapped.status == 200);
  CHECK(unmapped.body["answers"].is_null());
  auto undeletable = p.s.call("DELETE", f.base() + "/Booking%20flow");
  CHECK(undeletable.status == 409);
  CHECK(undeletable.body["error"]["code"] == "flow_state");
  CHECK(f.act("Booking%20flow", "publish").status == 409);

  // Meta blocks it (an unhealthy endpoint): the webhook brings the status.
  auto id = made["id"].get<std::string>();
  REQUIRE(
      p.meta.call("POST", "/control/flows/" + id + "/status", R"({"status": "BLOCKED"})").status ==
      200);
  REQUIRE(f.wait_for_status("Booking%20flow", "BLOCKED"));
  auto deprecated = f.act("Booking%20flow", "deprecate");
  REQUIRE(deprecated.status == 200);
  CHECK(deprecated.body["status"] == "DEPRECATED");
  CHECK(f.at_meta()[0]["status"] == "DEPRECATED");
  CHECK(f.act("Booking%20flow", "deprecate").status == 409);
  // Every status change is in the account's events.
  auto events = p.s.call("GET", "/v1/projects/" + p.project + "/whatsapp/events?field=flows");
  REQUIRE(events.status == 200);
  CHECK(events.body["items"].size() >= 3);  // made, published, blocked, deprecated
}

TEST_CASE("Meta's validation errors are shown at their pointers and keep a flow from publishing",
          "[integration][flows]") {
  pipeline p;
  flows_api f{p};
  REQUIRE(p.meta
              .call("PUT", "/control/flows/validation",
                    R"({"rules": [{"match": "Colour", "error": "INVALID_PROPERTY_VALUE",
                        "message": "Invalid value found for property 'title'.",
                        "path": "screens[0].layout.children[0].children[1].data-source[1].title"}]})")
              .status == 200);
  auto made = f.create(booking());
  REQUIRE(made["validation_errors"].size() == 1);
  CHECK(made["validation_errors"][0]["pointer"] ==
        "/flow_json/screens/0/layout/children/0/children/1/data-source/1/title");
  CHECK(made["validation_errors"][0]["message"].get<std::string>().find("INVALID_PROPERTY_VALUE") !=
        std::string::npos);
  auto refused = f.act("booking", "publish");
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "invalid_flow");
  CHECK(refused.body["error"]["details"]["problems"] == made["validation_errors"]);
  CHECK(f.at_meta()[0]["status"] == "DRAFT");

  // The fixed Flow JSON goes to Meta as the draft's asset; Meta finds nothing now.
  auto fixed = booking_json();
  fixed["screens"][0]["layout"]["children"][0]["children"][1]["data-source"][1]["title"] = "Color";
  auto patched = p.s.call("PATCH", f.base() + "/booking", json{{"flow_json", fixed}}.dump());
  INFO(patched.body.dump());
  REQUIRE(patched.status == 200);
  CHECK(patched.body["validation_errors"].empty());
  CHECK(patched.body["flow_json"] == fixed);
  CHECK(json::parse(f.at_meta()[0]["flow_json"].get<std::string>()) == fixed);
  // A local problem in a patch changes nothing.
  auto bad = fixed;
  bad["version"] = "1.0";
  auto refused_patch = p.s.call("PATCH", f.base() + "/booking", json{{"flow_json", bad}}.dump());
  CHECK(refused_patch.status == 422);
  CHECK(refused_patch.body["error"]["details"]["problems"][0]["pointer"] == "/flow_json/version");
  CHECK(f.get("booking").body["flow_json"] == fixed);
  CHECK(f.act("booking", "publish").status == 200);
}

TEST_CASE("a draft is deleted at Meta and here, and another project sees none of it",
          "[integration][flows]") {
  pipeline p;
  flows_api f{p};
  f.create(booking());
  f.create(booking("survey"));
  auto page = p.s.call("GET", f.base() + "?limit=1");
  REQUIRE(page.status == 200);
  REQUIRE(page.body["items"].size() == 1);
  CHECK(page.body["items"][0]["name"] == "booking");
  auto next =
      p.s.call("GET", f.base() + "?limit=1&cursor=" + page.body["next_cursor"].get<std::string>());
  REQUIRE(next.body["items"].size() == 1);
  CHECK(next.body["items"][0]["name"] == "survey");
  CHECK(next.body["next_cursor"].is_null());

  auto gone = p.s.call("DELETE", f.base() + "/survey");
  REQUIRE(gone.status == 200);
  CHECK(gone.body["deleted"] == true);
  CHECK(f.get("survey").status == 404);
  CHECK(f.get("survey").body["error"]["code"] == "flow_not_found");
  REQUIRE(f.at_meta().size() == 1);
  CHECK(f.at_meta()[0]["name"] == "booking");
  CHECK(p.s.call("DELETE", f.base() + "/survey").status == 404);

  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto other_key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                       .body["key"]
                       .get<std::string>();
  CHECK(p.s.call("GET", f.base(), "", other_key).status == 404);
  CHECK(p.s.call("GET", f.base() + "/booking", "", other_key).status == 404);
  CHECK(p.s.call("POST", f.base() + "/booking/publish", "", other_key).status == 404);
  auto theirs = p.s.call("GET", "/v1/projects/" + other + "/flows", "", other_key);
  REQUIRE(theirs.status == 200);
  CHECK(theirs.body["items"].empty());
  auto none = p.s.call("POST", "/v1/projects/" + other + "/flows", booking().dump());
  CHECK(none.status == 409);
  CHECK(none.body["error"]["code"] == "whatsapp_not_connected");
  CHECK(p.s.call("GET", f.base() + "/a%2Fb").status == 404);
}

TEST_CASE("the seeds' booking example: a bot sends the flow, the answer lands in bookings",
          "[integration][flows]") {
  pipeline p;
  flows_api f{p};
  auto flow = booking();
  flow["answers"] = {{"table", "bookings"},
                     {"create_table", true},
                     {"columns",
                      {{"name", "{{flow.name}}"},
                       {"service", "{{flow.service}}"},
                       {"date", "{{flow.date}}"},
                       {"phone", "{{contact.wa_id}}"}}}};
  auto made = f.create(flow);
  CHECK(made["answers"]["table"] == "bookings");
  REQUIRE(f.act("booking", "publish").status == 200);
  {
    // The table is made with columns that fit the fields: the DatePicker's is a date.
    auto table = p.s.call("GET", "/v1/projects/" + p.project + "/tables/bookings");
    REQUIRE(table.status == 200);
    std::map<std::string, std::string> types;
    for (const auto& c : table.body["columns"]) types[c["name"]] = c["type"];
    CHECK(types["date"] == "date");
    CHECK(types["name"] == "text");
    CHECK(types["phone"] == "text");
  }
  p.put_bot(json::parse(R"({"initial_state": "start", "states": {
    "start": {"kind": "await", "routes": [
      {"when": {"text_matches": "(?i)book"}, "then": [
        {"send": {"type": "interactive", "interactive": {"type": "flow",
          "body": {"text": "Book a visit"},
          "action": {"name": "flow", "parameters": {"flow_name": "booking", "flow_cta": "Book",
            "flow_action": "navigate", "flow_action_payload": {"screen": "BOOKING"}}}}}},
        {"goto": "booking"}]}]},
    "booking": {"kind": "await", "routes": [
      {"when": {"flow": "booking"}, "then": [
        {"send": {"type": "text", "text": {"body":
          "Thanks {{flow.name}}: {{flow.service}} on {{flow.date}} is booked."}}},
        {"goto": "start"}]}]}}})"));

  p.say("15550600", "I want to book", "Ana");
  auto sent = p.replies("15550600", 1)[0]["message"];
  auto params = sent["interactive"]["action"]["parameters"];
  CHECK(params["flow_id"] == made["id"]);
  CHECK_FALSE(params.contains("flow_name"));
  CHECK(params["flow_message_version"] == "3");
  auto token = params["flow_token"].get<std::string>();
  CHECK(token.rfind("booking:", 0) == 0);
  CHECK(token.size() > 20);

  // The user fills in the flow: Meta sends its answer.
  auto done =
      p.meta.call("POST", "/control/numbers/" + number_id + "/users/15550600/flows/complete",
                  R"({"response": {"name": "Ana", "service": "cut", "date": "2026-12-24"}})");
  REQUIRE(done.status == 200);
  CHECK(done.body["flow_token"] == token);
  auto replies = p.replies("15550600", 2);
  CHECK(replies[1]["message"]["text"]["body"] == "Thanks Ana: cut on 2026-12-24 is booked.");
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    auto rows = tx.exec("SELECT name, service, date::text, phone FROM bookings");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0][0].as<std::string>() == "Ana");
    CHECK(rows[0][1].as<std::string>() == "cut");
    CHECK(rows[0][2].as<std::string>() == "2026-12-24");
    CHECK(rows[0][3].as<std::string>() == "15550600");
    auto answer = tx.exec(
        "SELECT a.flow_token, a.send_id = s.id, m.handled_at IS NOT NULL FROM flow_answers a "
        "JOIN messages m ON m.id = a.message_id "
        "JOIN messages s ON s.content->'interactive'->'action'->'parameters'->>'flow_token' = "
        "a.flow_token AND s.direction = 'out'");
    REQUIRE(answer.size() == 1);
    CHECK(answer[0][0].as<std::string>() == token);
    CHECK(answer[0][1].as<bool>());
    CHECK(answer[0][2].as<bool>());
  }
  auto answers = p.s.call("GET", f.base() + "/booking/answers");
  REQUIRE(answers.status == 200);
  REQUIRE(answers.body["items"].size() == 1);
  CHECK(answers.body["items"][0]["response"]["service"] == "cut");
  CHECK(answers.body["items"][0]["contact"]["wa_id"] == "15550600");
  CHECK(answers.body["next_cursor"].is_null());

  // Meta delivers the answer again: stored once.
  auto inbound = p.records("15550600", "in");
  auto last = inbound.back()["message"];
  REQUIRE(p.meta
              .call("POST", "/control/numbers/" + number_id + "/users/15550600/messages",
                    json{{"message", last}}.dump())
              .status == 200);
  CHECK(p.s.call("GET", f.base() + "/booking/answers").body["items"].size() == 1);

  // Operators send the flow by its name too; a flow the project does not have is refused.
  auto messages = "/v1/projects/" + p.project + "/messages";
  json operator_send{
      {"to", "15550600"}, {"type", "interactive"}, {"interactive", sent["interactive"]}};
  operator_send["interactive"]["action"]["parameters"] = {{"flow_name", "booking"},
                                                          {"flow_cta", "Book again"}};
  auto queued = p.s.call("POST", messages, operator_send.dump());
  INFO(queued.body.dump());
  CHECK(queued.status == 202);
  auto again = p.replies("15550600", 3)[2]["message"]["interactive"]["action"]["parameters"];
  CHECK(again["flow_id"] == made["id"]);
  CHECK(again["flow_token"] != token);
  operator_send["interactive"]["action"]["parameters"]["flow_name"] = "survey";
  auto unknown = p.s.call("POST", messages, operator_send.dump());
  CHECK(unknown.status == 404);
  CHECK(unknown.body["error"]["code"] == "flow_not_found");
}

TEST_CASE("the data-exchange endpoint decrypts Meta's requests and refuses what it must",
          "[integration][flows]") {
  pipeline p;
  flows_api f{p};
  // No key yet: Meta's request cannot be decrypted (421), and the API says there is none.
  auto none = p.s.call("GET", "/v1/projects/" + p.project + "/whatsapp/flows-key");
  CHECK(none.status == 404);
  CHECK(none.body["error"]["code"] == "flow_key_missing");
  auto key = p.s.call("PUT", "/v1/projects/" + p.project + "/whatsapp/flows-key");
  INFO(key.body.dump());
  REQUIRE(key.status == 200);
  CHECK(key.body["phone_number_id"] == number_id);
  CHECK(key.body["signature_status"] == "VALID");
  auto pem = key.body["public_key"].get<std::string>();
  CHECK(pem.find("BEGIN PUBLIC KEY") != std::string::npos);
  CHECK(pem.find("PRIVATE") == std::string::npos);
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/whatsapp/flows-key").body["public_key"] ==
        pem);

  auto dynamic = booking("dynamic");
  dynamic["endpoint_uri"] =
      "http://127.0.0.1:" + std::to_string(p.s.server->port()) + "/v1/flows/endpoint/" + p.project;
  auto made = f.create(dynamic);
  auto exchange = [&](const json& body) {
    auto r = p.meta.call("POST", "/control/flows/" + made["id"].get<std::string>() + "/exchange",
                         body.dump());
    REQUIRE(r.status == 200);
    return r.body;
  };
  // Meta's health check, answered encrypted under the inverted IV.
  auto ping = exchange({{"action", "ping"}});
  CHECK(ping["status"] == 200);
  CHECK(ping["response"]["data"]["status"] == "active");
  // A bad signature, another key, a changed byte: refused with Meta's statuses.
  CHECK(exchange({{"action", "ping"}, {"tamper", "signature"}})["status"] == 432);
  CHECK(exchange({{"action", "ping"}, {"tamper", "key"}})["status"] == 421);
  CHECK(exchange({{"action", "ping"}, {"tamper", "payload"}})["status"] == 421);
  // A flow token this project never sent: the form has expired (427).
  auto stranger = exchange({{"action", "INIT"}, {"flow_token", "dynamic:forged"}});
  CHECK(stranger["status"] == 427);
  // Error notifications are acknowledged.
  auto notice = exchange({{"action", "data_exchange"},
                          {"flow_token", "x"},
                          {"data", {{"error", "x"}, {"error_message", "y"}}}});
  CHECK(notice["response"]["data"]["acknowledged"] == true);

  // A token Paige sent opens the session.
  p.say("15550700", "hi");
  auto messages = "/v1/projects/" + p.project + "/messages";
  json send{
      {"to", "15550700"},
      {"type", "interactive"},
      {"interactive",
       {{"type", "flow"},
        {"body", {{"text", "Book"}}},
        {"action",
         {{"name", "flow"}, {"parameters", {{"flow_name", "dynamic"}, {"flow_cta", "Book"}}}}}}}};
  REQUIRE(p.s.call("POST", messages, send.dump()).status == 202);
  std::string token;
  REQUIRE(wait_until([&] {
    for (const auto& r : p.records("15550700", "out"))
      if (r["message"].value("interactive", json::object()).value("type", "") == "flow")
        token = r["message"]["interactive"]["action"]["parameters"]["flow_token"];
    return !token.empty();
  }));
  auto init = exchange({{"action", "INIT"}, {"flow_token", token}});
  CHECK(init["status"] == 200);
  CHECK(init["response"]["screen"] == "BOOKING");
  CHECK(init["response"]["data"] == json::object());  // no sources yet

  // The screens' data from SQL over the project's database, the request's values bound.
  auto sql = "/v1/projects/" + p.project + "/sql";
  for (const char* q :
       {"CREATE TABLE services (id text PRIMARY KEY, title text)",
        "INSERT INTO services VALUES ('cut', 'Haircut'), ('color', 'Colour')",
        "CREATE TABLE slots (day text, label text)",
        "INSERT INTO slots VALUES ('mon', 'Monday 9:00'), ('tue', 'Tuesday 10:00')"})
    REQUIRE(p.s.call("POST", sql, json{{"query", q}}.dump()).status == 200);
  auto sourced = p.s.call("PATCH", f.base() + "/dynamic",
                          json::parse(R"({"data_sources": {
        "BOOKING": {"next": "CONFIRM", "data": {
          "services": {"sql": "SELECT id, title FROM services ORDER BY id"}}},
        "CONFIRM": {"next": "SUCCESS", "data": {
          "slot": {"sql": "SELECT label FROM slots WHERE day = $1", "params": ["data.day"],
                   "one": true}}}}})")
                              .dump());
  INFO(sourced.body.dump());
  REQUIRE(sourced.status == 200);
  auto first = exchange({{"action", "INIT"}, {"flow_token", token}});
  CHECK(first["response"]["screen"] == "BOOKING");
  CHECK(first["response"]["data"]["services"] ==
        json::parse(R"([{"id": "color", "title": "Colour"}, {"id": "cut", "title": "Haircut"}])"));
  auto second = exchange({{"action", "data_exchange"},
                          {"flow_token", token},
                          {"screen", "BOOKING"},
                          {"data", {{"day", "tue"}}}});
  CHECK(second["response"]["screen"] == "CONFIRM");
  CHECK(second["response"]["data"]["slot"] == json{{"label", "Tuesday 10:00"}});
  auto last = exchange({{"action", "data_exchange"},
                        {"flow_token", token},
                        {"screen", "CONFIRM"},
                        {"data", {{"day", "tue"}}}});
  CHECK(last["response"]["screen"] == "SUCCESS");
  CHECK(last["response"]["data"]["extension_message_response"]["params"]["flow_token"] == token);
  // The benchmark's driver: sessions at once, each a run of requests (a forged token's 427s
  // are not counted as answered).
  json opening{{"action", "INIT"}, {"flow_token", token}};
  json forged{{"action", "INIT"}, {"flow_token", "dynamic:forged"}};
  auto runs = p.meta.call(
      "POST", "/control/flows/" + made["id"].get<std::string>() + "/sessions",
      json{{"sessions", {{opening, second_request(token)}, {opening}, {forged}}}}.dump());
  REQUIRE(runs.status == 200);
  CHECK(runs.body["requests"] == 4);
  CHECK(runs.body["ok"] == 3);
  CHECK(runs.body["elapsed_ms"].size() == 4);
  CHECK(runs.body["wall_ms"].get<double>() > 0);
  // A source that fails keeps the user on the screen, with the reason.
  REQUIRE(
      p.s.call(
             "PATCH", f.base() + "/dynamic",
             R"({"data_sources": {"BOOKING": {"data": {"x": {"sql": "SELECT nope FROM nowhere"}}}}})")
          .status == 200);
  auto failed = exchange({{"action", "INIT"}, {"flow_token", token}});
  CHECK(failed["response"]["screen"] == "BOOKING");
  CHECK(failed["response"]["data"]["error_message"].get<std::string>().find("'x'") !=
        std::string::npos);
  auto bad_source = p.s.call(
      "PATCH", f.base() + "/dynamic",
      R"({"data_sources": {"BOOKING": {"data": {"x": {"sql": "", "params": ["env.HOME"]}}}}})");
  CHECK(bad_source.status == 422);
  CHECK(bad_source.body["error"]["details"]["problems"].size() == 2);

  // A new key replaces the old: Meta's requests under the old one no longer decrypt.
  auto again = p.s.call("PUT", "/v1/projects/" + p.project + "/whatsapp/flows-key");
  REQUIRE(again.status == 200);
  CHECK(again.body["public_key"] != pem);
  CHECK(exchange({{"action", "ping"}})["status"] == 200);
}

TEST_CASE("a template's flow button opens the project's flow: a token per send, answers found",
          "[integration][flows]") {
  pipeline p;
  flows_api f{p};
  auto flow = booking();
  flow["answers"] = {{"table", "bookings"},
                     {"create_table", true},
                     {"columns", {{"name", "{{flow.name}}"}, {"phone", "{{contact.wa_id}}"}}}};
  f.create(flow);
  REQUIRE(f.act("booking", "publish").status == 200);
  p.put_bot(json::parse(R"({"initial_state": "start", "states": {
    "start": {"kind": "await", "routes": [
      {"when": {"flow": "booking"}, "then": [
        {"send": {"type": "text", "text": {"body": "Booked, {{flow.name}}."}}}]}]}}})"));
  // A template whose button opens the flow by its name.
  json book_visit{{"name", "book_visit"},
                  {"language", "en_US"},
                  {"category", "UTILITY"},
                  {"components",
                   {{{"type", "BODY"}, {"text", "Your next visit is due."}},
                    {{"type", "BUTTONS"},
                     {"buttons",
                      {{{"type", "FLOW"},
                        {"text", "Book"},
                        {"flow_name", "booking"},
                        {"navigate_screen", "BOOKING"}}}}}}}};
  auto templates = "/v1/projects/" + p.project + "/templates";
  auto t = p.s.call("POST", templates, book_visit.dump());
  INFO(t.body.dump());
  REQUIRE(t.status == 201);
  REQUIRE(wait_until([&] {
    return p.s.call("GET", templates + "/book_visit/en_US").body.value("status", "") == "APPROVED";
  }));

  // An operator sends it without a button parameter: Paige gives the button a token.
  auto messages = "/v1/projects/" + p.project + "/messages";
  json send{{"to", "15550610"},
            {"type", "template"},
            {"template", {{"name", "book_visit"}, {"language", {{"code", "en_US"}}}}}};
  auto queued = p.s.call("POST", messages, send.dump());
  INFO(queued.body.dump());
  REQUIRE(queued.status == 202);
  auto token_of = [](const json& message) {
    for (const auto& c : message["template"]["components"])
      if (c.value("sub_type", "") == "flow" && c.value("index", "") == "0")
        return c["parameters"][0]["action"]["flow_token"].get<std::string>();
    return std::string{};
  };
  auto first = p.replies("15550610", 1)[0]["message"];
  auto token = token_of(first);
  CHECK(token.rfind("booking:", 0) == 0);
  CHECK(token.size() > 20);
  // A second send gets a token of its own; a token the sender gives is kept.
  send["template"]["components"] = {
      {{"type", "button"},
       {"sub_type", "flow"},
       {"index", "0"},
       {"parameters", {{{"type", "action"}, {"action", {{"flow_token", "booking:mine"}}}}}}}};
  REQUIRE(p.s.call("POST", messages, send.dump()).status == 202);
  CHECK(token_of(p.replies("15550610", 2)[1]["message"]) == "booking:mine");

  // The user answers the first send: the bot's flow matcher, the mapped row and the answer's
  // send all come from the template's token.
  auto done =
      p.meta.call("POST", "/control/numbers/" + number_id + "/users/15550610/flows/complete",
                  json{{"flow_token", token},
                       {"response", {{"name", "Ana"}, {"service", "cut"}, {"date", "2027-01-04"}}}}
                      .dump());
  INFO(done.body.dump());
  REQUIRE(done.status == 200);
  CHECK(done.body["flow_token"] == token);
  auto replies = p.replies("15550610", 3);
  CHECK(replies[2]["message"]["text"]["body"] == "Booked, Ana.");
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    auto rows = tx.exec("SELECT name, phone FROM bookings");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0][0].as<std::string>() == "Ana");
    CHECK(rows[0][1].as<std::string>() == "15550610");
    auto answer = tx.exec(
        "SELECT s.type, s.content->'template'->>'name' FROM flow_answers a "
        "JOIN messages s ON s.id = a.send_id");
    REQUIRE(answer.size() == 1);
    CHECK(answer[0][0].as<std::string>() == "template");
    CHECK(answer[0][1].as<std::string>() == "book_visit");
  }

  // A broadcast of the template gives each recipient's button a token of its own.
  json broadcast{{"name", "visits"},
                 {"template", {{"name", "book_visit"}, {"language", "en_US"}}},
                 {"audience", {{"wa_ids", {"15550611", "15550612"}}}}};
  auto b = p.s.call("POST", "/v1/projects/" + p.project + "/broadcasts", broadcast.dump());
  INFO(b.body.dump());
  REQUIRE(b.status == 201);
  std::set<std::string> tokens;
  for (const auto* wa_id : {"15550611", "15550612"}) {
    auto token_to = token_of(p.replies(wa_id, 1)[0]["message"]);
    CHECK(token_to.rfind("booking:", 0) == 0);
    tokens.insert(token_to);
  }
  CHECK(tokens.size() == 2);
  CHECK(tokens.count(token) == 0);
  // Every token sent is recorded with its flow and contact: the endpoint opens sessions for
  // them (the operator's two sends, the broadcast's two recipients).
  auto db = p.project_db();
  pqxx::read_transaction tx{db};
  std::set<std::string> recorded;
  for (const auto& row : tx.exec("SELECT token, flow_name, wa_id FROM flow_tokens")) {
    CHECK(row[1].as<std::string>() == "booking");
    recorded.insert(row[0].as<std::string>() + "@" + row[2].as<std::string>());
  }
  std::set<std::string> expected{token + "@15550610", "booking:mine@15550610"};
  for (const auto& t : tokens)
    expected.insert(t + (recorded.count(t + "@15550611") ? "@15550611" : "@15550612"));
  CHECK(recorded == expected);
  CHECK(recorded.size() == 4);
}
