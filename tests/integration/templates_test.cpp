// Message templates through the real binaries: made, reviewed by the simulator (Meta), kept
// current from its webhooks and its list, edited and deleted as Meta allows, and sent with
// parameters checked against the approved template (by the API and by bots).
#include "tests/support/http_client.hpp"
#include "tests/support/images.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <set>

using namespace paige::test;

namespace {

json order_template(const std::string& name = "order_ready",
                    const std::string& language = "en_US") {
  return {{"name", name},
          {"language", language},
          {"category", "UTILITY"},
          {"components",
           {{{"type", "BODY"},
             {"text", "Hi {{1}}, your order {{2}} is ready."},
             {"example", {{"body_text", json::array({json::array({"Ana", "A-1"})})}}}}}}};
}

json text_param(const std::string& s) { return {{"type", "text"}, {"text", s}}; }

json order_send(const std::string& to, const std::string& name = "order_ready") {
  return {{"to", to},
          {"type", "template"},
          {"template",
           {{"name", name},
            {"language", {{"code", "en_US"}}},
            {"components",
             {{{"type", "body"}, {"parameters", {text_param("Ana"), text_param("A-17")}}}}}}}};
}

struct templates_api {
  pipeline& p;
  std::string base() const { return "/v1/projects/" + p.project + "/templates"; }
  json create(const json& t, unsigned status = 201) {
    auto r = p.s.call("POST", base(), t.dump());
    INFO(r.body.dump());
    REQUIRE(r.status == status);
    return r.body;
  }
  json get(const std::string& name, const std::string& language = "en_US") {
    return p.s.call("GET", base() + "/" + name + "/" + language).body;
  }
  /// Waits until the stored template's `field` is `value`.
  bool wait_for(const std::string& name, const std::string& field, const json& value,
                const std::string& language = "en_US") {
    return wait_until([&] { return get(name, language).value(field, json()) == value; });
  }
  /// The simulator's (Meta's) templates.
  json at_meta() { return p.meta.call("GET", "/control/templates").body["templates"]; }
  void meta_webhook(const std::string& id, const json& body) {
    REQUIRE(p.meta.call("POST", "/control/templates/" + id + "/webhooks", body.dump()).status ==
            200);
  }
};

}  // namespace

TEST_CASE("a template is made, approved by Meta and sent with its parameters",
          "[integration][templates]") {
  pipeline p;
  templates_api t{p};
  auto made = t.create(order_template());
  CHECK(made["status"] == "PENDING");
  CHECK(made["name"] == "order_ready");
  CHECK(made["parameter_format"] == "positional");
  CHECK_FALSE(made["id"].get<std::string>().empty());
  REQUIRE(t.at_meta().size() == 1);
  // Meta's review decides with a webhook.
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  auto listed = p.s.call("GET", t.base() + "?status=APPROVED");
  REQUIRE(listed.status == 200);
  REQUIRE(listed.body["items"].size() == 1);
  CHECK(listed.body["items"][0]["id"] == made["id"]);
  CHECK(p.s.call("GET", t.base() + "?status=REJECTED").body["items"].empty());
  // The same name and language again is refused here.
  auto again = p.s.call("POST", t.base(), order_template().dump());
  CHECK(again.status == 409);
  CHECK(again.body["error"]["code"] == "template_exists");

  // Sent to a contact who never wrote: templates may go out of the 24-hour window.
  auto messages = "/v1/projects/" + p.project + "/messages";
  auto sent = p.s.call("POST", messages, order_send("15550300").dump());
  REQUIRE(sent.status == 202);
  auto out = p.replies("15550300", 1);
  CHECK(out[0]["message"]["template"]["name"] == "order_ready");
  CHECK(p.metric("paige_template_sends_total{template=\"order_ready\"}") == 1);

  // Parameters that do not fit are refused before anything is queued, with pointers.
  auto short_one = order_send("15550300");
  short_one["template"]["components"][0]["parameters"].erase(1);
  auto refused = p.s.call("POST", messages, short_one.dump());
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "invalid_template_parameters");
  CHECK(refused.body["error"]["details"]["problems"][0]["pointer"] ==
        "/template/components/0/parameters");
  auto unknown = p.s.call("POST", messages, order_send("15550300", "no_such").dump());
  CHECK(unknown.status == 404);
  CHECK(unknown.body["error"]["code"] == "template_not_found");
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'out'")[0][0].as<int>() == 1);
  }

  // Another project's key sees none of it.
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto other_key = p.s.call("POST", "/v1/projects/" + other + "/keys", R"({"name":"k"})")
                       .body["key"]
                       .get<std::string>();
  CHECK(p.s.call("GET", t.base(), "", other_key).status == 404);
  CHECK(p.s.call("GET", t.base() + "/order_ready/en_US", "", other_key).status == 404);
  auto theirs = p.s.call("GET", "/v1/projects/" + other + "/templates", "", other_key);
  REQUIRE(theirs.status == 200);
  CHECK(theirs.body["items"].empty());
  auto none = p.s.call("POST", "/v1/projects/" + other + "/templates", order_template().dump());
  CHECK(none.status == 409);
  CHECK(none.body["error"]["code"] == "whatsapp_not_connected");
}

