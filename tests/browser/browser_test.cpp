// The dashboard in a real browser: each scenario of tests/browser/*_test.mjs runs in Debian's
// chromium (playwright-core) against the real paige and the real simulator, with one active
// project connected to simulated number 1001 (the same set-up as the pipeline tests).
#include "tests/support/pipeline.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace paige::test;

namespace {

namespace fs = std::filesystem;

/// A port nobody listens on now, so that a restarted paige can take the same one again.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t size = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct scenario_options {
  std::vector<std::string> paige_args;
  std::vector<std::string> node_args{"--test", "--test-reporter=spec"};
  bool restartable = false;  ///< paige on a fixed port, restarted when the scenario asks
  std::vector<std::string> meta_args{};
};

/// Runs `node <node_args> <scenario>` against a fresh pipeline; the test fails with its
/// output. A restartable scenario asks for a restart of paige by creating the file
/// `$PAIGE_CONTROL_DIR/restart`, and waits for `$PAIGE_CONTROL_DIR/restarted`.
void run_scenario(const std::string& scenario, scenario_options o = {}) {
  if (o.restartable)
    o.paige_args.insert(o.paige_args.end(),
                        {"--listen", "127.0.0.1:" + std::to_string(free_port())});
  pipeline p{std::move(o.meta_args), std::move(o.paige_args)};
  temp_dir out;
  temp_dir control;
  std::vector<std::string> argv{"/usr/bin/env", "node"};
  argv.insert(argv.end(), o.node_args.begin(), o.node_args.end());
  argv.push_back(PAIGE_BROWSER_DIR "/" + scenario);
  const char* shots = std::getenv("SCREENSHOTS_DIR");
  child_process node{argv,
                     {{"PAIGE_URL", "http://127.0.0.1:" + std::to_string(p.s.server->port())},
                      {"PAIGE_ADMIN_KEY", admin_key},
                      {"PAIGE_PROJECT", p.project},
                      {"METASIM_URL", p.meta.url()},
                      {"METASIM_NUMBER", number_id},
                      {"PAIGE_CONTROL_DIR", control.path()},
                      {"SCREENSHOTS_DIR", shots ? shots : ""}},
                     out.path()};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes{4};
  std::optional<int> code;
  while (!(code = node.wait_exit(std::chrono::milliseconds{50})) &&
         std::chrono::steady_clock::now() < deadline) {
    auto request = fs::path{control.path()} / "restart";
    if (o.restartable && fs::exists(request)) {
      fs::remove(request);
      p.restart();
      std::ofstream{fs::path{control.path()} / "restarted"} << p.s.server->port();
    }
  }
  INFO(node.stdout_text() << node.stderr_text());
  REQUIRE(code == 0);  // not done in time: killed on destruction
}

}  // namespace

TEST_CASE("browser: sign-in, projects, settings, keys and what a project key sees", "[browser]") {
  // Meta's app 4242 on both sides: the embedded signup is offered, its dialog is the simulator's.
  scenario_options o;
  o.paige_args = {"--app-id", "4242"};
  o.meta_args = {"--app-id", "4242"};
  run_scenario("projects_test.mjs", o);
}

TEST_CASE("browser: message templates made, reviewed live, edited, deleted and synced",
          "[browser]") {
  // Meta's app 4242 on both sides: media headers are uploaded through its Resumable Upload API.
  scenario_options o;
  o.paige_args = {"--app-id", "4242"};
  o.meta_args = {"--app-id", "4242"};
  run_scenario("templates_test.mjs", o);
}

TEST_CASE("browser: flows checked at their pointers, published, blocked live, deprecated, deleted",
          "[browser]") {
  run_scenario("flows_test.mjs");
}

TEST_CASE("browser: tables, rows of every type, errors at their field, SQL", "[browser]") {
  run_scenario("database_test.mjs");
}

TEST_CASE("browser: conversations live, state changes, sending, strangers' text as text",
          "[browser]") {
  // Idle conversation actors stop at once, so a test can move a contact's last message back
  // in time (the 24-hour window) in the database and have the next actor read it.
  run_scenario("conversations_test.mjs", {{"--conversation-idle", "200ms"}});
}

TEST_CASE("browser: a restart of paige under an open page: reconnect, missed events, reload",
          "[browser]") {
  run_scenario("restart_test.mjs", {{}, {"--test", "--test-reporter=spec"}, true});
}

TEST_CASE("browser: the bot editor, its problems at their pointers, versions, operations",
          "[browser]") {
  run_scenario("bot_test.mjs");
}

// Not a test: scripts/screenshots.sh runs it to refresh docs/screenshots/ (hidden from CTest).
TEST_CASE("browser: screenshots of every page", "[.screenshots]") {
  run_scenario("screenshots.mjs", {{}, {}});
}
