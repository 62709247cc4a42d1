// The Bot section through the real binary: versions, validation, project keys.
#include "actors/core/bot_definition.hpp"
#include "tests/support/project_server.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

using namespace paige::test;

TEST_CASE("a new project has the starter bot, PUT adds versions, invalid ones change nothing",
          "[integration][bot]") {
  project_server s;
  auto id = s.create("Bots")["id"].get<std::string>();
  auto path = "/v1/projects/" + id + "/bot";

  auto first = s.call("GET", path);
  REQUIRE(first.status == 200);
  CHECK(first.body["version"] == 1);
  CHECK(first.body["definition"] == paige::actors::bot::starter_bot());
  CHECK(first.body["created_at"].is_string());

  auto put = s.call("PUT", path, paige::actors::bot::echo_bot().dump());
  REQUIRE(put.status == 201);
  CHECK(put.body["version"] == 2);
  CHECK(put.body["definition"] == paige::actors::bot::echo_bot());

  auto bad =
      s.call("PUT", path, R"({"initial_state": "nope", "states": {"a": {"kind": "await", "routes": [
      {"when": {"text_matches": "("}, "then": [{"save": {"table": "messages", "values": {"x": "y"}}}]}]}}})");
  CHECK(bad.status == 422);
  CHECK(bad.body["error"]["code"] == "invalid_bot");
  auto problems = bad.body["error"]["details"]["problems"];
  REQUIRE(problems.size() >= 2);
  std::set<std::string> pointers;
  for (const auto& p : problems) pointers.insert(p["pointer"].get<std::string>());
  CHECK(pointers.count("/states/a/routes/0/when/text_matches"));
  CHECK(pointers.count("/states/a/routes/0/then/0/save/table"));
  CHECK(s.call("PUT", path, "{broken").status == 400);
  CHECK(s.call("PUT", path, "[]").body["error"]["code"] == "invalid_bot");
  CHECK(s.call("GET", path).body["version"] == 2);
  // The versions, newest first, each with its definition (the dashboard restores from them).
  auto versions = s.call("GET", path + "/versions");
  REQUIRE(versions.status == 200);
  REQUIRE(versions.body["items"].size() == 2);
  CHECK(versions.body["items"][0]["version"] == 2);
  CHECK(versions.body["items"][0]["definition"] == paige::actors::bot::echo_bot());
  CHECK(versions.body["items"][1]["version"] == 1);
  CHECK(versions.body["items"][1]["definition"] == paige::actors::bot::starter_bot());
  CHECK(s.call("GET", "/v1/projects/prj_0000000000000000/bot/versions").status == 404);

  // Versions survive a restart.
  CHECK(s.server->terminate() == 0);
  s.start(master_hex);
  auto after = s.call("GET", path);
  CHECK(after.body["version"] == 2);
  CHECK(after.body["definition"] == paige::actors::bot::echo_bot());
}

TEST_CASE("a project key manages its own bot only", "[integration][bot]") {
  project_server s;
  auto a = s.create("A")["id"].get<std::string>();
  auto b = s.create("B")["id"].get<std::string>();
  REQUIRE(s.wait_status(a, "active"));
  auto key = s.call("POST", "/v1/projects/" + a + "/keys", R"({"name":"k"})")
                 .body["key"]
                 .get<std::string>();
  CHECK(s.call("GET", "/v1/projects/" + a + "/bot", "", key).status == 200);
  CHECK(s.call("PUT", "/v1/projects/" + a + "/bot", paige::actors::bot::echo_bot().dump(), key)
            .status == 201);
  CHECK(s.call("GET", "/v1/projects/" + b + "/bot", "", key).status == 404);
  CHECK(s.call("PUT", "/v1/projects/" + b + "/bot", paige::actors::bot::echo_bot().dump(), key)
            .status == 404);
  CHECK(s.call("GET", "/v1/projects/" + b + "/bot").body["version"] == 1);
  CHECK(s.call("GET", "/v1/projects/" + a + "/bot", "", "").status == 401);
  CHECK(s.call("GET", "/v1/projects/" + a + "/bot/versions", "", key).body["items"].size() == 2);
  CHECK(s.call("GET", "/v1/projects/" + b + "/bot/versions", "", key).status == 404);
  CHECK(s.call("GET", "/v1/projects/" + b + "/bot/diff?from=1", "", key).status == 404);
  CHECK(s.call("POST", "/v1/projects/" + b + "/bot/versions/1/restore", "", key).status == 404);
  CHECK(s.call("GET", "/v1/projects/" + b + "/bot/runtime", "", key).status == 404);
  CHECK(s.call("GET", "/v1/projects/" + b + "/bot").body["version"] == 1);
}