TEST_CASE("Meta's decisions reach the template: rejection, quality, pause, category",
          "[integration][templates]") {
  pipeline p;
  templates_api t{p};
  REQUIRE(p.meta
              .call("PUT", "/control/templates/review",
                    R"({"rules": [{"match": "promo", "decision": "REJECTED", "reason": "SCAM"}]})")
              .status == 200);
  t.create(order_template("promo_winter"));
  REQUIRE(t.wait_for("promo_winter", "status", "REJECTED"));
  CHECK(t.get("promo_winter")["reason"] == "SCAM");
  auto messages = "/v1/projects/" + p.project + "/messages";
  auto rejected = p.s.call("POST", messages, order_send("15550301", "promo_winter").dump());
  CHECK(rejected.status == 409);
  CHECK(rejected.body["error"]["code"] == "template_not_approved");
  CHECK(rejected.body["error"]["details"]["status"] == "REJECTED");

  auto made = t.create(order_template());
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  auto id = made["id"].get<std::string>();
  t.meta_webhook(id, {{"field", "message_template_quality_update"},
                      {"previous_quality_score", "GREEN"},
                      {"new_quality_score", "RED"}});
  REQUIRE(t.wait_for("order_ready", "quality", "RED"));
  t.meta_webhook(id, {{"field", "message_template_status_update"},
                      {"event", "PAUSED"},
                      {"reason", "LOW_QUALITY"}});
  REQUIRE(t.wait_for("order_ready", "status", "PAUSED"));
  CHECK(t.get("order_ready")["reason"] == "LOW_QUALITY");
  auto paused = p.s.call("POST", messages, order_send("15550301").dump());
  CHECK(paused.status == 409);
  CHECK(paused.body["error"]["details"]["status"] == "PAUSED");
  t.meta_webhook(id, {{"field", "message_template_status_update"}, {"event", "REINSTATED"}});
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  CHECK(p.s.call("POST", messages, order_send("15550301").dump()).status == 202);
  t.meta_webhook(id, {{"field", "template_category_update"},
                      {"previous_category", "UTILITY"},
                      {"new_category", "MARKETING"}});
  REQUIRE(t.wait_for("order_ready", "category", "MARKETING"));
  // Every change is also in the account's events.
  auto events = p.s.call(
      "GET", "/v1/projects/" + p.project + "/whatsapp/events?field=message_template_status_update");
  REQUIRE(events.status == 200);
  CHECK(events.body["items"].size() >= 4);
}

