// Projects through the real binary and real HTTP: lifecycle, isolation, keys, hostile input.
#include "common/secrets.hpp"
#include "storage/conninfo.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/paige_server.hpp"
#include "tests/support/project_server.hpp"
#include "tests/support/test_cluster.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <signal.h>

#include <set>

using namespace paige::test;
using json = nlohmann::json;

namespace {

/// A password connection over TCP to the test cluster, as an ordinary client would make.
std::string tcp_conninfo(const std::string& dbname, const std::string& user,
                         const std::string& password) {
  auto server = paige::storage::parse_conninfo(cluster_conninfo());
  return paige::storage::make_conninfo({{"host", "127.0.0.1"},
                                        {"port", server["port"]},
                                        {"dbname", dbname},
                                        {"user", user},
                                        {"password", password},
                                        {"connect_timeout", "5"}});
}

bool exists(const std::string& sql, const std::string& name) {
  pqxx::connection c{cluster_conninfo()};
  pqxx::work tx{c};
  return !tx.exec_params(sql, name).empty();
}

}  // namespace

TEST_CASE("a created project provisions an isolated database with the system tables",
          "[integration][projects]") {
  project_server s;
  auto a = s.create("Alpha");
  CHECK(a["status"] == "provisioning");
  CHECK(a["whatsapp"].is_null());
  CHECK(a["settings"]["messages_per_second"] == 80);
  auto b = s.create("Beta");
  REQUIRE(s.wait_status(a["id"], "active"));
  REQUIRE(s.wait_status(b["id"], "active"));

  auto da = s.database_of(a["id"]);
  auto db = s.database_of(b["id"]);
  {
    pqxx::connection own{tcp_conninfo(da.name, da.role, da.password)};
    pqxx::work tx{own};
    auto tables = tx.exec(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
        "ORDER BY tablename");
    std::set<std::string> names;
    for (const auto& t : tables) {
      names.insert(t[0].as<std::string>());
      CHECK(t[1].as<std::string>() !=
            da.role);  // Paige's, not the project's: it has their rows only
    }
    CHECK(names == std::set<std::string>{"contacts", "conversations", "messages",
                                         "pending_statuses", "broadcasts", "broadcast_recipients",
                                         "flow_answers", "flow_tokens"});
    tx.exec("INSERT INTO contacts (wa_id, name) VALUES ('15550001', 'x')");
  }
  // The role reaches its own database only.
  CHECK_THROWS_WITH(pqxx::connection{tcp_conninfo(db.name, da.role, da.password)},
                    Catch::Contains("permission denied"));
  CHECK_THROWS_WITH(pqxx::connection{tcp_conninfo(s.control.name(), da.role, da.password)},
                    Catch::Contains("permission denied"));
  CHECK_THROWS(pqxx::connection{tcp_conninfo(da.name, da.role, "wrong-password")});
  // Passwords are sealed at rest.
  pqxx::connection c{s.control.conninfo()};
  pqxx::work tx{c};
  CHECK(tx.exec_params("SELECT 1 FROM projects WHERE db_password_sealed LIKE '%' || $1 || '%'",
                       da.password)
            .empty());

  auto metrics = http_request(s.server->port(), "GET", "/metrics").body;
  CHECK_THAT(metrics, Catch::Contains("paige_projects{status=\"active\"} 2"));
  CHECK_THAT(metrics, Catch::Contains("paige_project_provisioning_seconds_count 2"));
}

