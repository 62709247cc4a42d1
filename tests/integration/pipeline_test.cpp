// The message pipeline end to end: the simulator's users write, Paige stores, runs the bot
// and answers through the simulator's Graph API.
#include "tests/support/pipeline.hpp"
#include "actors/core/bot_definition.hpp"
#include "common/secrets.hpp"
#include "storage/provisioning.hpp"
#include "tests/support/webhooks.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

TEST_CASE("a user walks the starter bot through every state", "[integration][pipeline]") {
  pipeline p;
  p.say("15550001", "hello", "Ada");
  auto r = p.replies("15550001", 1);
  CHECK(body_of(r[0]) == "Hi Ada! How can I help?");
  CHECK(r[0]["message"]["to"] == "15550001");

  p.send("15550001",
         {{"type", "interactive"},
          {"interactive",
           {{"type", "button_reply"}, {"button_reply", {{"id", "book"}, {"title", "Book"}}}}}});
  CHECK(body_of(p.replies("15550001", 2)[1]) == "What's your name?");
  p.say("15550001", "Grace");
  CHECK(body_of(p.replies("15550001", 3)[2]) == "Thanks, Grace!");
  p.send(
      "15550001",
      {{"type", "interactive"},
       {"interactive",
        {{"type", "button_reply"}, {"button_reply", {{"id", "support"}, {"title", "Support"}}}}}});
  p.say("15550001", "help?");
  CHECK(body_of(p.replies("15550001", 4)[3]) == "A teammate will answer soon.");

  auto db = p.project_db();
  {
    pqxx::work tx{db};
    auto conv = tx.exec1("SELECT state, vars->>'name', status FROM conversations");
    CHECK(conv[0].as<std::string>() == "support");
    CHECK(conv[1].as<std::string>() == "Grace");
    CHECK(tx.exec1("SELECT name FROM contacts WHERE wa_id = '15550001'")[0].as<std::string>() ==
          "Ada");
    CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NOT NULL")
              [0][0]
                  .as<int>() == 5);
    CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'out'")[0][0].as<int>() == 4);
  }
  // Every outbound row got Meta's wamid and, through the status webhooks, reached read.
  REQUIRE(wait_until([&] {
    pqxx::work t{db};
    return t.exec(
                "SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'read' AND "
                "wamid IS NOT NULL "
                "AND delivered_at IS NOT NULL")[0][0]
               .as<int>() == 4;
  }));
}

TEST_CASE("50 contacts x 40 messages: every message stored, answered and in order",
          "[integration][pipeline]") {
  pipeline p;
  p.put_bot(paige::actors::bot::echo_bot());
  constexpr int contacts = 50, per_contact = 40;
  // Each thread drives 5 contacts, interleaving them; each contact's messages go in order.
  int failures = p.write_concurrently("1777", contacts, per_contact);
  CHECK(failures == 0);
  REQUIRE(wait_until(
      [&] {
        return p.meta.call("GET", "/control/stats").body.value("sends_accepted", 0) >=
               contacts * per_contact;
      },
      std::chrono::seconds{120}));
  CHECK(p.meta.call("GET", "/control/stats").body["sends_accepted"] == contacts * per_contact);

  auto db = p.project_db();
  pqxx::work tx{db};
  for (int c = 0; c < contacts; ++c) {
    auto wa = "1777" + std::to_string(1000 + c);
    INFO("contact " << wa);
    auto in = tx.exec_params(
        "SELECT m.content->'text'->>'body' FROM messages m JOIN contacts k ON k.id = m.contact_id "
        "WHERE k.wa_id = $1 AND m.direction = 'in' ORDER BY m.id",
        wa);
    auto out = tx.exec_params(
        "SELECT m.content->'text'->>'body' FROM messages m JOIN contacts k ON k.id = m.contact_id "
        "WHERE k.wa_id = $1 AND m.direction = 'out' ORDER BY m.id",
        wa);
    REQUIRE(in.size() == per_contact);
    REQUIRE(out.size() == per_contact);
    auto sent = p.records(wa, "out");
    REQUIRE(sent.size() == per_contact);
    for (int i = 0; i < per_contact; ++i) {
      CHECK(in[i][0].as<std::string>() == "m" + std::to_string(i));
      CHECK(out[i][0].as<std::string>() == "echo: m" + std::to_string(i));
      CHECK(body_of(sent[i]) == "echo: m" + std::to_string(i));  // the order Meta received them in
    }
  }
}

