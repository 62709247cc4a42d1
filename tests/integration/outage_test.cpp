// Nothing stranded: a Postgres crash under load and a restart of the Graph side leave no reply
// unsent, no message `queued`, no status unapplied; the pools heal on their own. The real
// paige (on its embedded Postgres, which the test stops at once and starts again), the real
// simulator playing Meta (it redelivers every webhook not answered 200).
#include "actors/core/bot_definition.hpp"
#include "runtime/embedded_postgres.hpp"
#include "runtime/subprocess.hpp"
#include "storage/conninfo.hpp"
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

using namespace paige::test;

namespace {

/// The simulator, and paige on its own embedded Postgres with one project on number 1001.
struct embedded_pipeline {
  metasim_process meta{{"--max-attempts", "60"}};
  temp_dir dir;
  std::unique_ptr<paige_server> server;
  std::string project;

  embedded_pipeline() {
    server = std::make_unique<paige_server>(
        dir.path(), std::vector<std::string>{"--admin-token", admin_key, "--master-key", master_hex,
                                             "--graph-url", meta.url(), "--pg-wal-reserve", "0",
                                             "--db-connect-timeout", "60s"});
    REQUIRE(server->wait_listening());
    meta.target(server->port());
    meta.add_number(number_id, "2001", "token-1001");
    auto created = call("POST", "/v1/projects", json{{"name", "Outage"}}.dump());
    REQUIRE(created.status == 202);
    project = created.body["id"];
    REQUIRE(wait_until(
        [&] { return call("GET", "/v1/projects/" + project).body["status"] == "active"; }));
    REQUIRE(call("PUT", "/v1/projects/" + project + "/whatsapp",
                 json{{"phone_number_id", number_id},
                      {"waba_id", "2001"},
                      {"access_token", "token-1001"}}
                     .dump())
                .status == 200);
    REQUIRE(call("PUT", "/v1/projects/" + project + "/bot", paige::actors::bot::echo_bot().dump())
                .status == 201);
  }

  reply call(const std::string& method, const std::string& path, const std::string& body = "") {
    return json_request(server->port(), method, path, body, admin_key);
  }

  /// pg_ctl on the embedded cluster, as its owner.
  void pg_ctl(std::vector<std::string> args) {
    auto cluster = dir.path() + "/pg";
    std::vector<std::string> argv{paige::runtime::embedded_postgres::find_bin_dir() + "/pg_ctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"-D", cluster, "-w"});
    std::optional<paige::runtime::os_user> user;
    if (::geteuid() == 0) user = paige::runtime::find_os_user("postgres");
    paige::runtime::run_command(argv, user);
  }

  /// A user sends `text` without waiting for the webhook's answer (Meta redelivers it).
  void post(const std::string& wa_id, const std::string& text) {
    auto r = meta.call(
        "POST", "/control/numbers/" + number_id + "/users/" + wa_id + "/messages",
        json{{"wait", false}, {"message", {{"type", "text"}, {"text", {{"body", text}}}}}}.dump());
    REQUIRE(r.status == 202);
  }

  /// The bodies the user has received, in order.
  std::vector<std::string> received(const std::string& wa_id) {
    auto r =
        meta.call("GET", "/control/numbers/" + number_id + "/users/" + wa_id + "/messages?after=0");
    std::vector<std::string> out;
    for (const auto& item : r.body["items"])
      if (item["direction"] == "out") out.push_back(item["message"]["text"]["body"]);
    return out;
  }

  /// The embedded cluster as its superuser, over its socket (the port from paige's log).
  std::string superuser(const std::string& dbname) {
    static const std::regex started{R"(event=pg\.started .*port=(\d+))"};
    std::smatch m;
    auto log = server->process().stderr_text();
    REQUIRE(std::regex_search(log, m, started));
    return paige::storage::make_conninfo(
        {{"host", dir.path() + "/pg"}, {"port", m[1]}, {"user", "postgres"}, {"dbname", dbname}});
  }

  int count(const std::string& sql) {
    pqxx::connection control{superuser("paige")};
    auto db = pqxx::work{control}
                  .exec_params1("SELECT db_name FROM projects WHERE id = $1", project)[0]
                  .as<std::string>();
    pqxx::connection c{superuser(db)};
    pqxx::work tx{c};
    return tx.exec1(sql)[0].as<int>();
  }
};

}  // namespace

TEST_CASE(
    "Postgres stopped at once under load, twice: every message answered once and in order, nothing "
    "stranded",
    "[integration][outage]") {
  embedded_pipeline p;
  constexpr int contacts = 8, messages = 12;
  std::atomic<int> answered{0};
  std::vector<std::thread> users;
  std::vector<std::string> problems(contacts);
  for (int c = 0; c < contacts; ++c)
    users.emplace_back([&, c] {
      auto wa_id = "1555070" + std::to_string(c);
      for (int i = 0; i < messages; ++i) {
        auto text = "m" + std::to_string(i);
        p.post(wa_id, text);
        // Closed loop: the next message once this one is answered.
        if (!wait_until([&] { return p.received(wa_id).size() > static_cast<std::size_t>(i); },
                        std::chrono::seconds{90})) {
          problems[c] = "no reply to " + text;
          return;
        }
        ++answered;
      }
    });
  for (int outage = 0; outage < 2; ++outage) {
    REQUIRE(wait_until([&] { return answered >= (outage + 1) * contacts * messages / 3; },
                       std::chrono::seconds{90}));
    p.pg_ctl({"stop", "-m", "immediate"});
    // While it is down: 503 unavailable, never 500.
    REQUIRE(
        wait_until([&] { return http_request(p.server->port(), "GET", "/readyz").status == 503; }));
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/v1/projects"},
             {"GET", "/v1/projects/" + p.project + "/contacts"},
             {"GET", "/v1/projects/" + p.project + "/tables"}}) {
      INFO(method << " " << path);
      auto r = p.call(method, path);
      CHECK(r.status == 503);
    }
    auto sql =
        p.call("POST", "/v1/projects/" + p.project + "/sql", json{{"query", "SELECT 1"}}.dump());
    CHECK(sql.status == 503);
    std::this_thread::sleep_for(std::chrono::seconds{2});  // the outage itself
    p.pg_ctl({"start", "-l", p.dir.path() + "/pg/server.log"});
    // The database answers again: ready within a second (the pool's dead connection is
    // replaced, not reported).
    auto back = std::chrono::steady_clock::now();
    REQUIRE(
        wait_until([&] { return http_request(p.server->port(), "GET", "/readyz").status == 200; }));
    CHECK(std::chrono::steady_clock::now() - back < std::chrono::seconds{1});
  }
  for (auto& u : users) u.join();
  for (const auto& problem : problems) CHECK(problem.empty());
  // Every message answered once, in order.
  for (int c = 0; c < contacts; ++c) {
    auto got = p.received("1555070" + std::to_string(c));
    std::vector<std::string> want;
    for (int i = 0; i < messages; ++i) want.push_back("echo: m" + std::to_string(i));
    CHECK(got == want);
  }
  // Nothing left queued, every final status stored, no status waiting for its wamid.
  CHECK(wait_until([&] {
    return p.count("SELECT count(*) FROM messages WHERE direction = 'out' AND wamid IS NULL") == 0;
  }));
  bool all_read = wait_until([&] {
    return p.count("SELECT count(*) FROM messages WHERE direction = 'out' AND status <> 'read'") ==
           0;
  });
  if (!all_read) {
    for (const char* s : {"accepted", "sent", "delivered", "failed", "queued"})
      UNSCOPED_INFO(
          s << ": "
            << p.count(std::string{
                           "SELECT count(*) FROM messages WHERE direction = 'out' AND status = '"} +
                       s + "'"));
    UNSCOPED_INFO(p.meta.call("GET", "/control/stats").body.dump());
  }
  CHECK(all_read);
  CHECK(p.count("SELECT count(*) FROM pending_statuses") == 0);
  CHECK(p.count("SELECT count(*) FROM messages WHERE direction = 'out'") == contacts * messages);
  CHECK(p.count("SELECT count(*) FROM messages WHERE direction = 'in' AND handled_at IS NULL") ==
        0);
}