TEST_CASE("a kept version's diff against another, and its restore as the newest version",
          "[integration][bot]") {
  project_server s;
  auto id = s.create("Diffs")["id"].get<std::string>();
  REQUIRE(s.wait_status(id, "active"));
  auto path = "/v1/projects/" + id + "/bot";
  REQUIRE(s.call("PUT", path, paige::actors::bot::echo_bot().dump()).status == 201);

  auto diff = s.call("GET", path + "/diff?from=1&to=2");
  REQUIRE(diff.status == 200);
  CHECK(diff.body["from"] == 1);
  CHECK(diff.body["to"] == 2);
  REQUIRE(diff.body["files"].size() == 1);
  CHECK(diff.body["files"][0]["path"] == "definition.json");
  CHECK(diff.body["files"][0]["change"] == "changed");
  CHECK(diff.body["files"][0]["diff"].get<std::string>().rfind("@@ -", 0) == 0);
  CHECK(s.call("GET", path + "/diff?from=2").body["files"].empty());  // to: the current one
  CHECK(s.call("GET", path + "/diff?from=2&to=1").body["files"][0]["diff"] !=
        diff.body["files"][0]["diff"]);
  CHECK(s.call("GET", path + "/diff?from=7").body["error"]["code"] == "bot_version_not_found");
  CHECK(s.call("GET", path + "/diff").body["error"]["code"] == "invalid_argument");
  CHECK(s.call("GET", path + "/diff?from=1&to=-2").status == 422);

  auto restored = s.call("POST", path + "/versions/1/restore");
  REQUIRE(restored.status == 201);
  CHECK(restored.body["version"] == 3);
  CHECK(restored.body["definition"] == paige::actors::bot::starter_bot());
  CHECK(s.call("GET", path).body["version"] == 3);
  CHECK(s.call("POST", path + "/versions/9/restore").status == 404);
  CHECK(s.call("POST", path + "/versions/abc/restore").status == 404);
  CHECK(s.call("GET", path).body["version"] == 3);
  CHECK(s.call("GET", path + "/runtime").body == json{{"hosted", false}});
}

TEST_CASE("definitions are bounded in size and only the last versions are kept",
          "[integration][bot]") {
  project_server s;
  auto id = s.create("Bounded")["id"].get<std::string>();
  auto path = "/v1/projects/" + id + "/bot";
  // 30 saves of a 2.9 MB definition grew the shared control database by 87 MB.
  auto big = paige::actors::bot::echo_bot();
  big["states"]["unstructured"]["routes"][0]["then"][0]["send"]["text"]["body"] =
      std::string(300 * 1024, 'x');
  auto refused = s.call("PUT", path, big.dump());
  CHECK(refused.status == 422);
  CHECK(refused.body["error"]["code"] == "invalid_bot");
  CHECK(refused.body["error"]["details"]["problems"][0]["message"].get<std::string>().find(
            "at most 262144") != std::string::npos);
  // A pattern RE2 refuses: 422 with its pointer.
  auto pattern = paige::actors::bot::echo_bot();
  pattern["states"]["unstructured"]["routes"][0]["when"] = {{"text_matches", "(a)\\1"}};
  auto bad = s.call("PUT", path, pattern.dump());
  CHECK(bad.status == 422);
  CHECK(bad.body["error"]["details"]["problems"][0]["pointer"] ==
        "/states/unstructured/routes/0/when/text_matches");
  for (int i = 0; i < 25; ++i)
    REQUIRE(s.call("PUT", path, paige::actors::bot::echo_bot().dump()).status == 201);
  CHECK(s.call("GET", path).body["version"] == 26);
  auto listed = s.call("GET", path + "/versions").body["items"];
  REQUIRE(listed.size() == 20);
  CHECK(listed.front()["version"] == 26);
  CHECK(listed.back()["version"] == 7);
  pqxx::connection c{s.control.conninfo()};
  pqxx::work tx{c};
  auto kept =
      tx.exec_params1("SELECT count(*), min(version) FROM bot_versions WHERE project_id = $1", id);
  CHECK(kept[0].as<int>() == 20);
  CHECK(kept[1].as<int>() == 7);
}
