// The real paige binary: embedded Postgres, operational endpoints, lifecycle, secrets.
#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/paige_server.hpp"
#include "tests/support/test_cluster.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

using namespace paige::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string metrics_of(std::uint16_t port) {
  auto r = http_request(port, "GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  return r.body;
}

}  // namespace

TEST_CASE("embedded mode: serves, stops cleanly, and a second start reuses the cluster",
          "[integration]") {
  temp_dir dir;
  std::string token;
  {
    paige_server server{dir.path()};
    REQUIRE(server.wait_listening());
    auto port = server.port();

    auto health = http_request(port, "GET", "/healthz");
    CHECK(health.status == 200);
    CHECK(json::parse(health.body) == json{{"status", "ok"}});
    auto ready = http_request(port, "GET", "/readyz");
    CHECK(ready.status == 200);
    CHECK(json::parse(ready.body)["status"] == "ready");

    auto text = metrics_of(port);
    CHECK_THAT(
        text, Catch::Contains(
                  "paige_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"));
    CHECK_THAT(text, Catch::Contains("paige_http_request_duration_seconds_bucket{method=\"GET\","
                                     "route=\"/readyz\",le=\"+Inf\"} 1"));
    CHECK_THAT(text, Catch::Contains("# TYPE paige_process_resident_memory_bytes gauge"));
    CHECK_THAT(text, Catch::Contains("paige_process_cpu_seconds_total "));
    CHECK_THAT(text, Catch::Contains("paige_build_info{version="));

    // The generated admin token is printed once and stored privately.
    auto stored = read_file(dir.path() + "/admin-token");
    REQUIRE(stored.size() > 20);
    token = stored.substr(0, stored.find('\n'));
    CHECK_THAT(server.process().stdout_text(), Catch::Contains(token));
    CHECK((fs::status(dir.path() + "/admin-token").permissions() & fs::perms::group_all) ==
          fs::perms::none);
    CHECK((fs::status(dir.path() + "/admin-token").permissions() & fs::perms::others_all) ==
          fs::perms::none);
    CHECK(fs::exists(dir.path() + "/pg/PG_VERSION"));

    CHECK(server.terminate() == 0);
    auto log = server.process().stderr_text();
    CHECK_THAT(log, Catch::Contains("event=pg.initdb"));
    // The new cluster made its WAL files ahead: 256 MB of 16 MB files recycled as the next ones.
    static const std::regex reserved{R"(event=pg\.wal_reserved files=(\d+))"};
    std::smatch m;
    REQUIRE(std::regex_search(log, m, reserved));
    CHECK(std::stoi(m[1]) >= 15);
    CHECK_THAT(read_file(dir.path() + "/pg/paige.conf"), Catch::Contains("min_wal_size = 256MB"));
    CHECK_THAT(log, Catch::Contains("event=pg.stopped"));
    CHECK_THAT(log, Catch::Contains("event=paige.stopped"));
    // Secrets never reach the log.
    CHECK(log.find(token) == std::string::npos);
    CHECK(log.find(test_app_secret) == std::string::npos);
    CHECK(log.find(test_verify_token) == std::string::npos);
    // The embedded cluster is down: its lock file is gone.
    CHECK_FALSE(fs::exists(dir.path() + "/pg/postmaster.pid"));
  }
  {
    paige_server again{dir.path()};
    REQUIRE(again.wait_listening());
    CHECK(http_request(again.port(), "GET", "/readyz").status == 200);
    CHECK(again.terminate() == 0);
    auto log = again.process().stderr_text();
    CHECK(log.find("event=pg.initdb") == std::string::npos);
    CHECK(log.find("event=pg.wal_reserved") == std::string::npos);
    CHECK_THAT(log, Catch::Contains("initdb=false"));
    CHECK(log_line_has(log, {"event=db.migrated", "applied=0"}));
    // Same token, not printed again.
    CHECK(again.process().stdout_text().find(token) == std::string::npos);
    CHECK(read_file(dir.path() + "/admin-token").rfind(token, 0) == 0);
  }
}

