#include "actors/core/code_files.hpp"
#include "actors/core/code_bot_target.hpp"

#include "tests/actors/core/problems.hpp"

#include <catch2/catch.hpp>

using namespace paige::actors;
using namespace paige::actors::bot;
using json = nlohmann::json;
using paige::actors::test::has_problem;

namespace {

json package(json extra = json::object()) {
  json p{{"name", "bot"}, {"version", "1.0.0"}};
  p.update(extra);
  return p;
}

std::vector<problem> problems_of(const json& files) {
  std::vector<problem> problems;
  read_code_files(files, "/files", problems);
  return problems;
}

}  // namespace

TEST_CASE("a hosted bot's files: package.json, its main, and a lock file with dependencies",
          "[code_bot][hosted]") {
  std::vector<problem> problems;
  auto code = read_code_files({{"package.json", package({{"main", "./src/server.js"}}).dump()},
                               {"src/server.js", "require('http')"},
                               {"lib/a.js", ""}},
                              "/files", problems);
  CHECK(problems.empty());
  CHECK(code.main == "src/server.js");
  CHECK_FALSE(code.installs);
  CHECK(code.files.size() == 3);

  // Without "main", index.js, as npm reads it.
  code =
      read_code_files({{"package.json", package().dump()}, {"index.js", ""}}, "/files", problems);
  CHECK(problems.empty());
  CHECK(code.main == "index.js");

  auto deps = package({{"dependencies", {{"pg", "^8.13.1"}}}}).dump();
  code = read_code_files({{"package.json", deps},
                          {"index.js", ""},
                          {"package-lock.json", R"({"lockfileVersion": 3})"}},
                         "/files", problems);
  CHECK(problems.empty());
  CHECK(code.installs);

  CHECK(has_problem(problems_of({{"package.json", deps}, {"index.js", ""}}),
                    "/files/package-lock.json", "add its package-lock.json"));
  CHECK(has_problem(
      problems_of({{"package.json", deps}, {"index.js", ""}, {"package-lock.json", "{not json"}}),
      "/files/package-lock.json", "not a JSON object"));
  CHECK(has_problem(problems_of({{"index.js", ""}}), "/files/package.json", "missing"));
  CHECK(has_problem(problems_of({{"package.json", "{\"main\": "}, {"index.js", ""}}),
                    "/files/package.json", "not a JSON object"));
  CHECK(has_problem(problems_of({{"package.json", package({{"main", "app.js"}}).dump()}}),
                    "/files/package.json", "app.js, which is not among the files"));
  CHECK(has_problem(
      problems_of({{"package.json", package({{"dependencies", "pg"}}).dump()}, {"index.js", ""}}),
      "/files/package.json", "\"dependencies\" is an object"));
  CHECK(has_problem(problems_of(json::array()), "/files", "package.json"));
  CHECK(has_problem(problems_of(json::object()), "/files", "package.json"));
}

TEST_CASE("a hosted bot's paths stay inside its directory and out of node_modules",
          "[code_bot][hosted]") {
  auto with = [](const std::string& path, json content = "") {
    return json{{"package.json", package().dump()}, {"index.js", ""}, {path, content}};
  };
  for (const auto* bad : {"../etc/passwd", "/etc/passwd", "a//b.js", "./a.js", "a/../b.js",
                          "a/./b.js", "a b.js", "a\\b.js", "é.js", "a/", ""}) {
    INFO(bad);
    CHECK(has_problem(problems_of(with(bad)), "/files/" + pointer_escape(bad), "path"));
  }
  CHECK(has_problem(problems_of(with("node_modules/pg/index.js")),
                    "/files/node_modules~1pg~1index.js", "npm ci installs it"));
  CHECK(problems_of(with("lib/node_modules/x.js")).empty());  // only the top one is npm's
  CHECK(problems_of(with(".npmrc")).empty());
  CHECK(problems_of(with("@scope+x/a_b-c.1.js")).empty());
  CHECK(has_problem(problems_of(with(std::string(max_code_path + 1, 'a'))),
                    "/files/" + std::string(max_code_path + 1, 'a'), "1 to 200 bytes"));
  CHECK(has_problem(problems_of(with("a.js", 7)), "/files/a.js", "a string"));
}