TEST_CASE("a burst from two contacts in one webhook is stored and answered in order",
          "[integration][pipeline]") {
  // The first message of each contact is stored together with its bot step; the others wait
  // behind it and must still commit, run and be answered in the order they came.
  pipeline p;
  p.put_bot(paige::actors::bot::echo_bot());
  constexpr int per_contact = 12;
  json items = json::array();
  for (int i = 0; i < per_contact; ++i)
    for (const char* wa : {"15550031", "15550032"})
      items.push_back(
          {{"wa_id", wa},
           {"message", {{"type", "text"}, {"text", {{"body", "b" + std::to_string(i)}}}}}});
  auto r = p.meta.call("POST", "/control/numbers/" + number_id + "/inbound",
                       json{{"messages", items}}.dump());
  REQUIRE(r.status == 200);
  CHECK(r.body["delivered"] == true);
  auto db = p.project_db();
  for (const char* wa : {"15550031", "15550032"}) {
    INFO("contact " << wa);
    auto sent = p.replies(wa, per_contact);
    REQUIRE(sent.size() == per_contact);
    pqxx::work tx{db};
    auto in = tx.exec_params(
        "SELECT m.content->'text'->>'body', m.handled_at IS NOT NULL FROM messages m "
        "JOIN contacts k ON k.id = m.contact_id WHERE k.wa_id = $1 AND m.direction = 'in' "
        "ORDER BY m.id",
        wa);
    REQUIRE(in.size() == per_contact);
    for (int i = 0; i < per_contact; ++i) {
      CHECK(in[i][0].as<std::string>() == "b" + std::to_string(i));
      CHECK(in[i][1].as<bool>());
      CHECK(body_of(sent[i]) == "echo: b" + std::to_string(i));
    }
  }
}

TEST_CASE("every inbound type is stored with its content", "[integration][pipeline]") {
  pipeline p;
  p.put_bot(json::parse(
      R"({"initial_state": "quiet", "states": {"quiet": {"kind": "await", "routes": []}}})"));
  std::vector<json> messages{
      {{"type", "text"}, {"text", {{"body", "Hi"}}}},
      {{"type", "image"},
       {"image",
        {{"caption", "look"}, {"mime_type", "image/jpeg"}, {"sha256", "abc"}, {"id", "m1"}}}},
      {{"type", "interactive"},
       {"interactive", {{"type", "list_reply"}, {"list_reply", {{"id", "r2"}, {"title", "Two"}}}}}},
      {{"type", "interactive"},
       {"interactive",
        {{"type", "nfm_reply"},
         {"nfm_reply",
          {{"name", "flow"}, {"body", "Sent"}, {"response_json", "{\"flow_token\":\"t\"}"}}}}}},
      {{"type", "button"}, {"button", {{"payload", "P"}, {"text", "Yes"}}}},
      {{"type", "location"}, {"location", {{"latitude", 38.9}, {"longitude", -77.0}}}},
      {{"type", "reaction"}, {"reaction", {{"message_id", "wamid.x"}, {"emoji", "😀"}}}},
      {{"type", "unsupported"},
       {"errors", {{{"code", 131051}}}},
       {"unsupported", {{"type", "poll_creation"}}}},
  };
  std::vector<std::string> wamids;
  for (const auto& m : messages) wamids.push_back(p.send("15550002", m));
  auto db = p.project_db();
  pqxx::work tx{db};
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto row =
        tx.exec_params1("SELECT type, content::text FROM messages WHERE wamid = $1", wamids[i]);
    CHECK(row[0].as<std::string>() == messages[i]["type"]);
    auto content = json::parse(row[1].as<std::string>());
    for (const auto& [key, value] : messages[i].items()) CHECK(content[key] == value);
  }
}