TEST_CASE("keys: admin reaches everything, a project key its own project only",
          "[integration][projects]") {
  project_server s;
  auto a = s.create("A")["id"].get<std::string>();
  auto b = s.create("B")["id"].get<std::string>();
  REQUIRE(s.wait_status(a, "active"));
  REQUIRE(s.wait_status(b, "active"));
  auto created = s.call("POST", "/v1/projects/" + a + "/keys", R"({"name":"ci"})");
  REQUIRE(created.status == 201);
  auto key_a = created.body["key"].get<std::string>();
  CHECK(key_a.rfind("paige_pk_", 0) == 0);
  auto b_key = s.call("POST", "/v1/projects/" + b + "/keys", R"({"name":"other"})").body;

  const std::vector<std::pair<std::string, std::string>> routes_of_b{
      {"GET", "/v1/projects/" + b},
      {"PATCH", "/v1/projects/" + b},
      {"POST", "/v1/projects/" + b + "/pause"},
      {"POST", "/v1/projects/" + b + "/resume"},
      {"DELETE", "/v1/projects/" + b},
      {"POST", "/v1/projects/" + b + "/keys"},
      {"GET", "/v1/projects/" + b + "/keys"},
      {"DELETE", "/v1/projects/" + b + "/keys/" + b_key["id"].get<std::string>()},
  };
  for (const auto& [method, path] : routes_of_b) {
    INFO(method << " " << path);
    auto with_a = s.call(method, path, "{}", key_a);
    CHECK(with_a.status == 404);
    CHECK(with_a.body["error"]["code"] == "project_not_found");
    auto nobody = s.call(method, path, "{}", "");
    CHECK(nobody.status == 401);
    CHECK(nobody.body["error"]["code"] == "unauthorized");
    CHECK(s.call(method, path, "{}", "paige_pk_" + std::string(40, '0')).status == 401);
    CHECK(s.call(method, path, "{}", "not-a-key").status == 401);
  }
  // /v1/me tells the dashboard who a key is.
  auto me_admin = s.call("GET", "/v1/me");
  REQUIRE(me_admin.status == 200);
  CHECK(me_admin.body["role"] == "admin");
  CHECK_FALSE(me_admin.body.contains("project_id"));
  CHECK(me_admin.body["limits"]["sql_row_cap"].get<int>() > 0);
  CHECK(me_admin.body["limits"]["sql_timeout_ms"].get<int>() > 0);
  auto me_a = s.call("GET", "/v1/me", "", key_a);
  REQUIRE(me_a.status == 200);
  CHECK(me_a.body["role"] == "project");
  CHECK(me_a.body["project_id"] == a);
  CHECK(me_a.body["key_id"] == created.body["id"]);
  CHECK(s.call("GET", "/v1/me", "", "").body["error"]["code"] == "unauthorized");
  CHECK(s.call("GET", "/v1/me", "", "paige_pk_" + std::string(40, '0')).status == 401);

  // The admin key reaches B (read-only calls, so B stays as it is).
  CHECK(s.call("GET", "/v1/projects/" + b).status == 200);
  CHECK(s.call("GET", "/v1/projects/" + b + "/keys").status == 200);
  // A project key may read its own project; the rest of the Projects section is the admin's.
  CHECK(s.call("GET", "/v1/projects/" + a, "", key_a).status == 200);
  CHECK(s.call("POST", "/v1/projects/" + a + "/pause", "", key_a).status == 403);
  CHECK(s.call("GET", "/v1/projects", "", key_a).status == 403);
  CHECK(s.call("POST", "/v1/projects", R"({"name":"x"})", key_a).status == 403);

  // Keys are listed without the secret, stored hashed, and revocation is immediate.
  auto listed = s.call("GET", "/v1/projects/" + a + "/keys").body["items"];
  REQUIRE(listed.size() == 1);
  CHECK_FALSE(listed[0].contains("key"));
  CHECK(listed[0]["prefix"] == key_a.substr(0, 14));
  {
    pqxx::connection c{s.control.conninfo()};
    pqxx::work tx{c};
    CHECK(tx.exec_params1("SELECT key_hash FROM project_keys WHERE project_id = $1", a)[0]
              .as<std::string>() == paige::secrets::sha256_hex(key_a));
    CHECK(tx.exec_params("SELECT 1 FROM project_keys WHERE key_hash = $1 OR name = $1", key_a)
              .empty());
  }
  auto key_id = listed[0]["id"].get<std::string>();
  CHECK(s.call("DELETE", "/v1/projects/" + a + "/keys/" + key_id).status == 204);
  CHECK(s.call("GET", "/v1/projects/" + a, "", key_a).status == 401);
  CHECK(s.call("GET", "/v1/me", "", key_a).status == 401);
  auto again = s.call("DELETE", "/v1/projects/" + a + "/keys/" + key_id);
  CHECK(again.status == 404);
  CHECK(again.body["error"]["code"] == "key_not_found");
}

