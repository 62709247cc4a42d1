// One project cannot take the database API (or the server log, or other projects' metadata)
// from the others: the findings of "No message and no tenant can take Paige down", each
// reproduced as it was reported, through real HTTP against the real Postgres.
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <thread>

using namespace paige::test;

namespace {

struct two_projects {
  project_server s;
  std::string a, b;

  explicit two_projects(std::vector<std::string> args = {}) : s(std::move(args)) {
    a = s.create("Alpha")["id"].get<std::string>();
    b = s.create("Beta")["id"].get<std::string>();
    REQUIRE(s.wait_status(a, "active"));
    REQUIRE(s.wait_status(b, "active"));
  }
  reply sql(const std::string& project, const std::string& query,
            const json& params = json::array()) {
    auto r = s.call("POST", "/v1/projects/" + project + "/sql",
                    json{{"query", query}, {"params", params}}.dump());
    UNSCOPED_INFO(query.substr(0, 200) << " → " << r.status << " " << r.body.dump().substr(0, 300));
    return r;
  }
  /// Active backends of `project`'s role, as the admin sees them.
  int active_backends(const std::string& project) {
    pqxx::connection c{cluster_conninfo()};
    pqxx::work tx{c};
    return tx
        .exec_params1(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND state = 'active'",
            s.database_of(project).role)[0]
        .as<int>();
  }
  /// The server's peak resident memory so far (kB).
  long peak_rss_kb() {
    std::ifstream status{"/proc/" + std::to_string(s.server->process().pid()) + "/status"};
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
};

/// A PL/pgSQL loop that catches its own cancellation: the statement timeout alone cannot end it.
const std::string endless =
    "DO $$ BEGIN LOOP BEGIN PERFORM pg_sleep(0.05); EXCEPTION WHEN query_canceled THEN NULL; END; "
    "END LOOP; END $$";

}  // namespace

TEST_CASE(
    "a statement that catches its own cancellation is ended from outside, and other projects go on",
    "[integration][tenants]") {
  two_projects t({"--sql-timeout", "1s", "--db-api-workers", "2"});
  std::atomic<int> a_done{0};
  std::vector<reply> a_replies(2);
  std::vector<std::thread> hogs;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 2; ++i)
    hogs.emplace_back([&, i] {
      a_replies[i] = json_request(t.s.server->port(), "POST", "/v1/projects/" + t.a + "/sql",
                                  json{{"query", endless}}.dump(), admin_key);
      ++a_done;
    });
  // Alpha holds one worker (its fair share of two); its second loop waits its turn.
  REQUIRE(wait_until([&] { return t.active_backends(t.a) == 1; }));
  auto tables = t.s.call("GET", "/v1/projects/" + t.b + "/tables");
  CHECK(tables.status == 200);
  CHECK(t.sql(t.b, "SELECT 1").status == 200);
  CHECK(a_done == 0);  // Beta was answered while Alpha's loops still ran
  CHECK(t.active_backends(t.a) <= 1);
  for (auto& h : hogs) h.join();
  for (const auto& r : a_replies) {
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "statement_timeout");
  }
  // Each loop: the 1 s timeout, 250 ms, then cancel (caught) and terminate a second later.
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{20});
  auto metrics = http_request(t.s.server->port(), "GET", "/metrics").body;
  CHECK_THAT(metrics,
             Catch::Contains(
                 "paige_db_statements_stopped_total{pool=\"database_api\",how=\"terminate\"} 2"));
  CHECK(t.sql(t.a, "SELECT 1").status == 200);  // the project itself carries on
}

TEST_CASE("a table request ended from outside leaves its worker a working connection",
          "[integration][tenants]") {
  two_projects t({"--sql-timeout", "1s", "--db-api-workers", "1"});
  REQUIRE(t.sql(t.a, "CREATE TABLE notes (id bigserial PRIMARY KEY, body text)").status == 200);
  REQUIRE(
      t.sql(
           t.a,
           "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN LOOP BEGIN "
           "PERFORM pg_sleep(0.05); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$")
          .status == 200);
  REQUIRE(t.sql(t.a,
                "CREATE TRIGGER stall BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION stall()")
              .status == 200);
  auto stalled =
      t.s.call("POST", "/v1/projects/" + t.a + "/tables/notes/rows", json{{"body", "x"}}.dump());
  CHECK(stalled.status == 422);
  CHECK(stalled.body["error"]["code"] == "statement_timeout");
  // The one worker's kept connection to Alpha's database was terminated: the next request
  // there gets a fresh one, not a 503.
  auto tables = t.s.call("GET", "/v1/projects/" + t.a + "/tables");
  CHECK(tables.status == 200);
  CHECK(t.s.call("GET", "/v1/projects/" + t.a + "/tables/notes/rows").status == 200);
}