TEST_CASE("the simulator refuses template sends with Meta's codes", "[integration][templates]") {
  // What Paige judges before queueing, Meta judges again: straight to the simulator's Graph API.
  pipeline p;
  templates_api t{p};
  auto id = t.create(order_template())["id"].get<std::string>();
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  auto refusal = [&](const json& send) {
    auto body = send;
    body["messaging_product"] = "whatsapp";
    auto r = json_request(p.meta.port(), "POST", "/v21.0/" + number_id + "/messages", body.dump(),
                          "token-1001");
    INFO(r.body.dump());
    return r.status == 200 ? 0L : r.body["error"]["code"].get<long>();
  };
  CHECK(refusal(order_send("15550302")) == 0);
  auto short_one = order_send("15550302");
  short_one["template"]["components"][0]["parameters"].erase(1);
  CHECK(refusal(short_one) == 132000);
  auto long_one = order_send("15550302");
  long_one["template"]["components"][0]["parameters"][1] = text_param(std::string(1100, 'x'));
  CHECK(refusal(long_one) == 132005);
  auto not_text = order_send("15550302");
  not_text["template"]["components"][0]["parameters"][1] = {{"type", "image"}};
  CHECK(refusal(not_text) == 132012);
  CHECK(refusal(order_send("15550302", "no_such")) == 132001);
  t.meta_webhook(id, {{"field", "message_template_status_update"}, {"event", "PAUSED"}});
  CHECK(refusal(order_send("15550302")) == 132015);
  t.meta_webhook(id, {{"field", "message_template_status_update"}, {"event", "DISABLED"}});
  CHECK(refusal(order_send("15550302")) == 132016);
}

TEST_CASE("a template past Meta's rules is refused before Meta sees it",
          "[integration][templates]") {
  pipeline p;
  templates_api t{p};
  auto bad = order_template("Bad Name");
  bad["components"][0]["text"] = "{{1}} starts with a parameter";
  auto r = p.s.call("POST", t.base(), bad.dump());
  REQUIRE(r.status == 422);
  CHECK(r.body["error"]["code"] == "invalid_template");
  std::set<std::string> pointers;
  for (const auto& problem : r.body["error"]["details"]["problems"])
    pointers.insert(problem["pointer"].get<std::string>());
  CHECK(pointers.count("/name"));
  CHECK(pointers.count("/components/0/text"));
  auto extra = order_template();
  extra["owner"] = "me";
  auto unknown = p.s.call("POST", t.base(), extra.dump());
  CHECK(unknown.status == 422);
  CHECK(unknown.body["error"]["code"] == "unknown_field");
  CHECK(p.s.call("POST", t.base(), "{not json").status == 400);
  CHECK(t.at_meta().empty());
  // Hostile names in the path name no template.
  for (const auto* path : {"/x'%3B%20drop/en_US", "/order_ready/en-US", "/ORDER/en_US"}) {
    auto got = p.s.call("GET", t.base() + path);
    CHECK(got.status == 404);
    CHECK(got.body["error"]["code"] == "template_not_found");
  }
  CHECK(p.s.call("GET", t.base() + "?cursor=nope").status == 422);
  CHECK(p.s.call("GET", t.base() + "?limit=0").status == 422);
}

TEST_CASE("templates are edited and deleted as Meta allows", "[integration][templates]") {
  pipeline p;
  templates_api t{p};
  REQUIRE(p.meta.call("PUT", "/control/templates/review", R"({"delay_ms": 300})").status == 200);
  t.create(order_template());
  auto pending = p.s.call("PATCH", t.base() + "/order_ready/en_US",
                          R"({"components": [{"type": "BODY", "text": "Ready."}]})");
  CHECK(pending.status == 409);
  CHECK(pending.body["error"]["code"] == "template_not_editable");
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));

  // Meta tells two approvals apart by their second (its webhooks' dedupe key has no more).
  REQUIRE(p.meta.call("PUT", "/control/templates/review", R"({"delay_ms": 1100})").status == 200);
  json body{{"type", "BODY"},
            {"text", "Hello {{1}}, order {{2}} is ready for pickup."},
            {"example", {{"body_text", json::array({json::array({"Ana", "A-1"})})}}}};
  auto edited =
      p.s.call("PATCH", t.base() + "/order_ready/en_US", json{{"components", {body}}}.dump());
  REQUIRE(edited.status == 200);
  CHECK(edited.body["status"] == "PENDING");
  CHECK(edited.body["components"][0]["text"] == body["text"]);
  CHECK(t.at_meta()[0]["components"][0]["text"] == body["text"]);
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  // Approved again, it cannot be edited again within 24 hours: Meta's refusal, nothing changed.
  auto again = p.s.call("PATCH", t.base() + "/order_ready/en_US",
                        json{{"components", order_template()["components"]}}.dump());
  CHECK(again.status == 422);
  CHECK(again.body["error"]["code"] == "whatsapp_rejected");
  CHECK(again.body["error"]["message"].get<std::string>().find("24 hours") != std::string::npos);
  CHECK(t.get("order_ready")["status"] == "APPROVED");
  CHECK(t.get("order_ready")["components"][0]["text"] == body["text"]);
  auto category =
      p.s.call("PATCH", t.base() + "/order_ready/en_US", R"({"category": "MARKETING"})");
  CHECK(category.status == 409);
  auto broken = p.s.call("PATCH", t.base() + "/order_ready/en_US",
                         R"({"components": [{"type": "FOOTER", "text": "no body"}]})");
  CHECK(broken.status == 422);
  CHECK(broken.body["error"]["code"] == "invalid_template");
  CHECK(p.s.call("PATCH", t.base() + "/order_ready/en_US", "{}").status == 422);
  CHECK(p.s.call("PATCH", t.base() + "/nothing/en_US", R"({"category": "UTILITY"})").status == 404);

  // One language, then every language of a name.
  t.create(order_template("order_ready", "pt_BR"));
  t.create(order_template("welcome"));
  t.create(order_template("welcome", "pt_BR"));
  auto one = p.s.call("DELETE", t.base() + "/order_ready/pt_BR");
  REQUIRE(one.status == 200);
  CHECK(one.body["deleted"] == 1);
  CHECK(p.s.call("GET", t.base() + "/order_ready/pt_BR").status == 404);
  CHECK(p.s.call("GET", t.base() + "/order_ready/en_US").status == 200);
  auto all = p.s.call("DELETE", t.base() + "/welcome");
  REQUIRE(all.status == 200);
  CHECK(all.body["deleted"] == 2);
  CHECK(t.at_meta().size() == 1);
  CHECK(p.s.call("DELETE", t.base() + "/welcome").status == 404);
  auto page = p.s.call("GET", t.base() + "?limit=1");
  REQUIRE(page.status == 200);
  CHECK(page.body["items"].size() == 1);
  CHECK(page.body["next_cursor"].is_null());
}