TEST_CASE(
    "after Postgres restarted while nothing was written, the next message is stored at its first "
    "delivery",
    "[integration][outage]") {
  embedded_pipeline p;
  p.post("15550720", "before");
  REQUIRE(wait_until([&] { return p.received("15550720").size() == 1; }));
  // Its statuses stored too: nothing more comes to the project's write connection.
  REQUIRE(wait_until(
      [&] { return p.count("SELECT count(*) FROM messages WHERE status = 'read'") == 1; }));
  auto quiet_since = std::chrono::steady_clock::now();
  p.pg_ctl({"stop", "-m", "fast"});  // every session ends, the project's write connection too
  p.pg_ctl({"start", "-l", p.dir.path() + "/pg/server.log"});
  REQUIRE(
      wait_until([&] { return http_request(p.server->port(), "GET", "/readyz").status == 200; }));
  // Idle past the check (2 s): the write connection is tried before the batch uses it.
  REQUIRE(wait_until([&] {
    return std::chrono::steady_clock::now() - quiet_since > std::chrono::milliseconds{2200};
  }));
  auto r = p.meta.call("POST", "/control/numbers/" + number_id + "/users/15550720/messages",
                       json{{"message", {{"type", "text"}, {"text", {{"body", "after"}}}}}}.dump());
  CHECK(r.body["delivered"] == true);
  CHECK(r.body["attempts"] == 1);  // it was answered 503 once: the batch met the dead connection
  REQUIRE(wait_until([&] { return p.received("15550720").size() == 2; }));
  CHECK(p.received("15550720")[1] == "echo: after");
}

TEST_CASE(
    "the Graph side restarted between two bursts: the next message goes out at once, none fails",
    "[integration][outage]") {
  pipeline p;
  p.put_bot(paige::actors::bot::echo_bot());
  auto burst = [&](const std::string& tag) {
    for (int c = 0; c < 30; ++c) p.say("155508" + std::to_string(10 + c), tag);
    for (int c = 0; c < 30; ++c) {
      auto wa_id = "155508" + std::to_string(10 + c);
      REQUIRE(wait_until([&] {
        for (const auto& r : p.records(wa_id, "out"))
          if (body_of(r) == "echo: " + tag) return true;
        return false;
      }));
    }
  };
  burst("first");
  // Meta's side goes away and comes back: every pooled keep-alive connection is dead.
  p.meta.restart();
  p.meta.target(p.s.server->port());
  p.meta.add_number(number_id, "2001", "token-1001");
  auto start = std::chrono::steady_clock::now();
  p.say("15550810", "next");
  REQUIRE(
      wait_until([&] { return !p.records("15550810", "out").empty(); }, std::chrono::seconds{10}));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{1});
  burst("second");
  auto db = p.project_db();
  pqxx::work tx{db};
  CHECK(tx.exec1("SELECT count(*) FROM messages WHERE status = 'failed'")[0].as<int>() == 0);
  CHECK(p.metric("paige_outbound_failed_total{code=\"0\"}") <= 0);
}
