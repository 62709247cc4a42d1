// The Secrets section through the real binary: write-only values, sealed at rest, per project.
#include "common/secrets.hpp"
#include "tests/support/project_server.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

namespace {

/// The sealed value the control database holds for the project's secret (empty: none).
std::string stored_secret(project_server& s, const std::string& project, const std::string& name) {
  pqxx::connection c{s.control.conninfo()};
  pqxx::read_transaction tx{c};
  auto r =
      tx.exec_params("SELECT value_sealed FROM project_secrets WHERE project_id = $1 AND name = $2",
                     project, name);
  return r.empty() ? std::string{} : r[0][0].as<std::string>();
}

std::vector<std::string> names_of(const reply& list) {
  std::vector<std::string> out;
  for (const auto& item : list.body["items"]) out.push_back(item["name"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("secrets are write-only, sealed at rest and listed by name", "[integration][secrets]") {
  project_server s;
  auto id = s.create("Secrets")["id"].get<std::string>();
  auto path = "/v1/projects/" + id + "/secrets";

  auto created = s.call("PUT", path + "/STRIPE_KEY", R"({"value": "sk_live_123"})");
  REQUIRE(created.status == 201);
  CHECK(created.body["name"] == "STRIPE_KEY");
  CHECK(created.body["created_at"].is_string());
  CHECK_FALSE(created.body.contains("value"));
  auto replaced = s.call("PUT", path + "/STRIPE_KEY", R"({"value": "sk_live_456"})");
  REQUIRE(replaced.status == 200);
  CHECK(replaced.body["created_at"] == created.body["created_at"]);
  CHECK(replaced.body["updated_at"] > created.body["updated_at"]);
  REQUIRE(s.call("PUT", path + "/OPENAI_KEY", R"({"value": "sk-proj-abc"})").status == 201);

  auto list = s.call("GET", path);
  REQUIRE(list.status == 200);
  CHECK(names_of(list) == std::vector<std::string>{"OPENAI_KEY", "STRIPE_KEY"});
  CHECK(list.body.dump().find("sk_live") == std::string::npos);
  CHECK(list.body.dump().find("sk-proj") == std::string::npos);

  auto sealed = stored_secret(s, id, "STRIPE_KEY");
  CHECK(sealed.rfind("v1:", 0) == 0);
  CHECK(sealed.find("sk_live") == std::string::npos);
  CHECK(paige::secrets::unseal(paige::secrets::parse_master_key(master_hex), sealed) ==
        "sk_live_456");

  // Bad input: a clear error, and nothing changes.
  auto lower = s.call("PUT", path + "/stripe_key", R"({"value": "x"})");
  CHECK(lower.status == 422);
  CHECK(lower.body["error"]["code"] == "invalid_secret_name");
  CHECK(s.call("PUT", path + "/PAIGE_API_KEY", R"({"value": "x"})").body["error"]["code"] ==
        "invalid_secret_name");
  CHECK(s.call("PUT", path + "/DATABASE_URL", R"({"value": "x"})").body["error"]["code"] ==
        "invalid_secret_name");
  CHECK(s.call("PUT", path + "/NUMBER", R"({"value": 5})").body["error"]["code"] ==
        "invalid_secret_value");
  CHECK(s.call("PUT", path + "/NUL", R"({"value": "a\u0000b"})").body["error"]["code"] ==
        "invalid_secret_value");
  auto huge = json{{"value", std::string(32 * 1024 + 1, 'v')}}.dump();
  CHECK(s.call("PUT", path + "/HUGE", huge).body["error"]["code"] == "invalid_secret_value");
  CHECK(s.call("PUT", path + "/EXTRA", R"({"value": "x", "note": 1})").body["error"]["code"] ==
        "unknown_field");
  CHECK(s.call("PUT", path + "/BROKEN", "{value").status == 400);
  CHECK(names_of(s.call("GET", path)) == std::vector<std::string>{"OPENAI_KEY", "STRIPE_KEY"});

  CHECK(s.call("DELETE", path + "/OPENAI_KEY").status == 204);
  auto gone = s.call("DELETE", path + "/OPENAI_KEY");
  CHECK(gone.status == 404);
  CHECK(gone.body["error"]["code"] == "secret_not_found");
  CHECK(stored_secret(s, id, "OPENAI_KEY").empty());

  auto unknown = s.call("GET", "/v1/projects/prj_0000000000000000/secrets");
  CHECK(unknown.status == 404);
  CHECK(unknown.body["error"]["code"] == "project_not_found");
  CHECK(s.call("GET", path, "", "").status == 401);

  // Secrets survive a restart.
  CHECK(s.server->terminate() == 0);
  s.start(master_hex);
  CHECK(names_of(s.call("GET", path)) == std::vector<std::string>{"STRIPE_KEY"});
}

TEST_CASE("a project key reaches its own project's secrets only", "[integration][secrets]") {
  project_server s;
  auto a = s.create("A")["id"].get<std::string>();
  auto b = s.create("B")["id"].get<std::string>();
  REQUIRE(s.wait_status(a, "active"));
  REQUIRE(s.call("PUT", "/v1/projects/" + b + "/secrets/B_TOKEN", R"({"value": "b"})").status ==
          201);
  auto key = s.call("POST", "/v1/projects/" + a + "/keys", R"({"name":"k"})")
                 .body["key"]
                 .get<std::string>();
  CHECK(s.call("PUT", "/v1/projects/" + a + "/secrets/A_TOKEN", R"({"value": "a"})", key).status ==
        201);
  CHECK(s.call("GET", "/v1/projects/" + a + "/secrets", "", key).status == 200);
  CHECK(s.call("GET", "/v1/projects/" + b + "/secrets", "", key).status == 404);
  CHECK(s.call("PUT", "/v1/projects/" + b + "/secrets/B_TOKEN", R"({"value": "x"})", key).status ==
        404);
  CHECK(s.call("DELETE", "/v1/projects/" + b + "/secrets/B_TOKEN", "", key).status == 404);
  CHECK(names_of(s.call("GET", "/v1/projects/" + b + "/secrets")) ==
        std::vector<std::string>{"B_TOKEN"});
  CHECK(paige::secrets::unseal(paige::secrets::parse_master_key(master_hex),
                               stored_secret(s, b, "B_TOKEN")) == "b");
}

TEST_CASE("a project holds at most 100 secrets, and its deletion deletes them",
          "[integration][secrets]") {
  project_server s;
  auto id = s.create("Many")["id"].get<std::string>();
  auto path = "/v1/projects/" + id + "/secrets/";
  for (int i = 0; i < 100; ++i)
    REQUIRE(s.call("PUT", path + "S" + std::to_string(i), R"({"value": "v"})").status == 201);
  auto full = s.call("PUT", path + "ONE_MORE", R"({"value": "v"})");
  CHECK(full.status == 422);
  CHECK(full.body["error"]["code"] == "too_many_secrets");
  CHECK(s.call("PUT", path + "S7", R"({"value": "new"})").status == 200);  // replacing still works

  REQUIRE(s.wait_status(id, "active"));
  REQUIRE(s.call("DELETE", "/v1/projects/" + id).status == 202);
  REQUIRE(s.wait_status(id, "deleted"));
  pqxx::connection c{s.control.conninfo()};
  pqxx::read_transaction tx{c};
  CHECK(tx.exec_params1("SELECT count(*) FROM project_secrets WHERE project_id = $1", id)[0]
            .as<int>() == 0);
}