TEST_CASE("templates made outside Paige come in from Meta's list", "[integration][templates]") {
  pipeline p{{}, {"--template-sync", "1s"}};
  templates_api t{p};
  // Made in Meta's own tools: Paige reads them from Meta's list, on its periodic read...
  auto outside = order_template("made_elsewhere");
  auto made = json_request(p.meta.port(), "POST", "/v21.0/2001/message_templates", outside.dump(),
                           "token-1001");
  INFO(made.body.dump());
  REQUIRE(made.status == 200);
  REQUIRE(t.wait_for("made_elsewhere", "status", "APPROVED"));
  // ... and when asked, in pages.
  for (int i = 0; i < 120; ++i)
    REQUIRE(json_request(p.meta.port(), "POST", "/v21.0/2001/message_templates",
                         order_template("bulk_" + std::to_string(i)).dump(), "token-1001")
                .status == 200);
  auto synced = p.s.call("POST", t.base() + "/sync");
  REQUIRE(synced.status == 200);
  CHECK(synced.body["templates"] == 121);
  auto page = p.s.call("GET", t.base() + "?limit=100");
  CHECK(page.body["items"].size() == 100);
  auto rest = p.s.call(
      "GET", t.base() + "?limit=100&cursor=" + page.body["next_cursor"].get<std::string>());
  CHECK(rest.body["items"].size() == 21);
  CHECK(rest.body["next_cursor"].is_null());
  // Deleted at Meta: gone here after the next read.
  REQUIRE(json_request(p.meta.port(), "DELETE", "/v21.0/2001/message_templates?name=made_elsewhere",
                       "", "token-1001")
              .status == 200);
  REQUIRE(wait_until(
      [&] { return p.s.call("GET", t.base() + "/made_elsewhere/en_US").status == 404; }));
}