TEST_CASE("SQL answers are bounded in bytes as well as rows, and fetched row by row",
          "[integration][tenants]") {
  // A million-row insert takes seconds on a busy machine (the sanitizer build): room for it.
  two_projects t({"--sql-max-bytes", "1MiB", "--sql-timeout", "60s"});
  auto huge = t.sql(t.a, "SELECT repeat('x', 100000000) AS x FROM generate_series(1, 3)");
  REQUIRE(huge.status == 200);
  CHECK(huge.body["truncated"] == true);
  CHECK(huge.body["rows"].empty());
  CHECK(huge.body["byte_cap"] == 1 << 20);
  auto some = t.sql(t.a, "SELECT repeat('y', 1000) AS y FROM generate_series(1, 5000)");
  REQUIRE(some.status == 200);
  CHECK(some.body["truncated"] == true);
  CHECK(some.body["rows"].size() < 1050);  // 1 MiB of 1 000-byte values
  CHECK(some.body["rows"].size() > 900);

  REQUIRE(t.sql(t.a, "CREATE TABLE many (id bigserial PRIMARY KEY, v text)").status == 200);
  auto inserted = t.sql(
      t.a, "INSERT INTO many (v) SELECT 'v' || g FROM generate_series(1, 1000000) g RETURNING *");
  REQUIRE(inserted.status == 200);
  CHECK(inserted.body["rows"].size() == 1000);
  CHECK(inserted.body["truncated"] == true);
  CHECK(t.sql(t.a, "SELECT count(*) FROM many").body["rows"][0][0] == 1000000);
  auto changed =
      t.sql(t.a, "WITH d AS (DELETE FROM many WHERE id <= 10 RETURNING id) SELECT count(*) FROM d");
  REQUIRE(changed.status == 200);  // a data-modifying WITH cannot be a cursor: it runs directly
  CHECK(changed.body["rows"][0][0] == 10);
  // Three 100 MB values took paige to about 1 GB; one row at a time, it holds one. (Under
  // AddressSanitizer, freed blocks wait in its quarantine, 256 MB by default, before reuse.)
#if defined(__SANITIZE_ADDRESS__)
  constexpr long quarantine_kb = 256 * 1024;
#else
  constexpr long quarantine_kb = 0;
#endif
  CHECK(t.peak_rss_kb() < 600 * 1024 + quarantine_kb);
}

TEST_CASE("COPY, NUL characters and broken UTF-8 are refused and change nothing",
          "[integration][tenants]") {
  two_projects t;
  auto base = "/v1/projects/" + t.a;
  REQUIRE(
      t.s.call("POST", base + "/tables",
               json{{"name", "secrets"}, {"columns", {{{"name", "v"}, {"type", "text"}}}}}.dump())
          .status == 201);
  REQUIRE(t.s.call("POST", base + "/tables/secrets/rows", json{{"v", "keep me"}}.dump()).status ==
          201);
  for (const char* copy : {"COPY (SELECT 1) TO STDOUT", "COPY secrets FROM STDIN",
                           "  /* hidden */ copy secrets TO stdout"}) {
    auto r = t.sql(t.a, copy);
    CHECK(r.status == 422);
    CHECK(r.body["error"]["code"] == "copy_not_supported");
  }
  auto nul_param = t.sql(t.a, "INSERT INTO secrets (v) VALUES ($1)", {std::string("a\0b", 3)});
  CHECK(nul_param.status == 422);
  CHECK(nul_param.body["error"]["code"] == "invalid_params");
  CHECK(t.sql(t.a, std::string("SELECT 1 -- \0 x", 15)).body["error"]["code"] == "invalid_query");
  // "secrets%00x" named "secrets" once a C string cut it: the table was emptied.
  auto cut = t.s.call("DELETE", base + "/tables/secrets%00x/rows");
  CHECK(cut.status == 422);
  CHECK(cut.body["error"]["code"] == "invalid_encoding");
  for (const char* target : {"/contacts?search=%ff", "/conversations?state=%ff", "/tables/%ff",
                             "/contacts?search=%00"}) {
    INFO(target);
    auto r = t.s.call("GET", base + target);
    CHECK(r.status == 422);
  }
  CHECK(t.sql(t.a, "SELECT v FROM secrets").body["rows"] == json{{"keep me"}});
}