TEST_CASE("pause, resume and delete follow the state machine", "[integration][projects]") {
  project_server s;
  auto id = s.create("Lifecycle")["id"].get<std::string>();
  REQUIRE(s.wait_status(id, "active"));
  auto dbi = s.database_of(id);

  auto paused = s.call("POST", "/v1/projects/" + id + "/pause");
  CHECK(paused.status == 200);
  CHECK(paused.body["status"] == "paused");
  auto twice = s.call("POST", "/v1/projects/" + id + "/pause");
  CHECK(twice.status == 409);
  CHECK(twice.body["error"]["code"] == "project_not_active");
  auto resumed = s.call("POST", "/v1/projects/" + id + "/resume");
  CHECK(resumed.status == 200);
  CHECK(resumed.body["status"] == "active");
  auto not_paused = s.call("POST", "/v1/projects/" + id + "/resume");
  CHECK(not_paused.status == 409);
  CHECK(not_paused.body["error"]["code"] == "project_not_paused");

  auto patched = s.call("PATCH", "/v1/projects/" + id,
                        R"({"name":"Renamed","settings":{"messages_per_second":20}})");
  CHECK(patched.status == 200);
  CHECK(patched.body["name"] == "Renamed");
  CHECK(patched.body["settings"]["messages_per_second"] == 20);
  CHECK(patched.body["settings"]["conversation_timeout_seconds"] == 86400);

  // Paused state survives a restart.
  CHECK(s.call("POST", "/v1/projects/" + id + "/pause").status == 200);
  CHECK(s.server->terminate() == 0);
  s.start(master_hex);
  auto after = s.call("GET", "/v1/projects/" + id);
  CHECK(after.body["status"] == "paused");
  CHECK(after.body["name"] == "Renamed");

  auto deleting = s.call("DELETE", "/v1/projects/" + id);
  CHECK(deleting.status == 202);
  CHECK(deleting.body["status"] == "deleting");
  REQUIRE(s.wait_status(id, "deleted"));
  CHECK(s.call("GET", "/v1/projects/" + id).body["error"]["code"] == "project_not_found");
  CHECK(s.call("POST", "/v1/projects/" + id + "/resume").status == 404);
  CHECK(s.call("GET", "/v1/projects").body["items"].empty());
  CHECK_FALSE(exists("SELECT 1 FROM pg_database WHERE datname = $1", dbi.name));
  CHECK_FALSE(exists("SELECT 1 FROM pg_roles WHERE rolname = $1", dbi.role));
}

TEST_CASE("a server killed while provisioning finishes the job after a restart",
          "[integration][projects]") {
  project_server s;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(s.create("Crash " + std::to_string(i))["id"]);
  s.server->process().signal(SIGKILL);
  s.server->process().wait_exit(std::chrono::seconds{10});
  {
    // The kill really interrupted provisioning: some project was left unfinished.
    pqxx::connection c{s.control.conninfo()};
    pqxx::work tx{c};
    CHECK(tx.exec("SELECT count(*) FROM projects WHERE status = 'provisioning'")[0][0].as<int>() >
          0);
  }
  s.start(master_hex);
  for (const auto& id : ids) {
    INFO(s.server->process().stderr_text());
    REQUIRE(s.wait_status(id, "active"));
    auto d = s.database_of(id);
    pqxx::connection own{tcp_conninfo(d.name, d.role, d.password)};
    pqxx::work tx{own};
    CHECK(tx.exec("SELECT count(*) FROM messages")[0][0].as<int>() ==
          0);  // every migration applied, readable
  }
}

TEST_CASE("hostile names are stored as data or refused, never executed",
          "[integration][projects]") {
  project_server s;
  const std::vector<std::string> stored{
      "'; DROP TABLE projects; --", "Robert'); DROP DATABASE paige;--",
      "\"quoted\" \\ backslash",    "Café ☕ 日本語 עברית",
      "$1 %s {{name}} ${x}",        std::string(200, 'n')};
  for (const auto& name : stored) {
    auto created = s.call("POST", "/v1/projects", json{{"name", name}}.dump());
    REQUIRE(created.status == 202);
    CHECK(s.call("GET", "/v1/projects/" + created.body["id"].get<std::string>()).body["name"] ==
          name);
  }
  for (const auto& name :
       {std::string(10000, 'x'), std::string(201, 'y'), std::string{"nul\0byte", 8},
        std::string{"line\nbreak"}, std::string{""}, std::string{"   "}}) {
    auto refused = s.call("POST", "/v1/projects", json{{"name", name}}.dump());
    CHECK(refused.status == 422);
    CHECK(refused.body["error"]["code"] == "invalid_name");
  }
  CHECK(s.call("GET", "/v1/projects?limit=200").body["items"].size() == stored.size());
}