TEST_CASE("a crash that leaves Postgres running or a stale lock is recovered", "[integration]") {
  temp_dir dir;
  {
    paige_server server{dir.path()};
    REQUIRE(server.wait_listening());
    server.process().signal(SIGKILL);  // the postmaster outlives us
    server.process().wait_exit(std::chrono::seconds{10});
  }
  REQUIRE(fs::exists(dir.path() + "/pg/postmaster.pid"));
  {
    paige_server server{dir.path()};
    REQUIRE(server.wait_listening());
    CHECK(http_request(server.port(), "GET", "/readyz").status == 200);
    CHECK_THAT(server.process().stderr_text(), Catch::Contains("event=pg.leftover_server"));
    CHECK(server.terminate() == 0);
  }
  // A lock file whose process is gone (the machine crashed): a dead PID.
  {
    std::ofstream lock{dir.path() + "/pg/postmaster.pid"};
    lock << "999999\n" << dir.path() << "/pg\n";
  }
  {
    paige_server server{dir.path()};
    REQUIRE(server.wait_listening());
    CHECK(http_request(server.port(), "GET", "/readyz").status == 200);
    CHECK_THAT(server.process().stderr_text(), Catch::Contains("event=pg.stale_lock_removed"));
    CHECK(server.terminate() == 0);
  }
}

TEST_CASE("with --database-url the server uses that database", "[integration][db]") {
  fresh_database db;
  temp_dir dir;
  paige_server server{dir.path(),
                      {"--database-url", db.url(), "--admin-token", "admin-token-0123456789"}};
  REQUIRE(server.wait_listening());
  CHECK(http_request(server.port(), "GET", "/readyz").status == 200);
  pqxx::connection c{db.conninfo()};
  pqxx::work tx{c};
  CHECK(tx.exec("SELECT max(version) FROM schema_migrations")[0][0].as<int>() >= 1);
  CHECK_FALSE(fs::exists(dir.path() + "/pg"));
  CHECK_FALSE(fs::exists(dir.path() + "/admin-token"));  // configured, so not generated
  CHECK(server.terminate() == 0);
  auto log = server.process().stderr_text();
  CHECK(log.find("admin-token-0123456789") == std::string::npos);
}

TEST_CASE("readyz answers 503 while the control database is unreachable", "[integration][db]") {
  fresh_database db;
  temp_dir dir;
  paige_server server{dir.path(), {"--database-url", db.url()}};
  REQUIRE(server.wait_listening());
  CHECK(http_request(server.port(), "GET", "/readyz").status == 200);
  auto set_allowed = [&](bool allowed) {
    pqxx::connection admin{cluster_conninfo()};
    pqxx::nontransaction tx{admin};
    tx.exec("ALTER DATABASE " + tx.quote_name(db.name()) + " ALLOW_CONNECTIONS " +
            (allowed ? "true" : "false"));
    if (!allowed)
      tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                     db.name());
  };
  set_allowed(false);
  CHECK(wait_until([&] { return http_request(server.port(), "GET", "/readyz").status == 503; },
                   std::chrono::seconds{20}));
  CHECK(http_request(server.port(), "GET", "/healthz").status == 200);
  set_allowed(true);
  CHECK(wait_until([&] { return http_request(server.port(), "GET", "/readyz").status == 200; },
                   std::chrono::seconds{20}));
  CHECK(server.terminate() == 0);
}

