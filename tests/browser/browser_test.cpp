// The dashboard in a real browser: each scenario of tests/browser/*_test.mjs runs in Debian's
// chromium (playwright-core) against the real paige and the real simulator, with one active
// project connected to simulated number 1001 (the same set-up as the pipeline tests).
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace paige::test;

namespace {

/// Runs `node <node_args> <scenario>` against a fresh pipeline (paige started with
/// `paige_args`); the test fails with its output.
void run_scenario(const std::string& scenario, std::vector<std::string> paige_args = {},
                  std::vector<std::string> node_args = {"--test", "--test-reporter=spec"}) {
  pipeline p{{}, std::move(paige_args)};
  temp_dir out;
  std::vector<std::string> argv{"/usr/bin/env", "node"};
  argv.insert(argv.end(), node_args.begin(), node_args.end());
  argv.push_back(PAIGE_BROWSER_DIR "/" + scenario);
  const char* shots = std::getenv("SCREENSHOTS_DIR");
  child_process node{argv,
                     {{"PAIGE_URL", "http://127.0.0.1:" + std::to_string(p.s.server->port())},
                      {"PAIGE_ADMIN_KEY", admin_key},
                      {"PAIGE_PROJECT", p.project},
                      {"METASIM_URL", p.meta.url()},
                      {"METASIM_NUMBER", number_id},
                      {"SCREENSHOTS_DIR", shots ? shots : ""}},
                     out.path()};
  auto code = node.wait_exit(std::chrono::minutes{4});  // killed on destruction if not done
  INFO(node.stdout_text() << node.stderr_text());
  REQUIRE(code == 0);
}

}  // namespace

TEST_CASE("browser: sign-in, projects, settings, keys and what a project key sees", "[browser]") {
  run_scenario("projects_test.mjs");
}

TEST_CASE("browser: tables, rows of every type, errors at their field, SQL", "[browser]") {
  run_scenario("database_test.mjs");
}

TEST_CASE("browser: conversations live, state changes, sending, strangers' text as text",
          "[browser]") {
  // Idle conversation actors stop at once, so a test can move a contact's last message back
  // in time (the 24-hour window) in the database and have the next actor read it.
  run_scenario("conversations_test.mjs", {"--conversation-idle", "200ms"});
}

TEST_CASE("browser: the bot editor, its problems at their pointers, versions, operations",
          "[browser]") {
  run_scenario("bot_test.mjs");
}

// Not a test: scripts/screenshots.sh runs it to refresh docs/screenshots/ (hidden from CTest).
TEST_CASE("browser: screenshots of every page", "[.screenshots]") {
  run_scenario("screenshots.mjs", {}, {});
}