TEST_CASE("a hosted bot's files are bounded in number and size", "[code_bot][hosted]") {
  json files{{"package.json", package().dump()}, {"index.js", ""}};
  for (std::size_t i = 0; i < max_code_files; ++i) files["f" + std::to_string(i) + ".js"] = "";
  CHECK(has_problem(problems_of(files), "/files", "at most 200 files"));

  json big{{"package.json", package().dump()},
           {"index.js", std::string(max_code_file_bytes + 1, 'x')}};
  CHECK(has_problem(problems_of(big), "/files/index.js", "at most 1048576 bytes"));
  json total{{"package.json", package().dump()},
             {"index.js", std::string(max_code_file_bytes, 'x')},
             {"a.js", std::string(max_code_file_bytes, 'x')},
             {"b.js", "x"}};
  CHECK(has_problem(problems_of(total), "/files", "at most 2097152 are allowed"));
}

TEST_CASE("a hosted bot's definition: files instead of a URL, the rest as an external bot's",
          "[code_bot][hosted]") {
  json doc{{"kind", "code"},
           {"files", {{"package.json", package().dump()}, {"index.js", ""}}},
           {"timeout_seconds", 5},
           {"initial_state", "welcome"}};
  CHECK(is_code_bot(doc));
  std::string initial;
  auto r = read_code_target(doc, {}, initial);
  REQUIRE(std::holds_alternative<code_target>(r));
  const auto& t = std::get<code_target>(r);
  REQUIRE(t.hosted);
  CHECK(t.hosted->main == "index.js");
  CHECK(t.url.empty());
  CHECK(t.timeout == std::chrono::seconds{5});
  CHECK(initial == "welcome");

  doc["url"] = "https://bot.example.com/";
  r = read_code_target(doc, {}, initial);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  CHECK(has_problem(std::get<std::vector<problem>>(r), "/url", "a hosted bot has no URL"));
  doc.erase("url");
  doc.erase("files");
  r = read_code_target(doc, {}, initial);
  REQUIRE(std::holds_alternative<std::vector<problem>>(r));
  CHECK(has_problem(std::get<std::vector<problem>>(r), "/files", "package.json"));
}

TEST_CASE(
    "two versions' diff: each file added, removed or changed, and the rest of the "
    "definition",
    "[code_bot][hosted][diff]") {
  json v1{{"kind", "code"},
          {"timeout_seconds", 10},
          {"files", {{"package.json", "{}\n"}, {"bot.js", "a\nb\n"}, {"old.js", "x\n"}}}};
  json v2{{"kind", "code"},
          {"timeout_seconds", 5},
          {"files", {{"package.json", "{}\n"}, {"bot.js", "a\nB\n"}, {"new.js", "y\n"}}}};
  auto changes = diff_versions(v1, v2);
  REQUIRE(changes.size() == 4);
  CHECK(changes[0] ==
        json{{"path", "bot.js"}, {"change", "changed"}, {"diff", "@@ -1,2 +1,2 @@\n a\n-b\n+B\n"}});
  CHECK(changes[1]["path"] == "definition.json");
  CHECK(changes[1]["diff"].get<std::string>().find(
            "-  \"timeout_seconds\": 10\n+  \"timeout_seconds\": 5") != std::string::npos);
  CHECK(changes[2] ==
        json{{"path", "new.js"}, {"change", "added"}, {"diff", "@@ -0,0 +1 @@\n+y\n"}});
  CHECK(changes[3] ==
        json{{"path", "old.js"}, {"change", "removed"}, {"diff", "@@ -1 +0,0 @@\n-x\n"}});
  CHECK(diff_versions(v1, v1).empty());

  // A declarative definition is one text; one turned into code keeps its definition.json.
  json declarative{{"initial_state", "s"}, {"states", json::object()}};
  changes = diff_versions(declarative, v1);
  REQUIRE(changes.size() == 4);
  CHECK(changes[1]["path"] == "definition.json");
  CHECK(changes[1]["change"] == "changed");
  CHECK(version_texts(declarative).size() == 1);
}