TEST_CASE("a project's database is held to its quota, its sessions to their temporary files",
          "[integration][tenants]") {
  two_projects t;
  auto base = "/v1/projects/" + t.a;
  REQUIRE(
      t.s.call("PATCH", base,
               json{{"settings", {{"database_quota_mb", 20}, {"temp_file_limit_mb", 1}}}}.dump())
          .status == 200);
  // A project key cannot raise its own limits.
  auto key =
      t.s.call("POST", base + "/keys", json{{"name", "k"}}.dump()).body["key"].get<std::string>();
  CHECK(t.s.call("PATCH", base, json{{"settings", {{"database_quota_mb", 100000}}}}.dump(), key)
            .status == 403);

  auto big = t.sql(
      t.a, "CREATE TABLE big AS SELECT repeat('x', 1000) AS x FROM generate_series(1, 40000)");
  CHECK(big.status == 507);
  CHECK(big.body["error"]["code"] == "quota_exceeded");
  CHECK(t.sql(t.a, "SELECT 1 FROM big").body["error"]["code"] == "table_not_found");  // rolled back
  CHECK(t.sql(t.a, "CREATE TABLE small AS SELECT g FROM generate_series(1, 100) g").status == 200);
  REQUIRE(t.s.call("POST", base + "/tables",
                   json{{"name", "notes"}, {"columns", {{{"name", "v"}, {"type", "text"}}}}}.dump())
              .status == 201);
  auto row =
      t.s.call("POST", base + "/tables/notes/rows", json{{"v", std::string(2 << 20, 'n')}}.dump());
  CHECK(row.status == 201);  // compressed well under the quota
  // The other project is not held to Alpha's quota.
  CHECK(
      t.sql(t.b, "CREATE TABLE big AS SELECT repeat('x', 1000) AS x FROM generate_series(1, 40000)")
          .status == 200);

  // The temp file limit reaches the role's next sessions.
  REQUIRE(
      wait_until([&] { return t.sql(t.a, "SHOW temp_file_limit").body["rows"] == json{{"1MB"}}; }));
  auto sort = t.sql(
      t.a, "SELECT count(*) FROM (SELECT g FROM generate_series(1, 3000000) g ORDER BY g DESC) s");
  CHECK(sort.status == 507);
  CHECK(sort.body["error"]["code"] == "temp_file_limit_exceeded");
}

TEST_CASE("other projects' databases, roles and activity are invisible to a project",
          "[integration][tenants]") {
  two_projects t;
  for (const char* query : {"SELECT datname FROM pg_database", "SELECT rolname FROM pg_roles",
                            "SELECT datname, usename, query FROM pg_stat_activity",
                            "SELECT datname, numbackends FROM pg_stat_database"}) {
    auto r = t.sql(t.a, query);
    CHECK(r.status == 403);
    CHECK(r.body["error"]["code"] == "permission_denied");
  }
}

TEST_CASE("a project's statements and values never reach the server log",
          "[integration][tenants]") {
  two_projects t;
  const std::string secret = "CUSTOMER-SSN-123-45-6789";
  REQUIRE(t.sql(t.a, "CREATE TABLE people (ssn text UNIQUE)").status == 200);
  CHECK(t.sql(t.a, "INSERT INTO people VALUES ('" + secret + "')").status == 200);
  CHECK(t.sql(t.a, "INSERT INTO people VALUES ('" + secret + "')").status ==
        409);                                                  // its DETAIL quotes the value
  CHECK(t.sql(t.a, "SELEKT '" + secret + "'").status == 422);  // a syntax error quotes it too
  CHECK(t.sql(t.a, "UPDATE people SET ssn = $1", {secret + "-2"}).status == 200);
  CHECK(t.sql(t.a, "SELECT pg_sleep(0.01), '" + secret + "'::int").status == 422);
  // Notices go to the client, not to Paige's log (libpq prints them to stderr by default).
  CHECK(t.sql(t.a,
              "DO $$BEGIN RAISE NOTICE '%', (SELECT ssn FROM people LIMIT 1); "
              "RAISE WARNING 'CUSTOMER-SSN warned'; END$$")
            .status == 200);
  CHECK(t.s.server->process().stderr_text().find("CUSTOMER-SSN") == std::string::npos);
  // The same mistake by another role is logged, statement and all: the log is the right one.
  {
    pqxx::connection c{cluster_conninfo()};
    pqxx::nontransaction tx{c};
    CHECK_THROWS(tx.exec("SELEKT 'ADMIN-MARKER-" + secret.substr(9) + "'"));
  }
  REQUIRE(wait_until([&] { return cluster_log().find("ADMIN-MARKER") != std::string::npos; }));
  auto log = cluster_log();
  CHECK(log.find("CUSTOMER-SSN") == std::string::npos);
}