TEST_CASE("duplicate deliveries store one message and send one reply", "[integration][pipeline]") {
  pipeline p{{"--duplicate-rate", "1"}};
  p.put_bot(paige::actors::bot::echo_bot());
  for (int i = 0; i < 5; ++i) p.say("15550003", "d" + std::to_string(i));
  REQUIRE(wait_until([&] {
    return p.meta.call("GET", "/control/stats").body.value("webhooks_duplicated", 0) >= 5;
  }));
  p.replies("15550003", 5);
  auto db = p.project_db();
  pqxx::work tx{db};
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'in'")[0][0].as<int>() == 5);
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'out'")[0][0].as<int>() == 5);
  CHECK(p.records("15550003", "out").size() == 5);
}

TEST_CASE("bad signatures, malformed envelopes and unknown numbers", "[integration][pipeline]") {
  pipeline p;
  auto port = p.s.server->port();
  auto body =
      envelope(number_id, {{"messages", {text_message("wamid.direct", "15550004", "x")}}}).dump();
  auto signed_post = [&](const std::string& b, const std::string& secret) {
    return http_request(
        port, "POST", "/webhook", b,
        {{"X-Hub-Signature-256", "sha256=" + paige::secrets::hmac_sha256_hex(secret, b)}});
  };
  CHECK(http_request(port, "POST", "/webhook", body).status == 401);
  CHECK(signed_post(body, "not-the-app-secret").status == 401);
  CHECK(signed_post("{\"object\": \"page\"}", test_app_secret).status == 400);
  auto unknown =
      envelope("9999", {{"messages", {text_message("wamid.unknown", "15550004", "x")}}}).dump();
  CHECK(signed_post(unknown, test_app_secret).status == 200);
  CHECK(signed_post(body, test_app_secret).status == 200);
  auto db = p.project_db();
  pqxx::work tx{db};
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE wamid = 'wamid.direct'")[0][0].as<int>() == 1);
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE wamid = 'wamid.unknown'")[0][0].as<int>() ==
        0);
  CHECK(p.metric("paige_webhook_unknown_number_events_total") == 1);
  CHECK(p.metric("paige_webhook_requests_total{outcome=\"bad_signature\"}") == 2);
  // Meta's GET handshake.
  auto ok = http_request(port, "GET",
                         "/webhook?hub.mode=subscribe&hub.verify_token=" +
                             std::string{test_verify_token} + "&hub.challenge=1158201444");
  CHECK(ok.status == 200);
  CHECK(ok.body == "1158201444");
  CHECK(http_request(port, "GET",
                     "/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
            .status == 403);
}

TEST_CASE("messages committed but not handled before a crash are handled once after restart",
          "[integration][pipeline]") {
  pipeline p;
  p.put_bot(paige::actors::bot::echo_bot());
  p.say("15550005", "before");
  p.replies("15550005", 1);
  REQUIRE(p.s.server->terminate() == 0);
  {
    // The crash window: stored, acknowledged, not yet handled.
    auto db = p.project_db();
    pqxx::work tx{db};
    auto ids = tx.exec1("SELECT conversation_id, contact_id FROM messages LIMIT 1");
    for (int i = 0; i < 3; ++i)
      tx.exec_params(
          "INSERT INTO messages (conversation_id, contact_id, direction, wamid, type, content, "
          "status) "
          "VALUES ($1, $2, 'in', $3, 'text', $4::jsonb, 'received')",
          ids[0].as<long>(), ids[1].as<long>(), "wamid.crash" + std::to_string(i),
          json{{"type", "text"}, {"text", {{"body", "lost " + std::to_string(i)}}}}.dump());
    tx.commit();
  }
  p.s.start(master_hex);
  p.meta.target(p.s.server->port());
  auto r = p.replies("15550005", 4);
  CHECK(body_of(r[1]) == "echo: lost 0");
  CHECK(body_of(r[2]) == "echo: lost 1");
  CHECK(body_of(r[3]) == "echo: lost 2");
  // Once: another restart sends nothing more.
  p.restart();
  p.say("15550005", "after");
  auto all = p.replies("15550005", 5);
  CHECK(all.size() == 5);
  CHECK(body_of(all[4]) == "echo: after");
  auto db = p.project_db();
  pqxx::work tx{db};
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NULL")[0][0]
            .as<int>() == 0);
}