TEST_CASE("configuration errors stop the start with a clear message", "[integration]") {
  temp_dir dir;
  {
    child_process p{{paige_binary(), "serve", "--no-such-flag", "1"}, {}, dir.path()};
    CHECK(p.wait_exit(std::chrono::seconds{10}) == 2);
    CHECK_THAT(p.stderr_text(), Catch::Contains("unknown option '--no-such-flag'"));
  }
  {
    child_process p{{paige_binary(), "serve", "--data-dir", dir.path()}, {}, dir.path()};
    CHECK(p.wait_exit(std::chrono::seconds{10}) == 2);
    CHECK_THAT(p.stderr_text(), Catch::Contains("missing required option --app-secret"));
  }
  {
    child_process p{{paige_binary(), "serve", "--help"}, {}, dir.path()};
    CHECK(p.wait_exit(std::chrono::seconds{10}) == 0);
    CHECK_THAT(p.stdout_text(), Catch::Contains("PAIGE_DATABASE_URL"));
  }
  {
    // Every option is an environment variable too.
    child_process p{
        {paige_binary(), "serve"},
        {{"PAIGE_APP_SECRET", "x"}, {"PAIGE_VERIFY_TOKEN", "y"}, {"PAIGE_LOG_LEVEL", "loud"}},
        dir.path()};
    CHECK(p.wait_exit(std::chrono::seconds{10}) == 2);
    CHECK_THAT(p.stderr_text(), Catch::Contains("PAIGE_LOG_LEVEL"));
  }
}

TEST_CASE("a second server on the same data directory refuses to start", "[integration]") {
  fresh_database control;
  temp_dir dir;
  std::vector<std::string> args{"--database-url", control.url()};
  paige_server first{dir.path(), args};
  REQUIRE(first.wait_listening());
  paige_server second{dir.path(), args};
  CHECK(second.process().wait_exit(std::chrono::seconds{60}) == 1);
  CHECK_THAT(second.process().stderr_text(),
             Catch::Contains("another paige is running with the data directory"));
  CHECK(http_request(first.port(), "GET", "/healthz").status == 200);  // the first one is untouched
  REQUIRE(first.terminate() == 0);
  paige_server third{dir.path(), args};  // the lock went with the first process
  CHECK(third.wait_listening());
}

TEST_CASE("an unreachable database URL fails the start with exit 1", "[integration]") {
  temp_dir dir;
  paige_server server{dir.path(),
                      {"--database-url", "postgresql://nobody:pw@127.0.0.1:1/none",
                       "--db-connect-timeout", "500ms"}};
  auto code = server.process().wait_exit(std::chrono::seconds{60});
  CHECK(code == 1);
  auto log = server.process().stderr_text();
  CHECK_THAT(log, Catch::Contains("event=paige.start_failed"));
  CHECK(log.find(":pw@") == std::string::npos);
}