TEST_CASE("bad requests get clear errors and change nothing", "[integration][projects]") {
  project_server s;
  auto expect = [&](reply r, unsigned status, const std::string& code) {
    CHECK(r.status == status);
    CHECK(r.body["error"]["code"] == code);
    CHECK(r.body["error"]["message"].is_string());
  };
  expect(s.call("POST", "/v1/projects", "{not json"), 400, "invalid_json");
  expect(s.call("POST", "/v1/projects", "[1,2]"), 422, "invalid_body");
  expect(s.call("POST", "/v1/projects", R"({"name":"x","colour":"red"})"), 422, "unknown_field");
  expect(s.call("POST", "/v1/projects", R"({"name":42})"), 422, "invalid_name");
  expect(s.call("POST", "/v1/projects", R"({})"), 422, "invalid_name");
  expect(s.call("POST", "/v1/projects", R"({"name":"x","settings":{"messages_per_second":0}})"),
         422, "invalid_settings");
  expect(s.call("POST", "/v1/projects", R"({"name":"x","settings":{"nope":1}})"), 422,
         "invalid_settings");
  expect(s.call("POST", "/v1/projects", R"({"name":"x","settings":[]})"), 422, "invalid_settings");
  std::string deep =
      R"({"name":"x","settings":)" + std::string(100, '[') + std::string(100, ']') + "}";
  expect(s.call("POST", "/v1/projects", deep), 400, "invalid_json");
  expect(s.call("GET", "/v1/projects/prj_0000000000000000"), 404, "project_not_found");
  expect(s.call("GET", "/v1/projects/%27%3B%20drop"), 404, "project_not_found");
  expect(s.call("GET", "/v1/projects?cursor=bogus"), 422, "invalid_cursor");
  expect(s.call("GET", "/v1/projects?limit=0"), 422, "invalid_limit");
  expect(s.call("GET", "/v1/projects?limit=201"), 422, "invalid_limit");
  CHECK(s.call("GET", "/v1/projects").body["items"].empty());

  auto id = s.create("Target")["id"].get<std::string>();
  REQUIRE(s.wait_status(id, "active"));
  expect(s.call("PATCH", "/v1/projects/" + id, "{}"), 422, "empty_patch");
  expect(s.call("PATCH", "/v1/projects/" + id, R"({"name":""})"), 422, "invalid_name");
  expect(s.call("PATCH", "/v1/projects/" + id, R"({"settings":{"messages_per_second":"fast"}})"),
         422, "invalid_settings");
  auto unchanged = s.call("GET", "/v1/projects/" + id).body;
  CHECK(unchanged["name"] == "Target");
  CHECK(unchanged["settings"]["messages_per_second"] == 80);
}

TEST_CASE("project lists page with opaque cursors, every project once", "[integration][projects]") {
  project_server s;
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i)
    created.insert(s.create("P" + std::to_string(i))["id"].get<std::string>());
  std::set<std::string> seen;
  std::string path = "/v1/projects?limit=2";
  int pages = 0;
  for (;;) {
    auto r = s.call("GET", path);
    REQUIRE(r.status == 200);
    ++pages;
    for (const auto& p : r.body["items"]) CHECK(seen.insert(p["id"].get<std::string>()).second);
    if (r.body["next_cursor"].is_null()) break;
    path = "/v1/projects?limit=2&cursor=" + r.body["next_cursor"].get<std::string>();
  }
  CHECK(pages == 3);
  CHECK(seen == created);
}

TEST_CASE("a start with another master key is refused", "[integration][projects]") {
  project_server s;
  CHECK(s.server->terminate() == 0);
  s.server = std::make_unique<paige_server>(
      s.dir.path(), std::vector<std::string>{"--database-url", s.control.url(), "--admin-token",
                                             admin_key, "--master-key", std::string(64, '8')});
  CHECK(s.server->process().wait_exit(std::chrono::seconds{30}) == 1);
  CHECK_THAT(s.server->process().stderr_text(), Catch::Contains("master key differs"));
}