TEST_CASE("a passivated conversation resumes in its state", "[integration][pipeline]") {
  pipeline p{{}, {"--conversation-idle", "200ms"}};
  p.send("15550006",
         {{"type", "interactive"},
          {"interactive",
           {{"type", "button_reply"}, {"button_reply", {{"id", "book"}, {"title", "Book"}}}}}});
  p.replies("15550006", 1);
  REQUIRE(wait_until([&] { return p.metric("paige_conversation_actors") == 0; },
                     std::chrono::seconds{10}));
  p.say("15550006", "Grace");
  CHECK(body_of(p.replies("15550006", 2)[1]) == "Thanks, Grace!");
}

TEST_CASE("a deleted project's conversation actors end with it", "[integration][pipeline]") {
  pipeline p;
  p.say("15550009", "hello");
  p.say("15550010", "hello");
  p.replies("15550010", 1);
  REQUIRE(p.metric("paige_conversation_actors") == 2);
  REQUIRE(p.s.call("DELETE", "/v1/projects/" + p.project).status == 202);
  REQUIRE(p.s.wait_status(p.project, "deleted"));
  CHECK(wait_until([&] { return p.metric("paige_conversation_actors") == 0; },
                   std::chrono::seconds{10}));
}

TEST_CASE("a paused project stores inbound messages without running its bot",
          "[integration][pipeline]") {
  pipeline p;
  REQUIRE(p.s.call("POST", "/v1/projects/" + p.project + "/pause").status == 200);
  p.say("15550007", "anyone?");
  auto db = p.project_db();
  {
    pqxx::work tx{db};
    CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'in'")[0][0].as<int>() == 1);
  }
  REQUIRE(p.s.call("POST", "/v1/projects/" + p.project + "/resume").status == 200);
  p.say("15550007", "hello again");
  auto r = p.replies("15550007", 1);
  CHECK(r.size() == 1);  // only the message after resume was answered
  pqxx::work tx{db};
  CHECK(tx.exec("SELECT count(*) FROM messages WHERE direction = 'out'")[0][0].as<int>() == 1);
}

TEST_CASE("a database outage answers 503 and Meta's redelivery then succeeds",
          "[integration][pipeline]") {
  pipeline p{{"--max-attempts", "40"}};
  p.put_bot(paige::actors::bot::echo_bot());
  p.say("15550008", "warm up");
  p.replies("15550008", 1);
  auto d = p.s.database_of(p.project);
  auto allow = [&](bool yes) {
    pqxx::connection admin{cluster_conninfo()};
    pqxx::nontransaction tx{admin};
    tx.exec("ALTER DATABASE " + tx.quote_name(d.name) + " ALLOW_CONNECTIONS " +
            (yes ? "true" : "false"));
    if (!yes)
      tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                     d.name);
  };
  allow(false);
  auto sent = p.meta.call(
      "POST", "/control/numbers/" + number_id + "/users/15550008/messages",
      json{{"wait", false}, {"message", {{"type", "text"}, {"text", {{"body", "during outage"}}}}}}
          .dump());
  REQUIRE(sent.status == 202);
  REQUIRE(wait_until(
      [&] { return p.meta.call("GET", "/control/stats").body.value("webhook_failures", 0) >= 1; }));
  CHECK(p.metric("paige_webhook_requests_total{outcome=\"unavailable\"}") >= 1);
  allow(true);
  auto r = p.replies("15550008", 2);
  CHECK(body_of(r[1]) == "echo: during outage");
}

