// Hosted bots' processes (runtime/bot_processes.cpp): one project's slow install holds no other
// project's launch, installs take turns server-wide, and a version that is never healthy is
// killed at the start timeout. `npm` is a script that sleeps here, so nothing is fetched from
// the registry.
#include "runtime/bot_processes.hpp"

#include <catch2/catch.hpp>

#include "tests/support/child_process.hpp"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using paige::actors::bot_launch;
using paige::actors::bot_process;

namespace {

const char* server_js = R"js(require('http').createServer((req, res) => res.end('ok'))
  .listen(Number(process.env.PORT), '127.0.0.1');
)js";

/// A version of project `project`; `installs`: it names dependencies (npm runs first).
bot_launch version_of(const std::string& project, bool installs,
                      const std::string& source = server_js) {
  auto code = std::make_shared<paige::actors::bot::code_files>();
  code->files = {{"package.json", R"({"name": "b", "main": "server.js"})"}, {"server.js", source}};
  code->main = "server.js";
  code->installs = installs;
  bot_launch l;
  l.project_id = project;
  l.code = std::move(code);
  l.key = installs ? "installs" : "plain";
  return l;
}

struct fixture {
  paige::test::temp_dir tmp;
  paige::runtime::bot_process_options opts;

  /// `npm` sleeps `seconds` and succeeds.
  explicit fixture(int seconds) {
    // The projects' accounts run the script: they may pass through the directory.
    fs::permissions(tmp.path(), fs::perms::others_exec, fs::perm_options::add);
    opts.dir = tmp.path() + "/bots";
    opts.npm = tmp.path() + "/npm";
    std::ofstream{opts.npm} << "#!/bin/sh\nexec sleep " << seconds << "\n";
    fs::permissions(opts.npm,
                    fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec,
                    fs::perm_options::replace);
  }
};

bot_process launch(paige::runtime::bot_processes& host, const bot_launch& l) {
  return host.launch(
      l, [](int, std::string) {}, [](int, int) {});
}

}  // namespace

TEST_CASE("one project's install holds no other project's launch", "[bot_processes]") {
  fixture f{10};
  std::optional<paige::runtime::bot_processes> host{std::in_place, f.opts};
  host->set_api_url("http://127.0.0.1:1");
  std::atomic<bool> slow_done{false};
  bot_process slow_result;
  std::thread slow([&] {
    slow_result = launch(*host, version_of("prj_0000000000000a01", true));
    slow_done = true;
  });
  // The slow install is under way (its files are written) before the other project starts.
  REQUIRE(paige::test::wait_until(
      [&] { return fs::exists(f.opts.dir + "/prj_0000000000000a01/installs.partial"); }));
  auto quick = launch(*host, version_of("prj_0000000000000a02", false));
  CHECK(quick.ok);
  CHECK_FALSE(slow_done);  // it still installs: the quick one did not wait for it
  slow.join();
  CHECK(slow_result.ok);
  host->forget("prj_0000000000000a01");
  host->forget("prj_0000000000000a02");
}

TEST_CASE("installs take turns past the server's concurrent installs", "[bot_processes]") {
  fixture f{2};
  f.opts.concurrent_installs = 1;
  paige::runtime::bot_processes host{f.opts};
  host.set_api_url("http://127.0.0.1:1");
  auto started = std::chrono::steady_clock::now();
  bot_process first, second;
  std::thread a([&] { first = launch(host, version_of("prj_0000000000000b01", true)); });
  std::thread b([&] { second = launch(host, version_of("prj_0000000000000b02", true)); });
  a.join();
  b.join();
  CHECK(first.ok);
  CHECK(second.ok);
  // One slot: the two 2 s installs ran one after the other.
  CHECK(std::chrono::steady_clock::now() - started >= 4s);
  host.forget("prj_0000000000000b01");
  host.forget("prj_0000000000000b02");
}

TEST_CASE("a version that never answers its health check is killed at the start timeout",
          "[bot_processes]") {
  fixture f{0};
  f.opts.start_timeout = 2s;
  paige::runtime::bot_processes host{f.opts};
  host.set_api_url("http://127.0.0.1:1");
  // It listens, and prints, but its health is never 200.
  auto unhealthy = version_of("prj_0000000000000a04", false, R"js(
require('http').createServer((req, res) => { res.statusCode = 503; res.end('not yet'); })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening, not ready'));
)js");
  auto started = std::chrono::steady_clock::now();
  auto r = launch(host, unhealthy);
  CHECK_FALSE(r.ok);
  CHECK(r.stage == "health");
  CHECK(r.output.find("listening, not ready") != std::string::npos);
  CHECK(r.output.find("GET /health did not answer 200 within 2 s") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started >= 2s);
  // Killed, not left running beside the version that stays.
  CHECK(paige::test::wait_until([&] { return ::kill(r.pid, 0) != 0; }));
}