TEST_CASE("a bot's template sends are judged before they are queued", "[integration][templates]") {
  pipeline p;
  templates_api t{p};
  t.create(order_template());
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  auto send_of = [](const std::string& name) {
    return json{{"type", "template"},
                {"template",
                 {{"name", name},
                  {"language", {{"code", "en_US"}}},
                  {"components",
                   {{{"type", "body"},
                     {"parameters", {text_param("{{message.text}}"), text_param("A-9")}}}}}}}};
  };
  p.put_bot({{"initial_state", "unstructured"},
             {"states",
              {{"unstructured",
                {{"kind", "await"},
                 {"routes",
                  {{{"when", "always"},
                    {"then",
                     {{{"send", send_of("order_ready")}},
                      {{"send", send_of("not_approved")}},
                      {{"send", {{"type", "text"}, {"text", {{"body", "done"}}}}}}}}}}}}}}}});
  p.say("15550302", "Bea");
  auto out = p.replies("15550302", 2);
  REQUIRE(out.size() == 2);
  CHECK(out[0]["message"]["template"]["components"][0]["parameters"][0]["text"] == "Bea");
  CHECK(out[1]["message"]["type"] == "text");
  CHECK(p.metric("paige_template_sends_refused_total{source=\"bot\"}") == 1);
}

TEST_CASE("a decision Meta sends while its list is being read is not undone by the list",
          "[integration][templates]") {
  pipeline p;
  templates_api t{p};
  REQUIRE(p.meta.call("PUT", "/control/templates/review", R"({"delay_ms": 600000})").status == 200);
  auto id = t.create(order_template())["id"].get<std::string>();
  // The list is read while the template is PENDING, and answered 3 s later; meanwhile Meta
  // approves it, and another template is made.
  REQUIRE(p.meta.call("PUT", "/control/faults", R"({"latency_ms": 3000})").status == 200);
  auto synced =
      std::async(std::launch::async, [&] { return p.s.call("POST", t.base() + "/sync").status; });
  REQUIRE(wait_until(
      [&] { return p.meta.call("GET", "/control/stats").body.value("template_lists", 0) >= 1; }));
  t.meta_webhook(id, {{"field", "message_template_status_update"}, {"event", "APPROVED"}});
  REQUIRE(t.wait_for("order_ready", "status", "APPROVED"));
  t.create(order_template("made_meanwhile"));
  CHECK(synced.get() == 200);
  CHECK(t.get("order_ready")["status"] == "APPROVED");
  CHECK(p.s.call("GET", t.base() + "/made_meanwhile/en_US").status == 200);
}

TEST_CASE("a media header's example is uploaded to Meta, and the template is sent with its image",
          "[integration][templates]") {
  pipeline p{{"--app-id", "4242"}, {"--app-id", "4242"}};
  templates_api t{p};
  auto media = "/v1/projects/" + p.project + "/templates/media";
  auto wrong = http_request(
      p.s.server->port(), "POST", media, "GIF89a",
      {{"Authorization", "Bearer " + std::string{admin_key}}, {"Content-Type", "image/gif"}});
  CHECK(wrong.status == 422);
  auto up = http_request(
      p.s.server->port(), "POST", media, png_of(640, 320),
      {{"Authorization", "Bearer " + std::string{admin_key}}, {"Content-Type", "image/png"}});
  REQUIRE(up.status == 201);
  auto handle = json::parse(up.body)["handle"].get<std::string>();
  CHECK_FALSE(handle.empty());
  auto with_image = order_template("order_photo");
  json header{{"type", "HEADER"}, {"format", "IMAGE"}};
  header["example"] = {{"header_handle", json::array({handle})}};
  with_image["components"].insert(with_image["components"].begin(), header);
  t.create(with_image);
  REQUIRE(t.wait_for("order_photo", "status", "APPROVED"));
  // A handle Meta never gave is Meta's to refuse.
  auto forged = with_image;
  forged["name"] = "order_forged";
  forged["components"][0]["example"]["header_handle"] = json::array({"4::bogus"});
  auto refused = p.s.call("POST", t.base(), forged.dump());
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "whatsapp_rejected");
  // Sent with its image; without one it is refused before it is queued.
  auto send = order_send("15550320", "order_photo");
  auto no_image = p.s.call("POST", "/v1/projects/" + p.project + "/messages", send.dump());
  CHECK(no_image.status == 422);
  json image{{"type", "image"}, {"image", {{"link", "https://shop.example/a.png"}}}};
  json image_header{{"type", "header"}};
  image_header["parameters"] = json::array({image});
  send["template"]["components"].insert(send["template"]["components"].begin(), image_header);
  REQUIRE(p.s.call("POST", "/v1/projects/" + p.project + "/messages", send.dump()).status == 202);
  CHECK(p.replies("15550320", 1)[0]["message"]["template"]["components"][0]["type"] == "header");
}