TEST_CASE(
    "a webhook recorded after its timeout answered 503 counts as late, and its message is answered "
    "once",
    "[integration][pipeline]") {
  pipeline p{{"--max-attempts", "40"}, {"--webhook-timeout", "500ms"}};
  p.put_bot(paige::actors::bot::echo_bot());
  p.say("15550010", "warm up");
  p.replies("15550010", 1);
  // Writes to messages wait behind this lock: the webhook's deadline answers 503 first.
  auto db = p.project_db();
  pqxx::work lock{db};
  lock.exec0("LOCK TABLE messages IN EXCLUSIVE MODE");
  auto sent = p.meta.call(
      "POST", "/control/numbers/" + number_id + "/users/15550010/messages",
      json{{"wait", false}, {"message", {{"type", "text"}, {"text", {{"body", "slow"}}}}}}.dump());
  REQUIRE(sent.status == 202);
  REQUIRE(wait_until(
      [&] { return p.meta.call("GET", "/control/stats").body.value("webhook_failures", 0) >= 1; }));
  lock.commit();
  auto r = p.replies("15550010", 2);
  CHECK(body_of(r[1]) == "echo: slow");
  REQUIRE(
      wait_until([&] { return p.metric("paige_webhook_requests_total{outcome=\"late\"}") >= 1; }));
  // Meta's redeliveries of the recorded message change nothing: one reply.
  REQUIRE(wait_until([&] {
    return p.meta.call("GET", "/control/stats").body.value("webhook_posts", 0) ==
           p.meta.call("GET", "/control/stats").body.value("webhooks_settled", 0);
  }));
  CHECK(p.records("15550010", "out").size() == 2);
}

TEST_CASE("a late status never moves a message backwards", "[integration][pipeline]") {
  pipeline p;
  p.put_bot(paige::actors::bot::echo_bot());
  p.say("15550009", "x");
  auto wamid = p.replies("15550009", 1)[0]["wamid"].get<std::string>();
  auto db = p.project_db();
  REQUIRE(wait_until([&] {
    pqxx::work tx{db};  // the wamid itself may not be recorded yet (it lingers: persistence.hpp)
    auto r = tx.exec_params("SELECT status FROM messages WHERE wamid = $1", wamid);
    return !r.empty() && r[0][0].as<std::string>() == "read";
  }));
  auto late = envelope(number_id, {{"statuses",
                                    {{{"id", wamid},
                                      {"status", "delivered"},
                                      {"timestamp", "1"},
                                      {"recipient_id", "15550009"}}}}})
                  .dump();
  auto r = http_request(p.s.server->port(), "POST", "/webhook", late,
                        {{"X-Hub-Signature-256",
                          "sha256=" + paige::secrets::hmac_sha256_hex(test_app_secret, late)}});
  CHECK(r.status == 200);
  pqxx::work tx{db};
  CHECK(
      tx.exec_params1("SELECT status FROM messages WHERE wamid = $1", wamid)[0].as<std::string>() ==
      "read");
}

TEST_CASE("a step that cannot commit is handled without effects, later steps go on",
          "[integration][pipeline]") {
  pipeline p;
  p.put_bot(json::parse(R"({"initial_state": "a", "states": {"a": {"kind": "await", "routes": [
      {"when": "always", "then": [{"save": {"table": "leads", "values": {"note": "{{message.text}}"}}},
                                  {"send": {"type": "text", "text": {"body": "saved {{message.text}}"}}}]}]}}})"));
  p.say("15550010", "first");  // no table "leads" yet: the save fails
  auto db = p.project_db();
  REQUIRE(wait_until([&] {
    pqxx::work tx{db};
    return tx.exec(
                 "SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NOT NULL")
               [0][0]
                   .as<int>() == 1;
  }));
  {
    pqxx::work tx{db};
    tx.exec("CREATE TABLE leads (id bigserial PRIMARY KEY, note text)");
    tx.commit();
  }
  p.say("15550010", "second");
  auto r = p.replies("15550010", 1);
  CHECK(body_of(r[0]) == "saved second");
  pqxx::work tx{db};
  CHECK(tx.exec("SELECT note FROM leads")[0][0].as<std::string>() == "second");
  CHECK(tx.exec("SELECT count(*) FROM leads")[0][0].as<int>() == 1);
}