namespace {

/// User plus system CPU seconds `pid` has used.
double cpu_seconds(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text{std::istreambuf_iterator<char>{stat}, std::istreambuf_iterator<char>{}};
  std::istringstream fields{text.substr(text.rfind(')') + 2)};
  std::vector<std::string> f{std::istream_iterator<std::string>{fields},
                             std::istream_iterator<std::string>{}};
  return (std::stod(f.at(11)) + std::stod(f.at(12))) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("out of file descriptors, paige pauses accepting instead of spinning, and resumes",
          "[integration]") {
  fresh_database db;
  temp_dir dir;
  // 20 000 idle connections used every descriptor: accept failed 11.3 million times in 20 s
  // (1.1 GB of log) at 94 % CPU. The same with a limit of 256 descriptors.
  // An explicit cap above what the descriptors hold is kept, with a warning: this test wants
  // accept() to run out of descriptors.
  paige_server server{dir.path(),
                      {"--database-url", db.url(), "--max-connections", "100000"},
                      {},
                      {"/usr/bin/prlimit", "--nofile=256:256"}};
  REQUIRE(server.wait_listening());
  CHECK_THAT(server.process().stderr_text(),
             Catch::Contains("event=http.max_connections_above_descriptors"));
  std::vector<int> clients;
  struct close_all {
    std::vector<int>& fds;
    ~close_all() {
      for (int fd : fds) ::close(fd);
    }
  } guard{clients};
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(server.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 400; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    clients.push_back(fd);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
            0);  // the backlog takes the rest
  }
  REQUIRE(wait_until([&] {
    return server.process().stderr_text().find("event=http.accept_failed") != std::string::npos;
  }));
  auto cpu_before = cpu_seconds(server.process().pid());
  auto lines_before = count_of(server.process().stderr_text(), "event=http.accept_failed");
  std::this_thread::sleep_for(
      std::chrono::seconds{2});  // the behaviour under test: two seconds out of descriptors
  auto cpu = cpu_seconds(server.process().pid()) - cpu_before;
  CHECK(cpu < 0.5);  // paused and retried every 100 ms (it spun at 94 % before)
  CHECK(count_of(server.process().stderr_text(), "event=http.accept_failed") - lines_before <=
        1);  // one per 10 s
  for (int fd : clients) ::close(fd);
  clients.clear();
  INFO(server.process().stderr_text().substr(0, 4000));
  REQUIRE(wait_until([&] {
    try {
      return http_request(server.port(), "GET", "/readyz").status == 200;
    } catch (const std::exception&) {
      return false;  // a connection the server has yet to take back may be reset
    }
  }));
  auto metrics = http_request(server.port(), "GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("paige_http_accept_paused_total{reason=\"descriptors\"}"));
  CHECK(server.terminate() == 0);
}

TEST_CASE("by default the connection cap fits the descriptor limit, raised to its hard limit",
          "[integration]") {
  fresh_database db;
  temp_dir dir;  // one data directory: its master key set up the control database
  for (auto [limits, descriptors, cap] :
       {std::tuple{"--nofile=256:4096", 4096, 3584}, std::tuple{"--nofile=256:256", 256, 128}}) {
    INFO(limits);
    paige_server server{dir.path(), {"--database-url", db.url()}, {}, {"/usr/bin/prlimit", limits}};
    if (!server.wait_listening()) FAIL(server.process().stderr_text());
    auto log = server.process().stderr_text();
    CHECK_THAT(log, Catch::Contains("descriptor_limit=" + std::to_string(descriptors)));
    CHECK_THAT(log, Catch::Contains("max_connections=" + std::to_string(cap)));
    CHECK_THAT(log, !Catch::Contains("max_connections_above_descriptors"));
    CHECK(server.terminate() == 0);
  }
}

TEST_CASE("the API describes itself at /v1/openapi.json and /docs, without a key",
          "[integration][db]") {
  fresh_database db;
  temp_dir dir;
  paige_server server{dir.path(),
                      {"--database-url", db.url(), "--admin-token", "admin-token-0123456789"}};
  REQUIRE(server.wait_listening());
  auto answer = http_request(server.port(), "GET", "/v1/openapi.json");
  CHECK(answer.status == 200);
  auto doc = json::parse(answer.body);
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["paths"].contains("/v1/projects/{project_id}/conversations"));
  auto page = http_request(server.port(), "GET", "/docs");
  CHECK(page.status == 200);
  CHECK(page.body.find("/v1/projects/{project_id}/conversations") != std::string::npos);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("content-security-policy") == "default-src 'none'; frame-ancestors 'none'");
  CHECK(page.header("x-content-type-options") == "nosniff");
  CHECK(server.terminate() == 0);
}

TEST_CASE("the start page and its assets come from the binary, with a strict policy",
          "[integration][db]") {
  fresh_database db;
  temp_dir dir;
  paige_server server{dir.path(),
                      {"--database-url", db.url(), "--admin-token", "admin-token-0123456789"}};
  REQUIRE(server.wait_listening());
  auto page = http_request(server.port(), "GET", "/");
  CHECK(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("content-security-policy") ==
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  CHECK(page.header("referrer-policy") == "no-referrer");
  CHECK(page.body.find("href=\"/docs\"") != std::string::npos);
  auto css = http_request(server.port(), "GET", "/assets/style.css");
  CHECK(css.status == 200);
  CHECK(css.header("content-type") == "text/css; charset=utf-8");
  CHECK(css.header("x-content-type-options") == "nosniff");
  // Only embedded assets, by their exact names: nothing else is reachable through the route.
  for (const char* probe : {"/assets/nope.css", "/assets/%2e%2e%2fopenapi.json",
                            "/assets/..%2Findex.html", "/assets/"}) {
    INFO(probe);
    auto missing = http_request(server.port(), "GET", probe);
    CHECK(missing.status == 404);
  }
  CHECK(server.terminate() == 0);
}
