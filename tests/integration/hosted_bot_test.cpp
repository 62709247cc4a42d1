// Code bots that Paige hosts (`{"kind": "code"}`, docs/bot-contract.md): each version installed
// and started as its project's own process, events posted to it, its crashes, hangs and failed
// deploys handled, end to end through the simulator with a real Node.js and a real Postgres.
#include "tests/support/event_stream.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/starter_walk.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "actors/bot_runner.hpp"
#include "actors/core/bot_definition.hpp"
#include "runtime/subprocess.hpp"
#include "storage/conninfo.hpp"

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace paige::test;

namespace {

/// An echo bot without dependencies: it checks each event's signature with PAIGE_BOT_SECRET,
/// answers "<tag>: <text>"; "slow" is answered after 3 s (and logged first), "hang" never,
/// "hog" after taking 800 MB (past any memory limit here).
std::string echo_js(const std::string& tag) {
  return R"js('use strict';
const http = require('http');
const crypto = require('crypto');
const secret = process.env.PAIGE_BOT_SECRET;
const answer = (res, status, body) => {
  res.writeHead(status, {'Content-Type': 'application/json'});
  res.end(JSON.stringify(body));
};
const text = (body) => ({send: {type: 'text', text: {body}}});
http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') return answer(res, 200, {ok: true});
  let raw = '';
  req.on('data', (c) => { raw += c; });
  req.on('end', () => {
    const ts = req.headers['paige-timestamp'];
    const want = 'sha256=' + crypto.createHmac('sha256', secret).update(ts + '.' + raw).digest('hex');
    if (req.headers['paige-signature'] !== want) return answer(res, 401, {error: 'bad signature'});
    const event = JSON.parse(raw);
    const said = event.message.text;
    if (said === 'slow') {
      console.log('holding ' + event.event_id);
      return setTimeout(() => answer(res, 200, {actions: [text('slow done')]}), 3000);
    }
    if (said === 'hang') return;
    if (said === 'hog') {
      const keep = [];
      for (let i = 0; i < 100; i++) keep.push(Buffer.alloc(8 << 20, 1));
    }
    if (said === 'whoami') return answer(res, 200, {actions: [text(String(process.getuid()))]});
    answer(res, 200, {actions: [text(')js" +
         tag + R"js(: ' + said), {set: {n: (event.conversation.vars.n || 0) + 1}}]});
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
)js";
}

json package_json(const json& extra = json::object()) {
  json p{{"name", "echo-bot"}, {"version", "1.0.0"}, {"private", true}, {"main", "server.js"}};
  p.update(extra);
  return p;
}

json hosted_bot(json files, json extra = json::object()) {
  json doc{{"kind", "code"}, {"files", std::move(files)}};
  doc.update(extra);
  return doc;
}

json echo_files(const std::string& tag) {
  return {{"package.json", package_json().dump(2)}, {"server.js", echo_js(tag)}};
}

/// Saves a hosted bot's definition: the answer waits for its deploy, whose `npm ci` from the
/// registry may take minutes on a busy machine.
json_reply deploy(pipeline& p, const std::string& definition) {
  http_connection c{p.s.server->port()};
  auto r = c.request("PUT", "/v1/projects/" + p.project + "/bot", definition,
                     {{"Authorization", "Bearer " + admin_key}}, std::chrono::minutes{6});
  return {r.status, r.body.empty() ? json() : json::parse(r.body, nullptr, false)};
}

json runtime_of(pipeline& p) {
  return p.s.call("GET", "/v1/projects/" + p.project + "/bot/runtime").body;
}

}  // namespace

TEST_CASE(
    "a hosted code bot: deployed, signed events in per-contact order, a new version swapped in",
    "[integration][hosted_bot]") {
  pipeline p;
  auto put = deploy(p, hosted_bot(echo_files("v1")).dump());
  REQUIRE(put.status == 201);
  CHECK(put.body["definition"]["kind"] == "code");
  auto runtime = runtime_of(p);
  CHECK(runtime["hosted"] == true);
  CHECK(runtime["state"] == "running");
  CHECK(runtime["version"] == put.body["version"]);
  CHECK(runtime["output"].get<std::string>().find("listening") != std::string::npos);
  auto first_pid = runtime["pid"].get<int>();

  // Its own OS account when the server runs as root, never the server's.
  p.say("15550301", "whoami");
  auto who = p.replies("15550301", 1);
  if (::geteuid() == 0) CHECK(body_of(who[0]) != "0");

  // The bot log: the process's start and output, and each event's record, followed live.
  auto logs = [&](const std::string& query, const std::string& key = admin_key) {
    return p.s.call("GET", "/v1/projects/" + p.project + "/bot/logs" + query, "", key);
  };
  auto started = logs("?type=process").body["items"];
  REQUIRE(!started.empty());
  CHECK(started[0]["data"]["what"] == "started");
  CHECK(started[0]["data"]["pid"] == first_pid);
  CHECK(logs("?type=output&contains=listening").body["items"].size() == 1);
  json events;
  REQUIRE(wait_until([&] {
    events = logs("?type=event").body;
    return events["items"].size() == 1;
  }));
  auto record = events["items"][0]["data"];
  CHECK(record["wa_id"] == "15550301");
  CHECK(record["status"] == 200);
  CHECK(record["sends"] == 1);
  CHECK(record["actions"].size() == 1);
  CHECK(record["duration_ms"].get<double>() > 0);
  CHECK(logs("?type=events").body["error"]["code"] == "invalid_log_type");
  CHECK(logs("?limit=0").body["error"]["code"] == "invalid_limit");
  {
    event_stream follow(p.s.server->port(), "/v1/projects/" + p.project + "/bot/logs/stream",
                        admin_key, events["last_id"]);
    REQUIRE(follow.status() == 200);
    p.say("15550301", "followed");
    std::optional<sse_event> live;
    while ((live = follow.next()) && live->type != "bot.event") {
    }
    REQUIRE(live);
    CHECK(live->data["message_id"].get<std::int64_t>() > record["message_id"].get<std::int64_t>());
  }
  // Another project's key does not find it.
  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto other_key =
      p.s.call("POST", "/v1/projects/" + other + "/keys", json{{"name", "k"}}.dump()).body["key"];
  CHECK(logs("", other_key.get<std::string>()).status == 404);
  p.replies("15550301", 2);

  constexpr int contacts = 50, per_contact = 20;
  REQUIRE(p.write_concurrently("1777", contacts, per_contact) == 0);
  for (int c = 0; c < contacts; ++c) {
    auto wa = "1777" + std::to_string(1000 + c);
    auto r = p.replies(wa, per_contact);
    REQUIRE(r.size() == per_contact);
    for (int i = 0; i < per_contact; ++i) CHECK(body_of(r[i]) == "v1: m" + std::to_string(i));
  }
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    // Each conversation counted its messages through the bot's `set`: none lost or repeated.
    CHECK(tx.exec1("SELECT count(*) FROM conversations WHERE vars->>'n' = '20'")[0].as<int>() ==
          contacts);
  }

  // A new version: started beside the old one, given the events once it answers its health.
  REQUIRE(deploy(p, hosted_bot(echo_files("v2")).dump()).status == 201);
  p.say("15550301", "after");
  auto r = p.replies("15550301", 3);
  CHECK(body_of(r[2]) == "v2: after");
  CHECK(runtime_of(p)["pid"] != first_pid);

  // Previews: the running version answers its own (no other process starts); a kept version
  // runs in a preview process of its own, while the contacts keep talking to v2.
  auto v1 = put.body["version"].get<int>();
  auto preview = [&](json body) {
    http_connection c{p.s.server->port()};
    auto r = c.request("POST", "/v1/projects/" + p.project + "/bot/preview", body.dump(),
                       {{"Authorization", "Bearer " + admin_key}}, std::chrono::minutes{6});
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  };
  auto current = preview({{"messages", {"hi", "again"}}});
  CHECK(current["kind"] == "code");
  CHECK(current["steps"][0]["replies"][0]["text"]["body"] == "v2: hi");
  CHECK(current["steps"][1]["vars"] == json{{"n", 2}});
  auto preview_starts = [&] {
    int n = 0;
    auto items = logs("?type=process").body["items"];
    for (const auto& e : items) n += e["data"].value("preview", false) ? 1 : 0;
    return n;
  };
  CHECK(preview_starts() == 0);
  auto kept = preview({{"messages", {"hi"}}, {"version", v1}});
  CHECK(kept["version"] == v1);
  CHECK(kept["steps"][0]["replies"][0]["text"]["body"] == "v1: hi");
  CHECK(preview_starts() == 1);
  CHECK(preview({{"messages", {"hi"}},
                 {"version", v1}})["steps"][0]["replies"][0]["text"]["body"] == "v1: hi");
  CHECK(preview_starts() == 1);  // the preview's process serves the next preview of v1
  p.say("15550301", "live");
  CHECK(body_of(p.replies("15550301", 4)[3]) == "v2: live");
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    CHECK(tx.exec1("SELECT count(*) FROM contacts WHERE wa_id = '15550100000'")[0].as<int>() == 0);
  }

  // What changed from v1 to v2: server.js's one line.
  auto diff = p.s.call("GET", "/v1/projects/" + p.project + "/bot/diff?from=" + std::to_string(v1));
  REQUIRE(diff.status == 200);
  CHECK(diff.body["to"] == v1 + 1);
  REQUIRE(diff.body["files"].size() == 1);
  CHECK(diff.body["files"][0]["path"] == "server.js");
  CHECK(diff.body["files"][0]["change"] == "changed");
  CHECK(diff.body["files"][0]["diff"].get<std::string>().find(
            "-    answer(res, 200, {actions: [text('v1: ' + said)") != std::string::npos);
  // v1 restored: saved as the newest version, and running again from its installed directory.
  auto restored = p.s.call(
      "POST", "/v1/projects/" + p.project + "/bot/versions/" + std::to_string(v1) + "/restore");
  REQUIRE(restored.status == 201);
  CHECK(restored.body["version"] == v1 + 2);
  CHECK(runtime_of(p)["version_key"] == runtime["version_key"]);
  p.say("15550301", "restored");
  CHECK(body_of(p.replies("15550301", 5)[4]) == "v1: restored");
  CHECK(p.s.call("POST", "/v1/projects/" + p.project + "/bot/versions/999/restore")
            .body["error"]["code"] == "bot_version_not_found");
  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/bot/diff?from=x").status == 422);

  // Back to a declarative bot: the process stops.
  p.put_bot(paige::actors::bot::echo_bot());
  CHECK(runtime_of(p)["hosted"] == false);

  // The project deleted: its bot's files and OS account go with it.
  const std::string bots = p.s.dir.path() + "/bots/" + p.project;
  const std::string account = "paige-bot-" + p.project.substr(p.project.find('_') + 1);
  CHECK(std::filesystem::exists(bots));
  if (::geteuid() == 0) CHECK(paige::runtime::find_os_user(account));
  REQUIRE(p.s.call("DELETE", "/v1/projects/" + p.project).status == 202);
  REQUIRE(p.s.wait_status(p.project, "deleted"));
  CHECK(wait_until([&] { return !std::filesystem::exists(bots); }));
  CHECK(wait_until([&] { return !paige::runtime::find_os_user(account); }));
}

TEST_CASE(
    "a hosted bot's deploy that fails to install or start is refused and the running one "
    "stays",
    "[integration][hosted_bot]") {
  pipeline p;
  REQUIRE(deploy(p, hosted_bot(echo_files("v1")).dump()).status == 201);
  auto running = p.s.call("GET", "/v1/projects/" + p.project + "/bot").body;

  // npm ci refuses a lock file out of step with package.json, before it downloads anything.
  auto unsynced = echo_files("v2");
  unsynced["package.json"] = package_json({{"dependencies", {{"left-pad", "^1.3.0"}}}}).dump();
  unsynced["package-lock.json"] =
      json{{"name", "echo-bot"}, {"lockfileVersion", 3}, {"packages", {{"", json::object()}}}}
          .dump();
  auto install = deploy(p, hosted_bot(unsynced).dump());
  CHECK(install.status == 422);
  CHECK(install.body["error"]["code"] == "bot_deploy_failed");
  CHECK(install.body["error"]["details"]["stage"] == "install");
  CHECK(install.body["error"]["details"]["output"].get<std::string>().find("npm") !=
        std::string::npos);

  // A main that throws at once: refused with what it printed.
  auto crashing = echo_files("v3");
  crashing["server.js"] = "throw new Error('no config for this bot');\n";
  auto start = deploy(p, hosted_bot(crashing).dump());
  CHECK(start.status == 422);
  CHECK(start.body["error"]["details"]["stage"] == "start");
  CHECK(start.body["error"]["details"]["output"].get<std::string>().find(
            "no config for this bot") != std::string::npos);

  // One that never answers its health check within the start timeout is not tried here (30 s);
  // a broken package.json is refused before anything runs.
  auto broken = echo_files("v4");
  broken["package.json"] = "{\"main\": ";
  auto invalid = deploy(p, hosted_bot(broken).dump());
  CHECK(invalid.status == 422);
  CHECK(invalid.body["error"]["code"] == "invalid_bot");
  CHECK(invalid.body["error"]["details"]["problems"][0]["pointer"] == "/files/package.json");

  CHECK(p.s.call("GET", "/v1/projects/" + p.project + "/bot").body == running);
  p.say("15550302", "still");
  CHECK(body_of(p.replies("15550302", 1)[0]) == "v1: still");
}

TEST_CASE(
    "a hosted bot killed in the middle of an event gets it again after its restart, "
    "handled once",
    "[integration][hosted_bot]") {
  pipeline p;
  REQUIRE(deploy(p, hosted_bot(echo_files("v1")).dump()).status == 201);
  auto pid = runtime_of(p)["pid"].get<int>();
  p.say("15550303", "slow");
  REQUIRE(wait_until([&] {
    return runtime_of(p)["output"].get<std::string>().find("holding") != std::string::npos;
  }));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  auto r = p.replies("15550303", 1);
  CHECK(body_of(r[0]) == "slow done");
  auto after = runtime_of(p);
  CHECK(after["state"] == "running");
  CHECK(after["restarts"] == 1);
  CHECK(after["pid"] != pid);
  CHECK(p.message_error("slow").is_null());
  // Once: the next message is answered after it, and nothing more was sent.
  p.say("15550303", "next");
  auto all = p.replies("15550303", 2);
  REQUIRE(all.size() == 2);
  CHECK(body_of(all[1]) == "v1: next");

  // The server killed: its bot's process dies with it, and is started again with the server.
  // (Its sends recorded first: a send in flight at a kill -9 may go out again.)
  REQUIRE(wait_until([&] { return p.count_out("queued") == 0; }));
  auto orphan = runtime_of(p)["pid"].get<int>();
  p.s.server->process().signal(SIGKILL);
  p.s.server->process().wait_exit(std::chrono::seconds{10});
  CHECK(wait_until([&] { return ::kill(orphan, 0) != 0; }));
  p.s.start(master_hex);
  p.meta.target(p.s.server->port());
  p.say("15550303", "restarted");
  auto final_replies = p.replies("15550303", 3);
  REQUIRE(final_replies.size() == 3);
  CHECK(body_of(final_replies[2]) == "v1: restarted");
  CHECK(runtime_of(p)["restarts"] == 0);
}

TEST_CASE("a hosted bot that hangs gets the fallback once, one that keeps crashing is failed",
          "[integration][hosted_bot]") {
  pipeline p;
  auto fallback = json{{"type", "text"}, {"text", {{"body", "One moment, please."}}}};
  REQUIRE(
      deploy(p,
             hosted_bot(echo_files("v1"), {{"timeout_seconds", 1}, {"fallback", fallback}}).dump())
          .status == 201);
  p.say("15550304", "a");
  p.say("15550304", "hang");
  p.say("15550304", "b");
  auto r = p.replies("15550304", 3);
  REQUIRE(r.size() == 3);
  CHECK(body_of(r[0]) == "v1: a");
  CHECK(body_of(r[1]) == "One moment, please.");
  CHECK(body_of(r[2]) == "v1: b");
  CHECK(p.message_error("hang")["code"] == "bot_timeout");

  // A version that answers its health check, then dies half a second later, every time.
  auto dying = echo_files("v2");
  dying["server.js"] = echo_js("v2") + "setTimeout(() => process.exit(3), 500);\n";
  REQUIRE(deploy(p, hosted_bot(dying, {{"timeout_seconds", 1}, {"fallback", fallback}}).dump())
              .status == 201);
  REQUIRE(wait_until([&] { return runtime_of(p)["state"] == "failed"; }, std::chrono::seconds{90}));
  auto failed = runtime_of(p);
  CHECK(failed["failure"].get<std::string>().find("5 times in a row") != std::string::npos);
  CHECK(failed["output"].get<std::string>().find("exited with code 3") != std::string::npos);
  p.say("15550304", "anyone?");
  r = p.replies("15550304", 4);
  CHECK(body_of(r[3]) == "One moment, please.");
  CHECK(p.message_error("anyone?")["code"] == "bot_unreachable");
  // A new deploy brings it back.
  REQUIRE(deploy(p, hosted_bot(echo_files("v3")).dump()).status == 201);
  p.say("15550304", "back");
  CHECK(body_of(p.replies("15550304", 5)[4]) == "v3: back");
}

namespace {

/// The starter code bot's files (runtime/bot-templates/starter-node, without node_modules).
json starter_files() {
  namespace fs = std::filesystem;
  const fs::path dir = std::string{PAIGE_SOURCE_DIR} + "/runtime/bot-templates/starter-node";
  json files = json::object();
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path().filename() == "node_modules") {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::ifstream in{it->path(), std::ios::binary};
    std::stringstream text;
    text << in.rdbuf();
    files[fs::relative(it->path(), dir).string()] = text.str();
  }
  return files;
}

/// A bot module for the starter's server (BOT_MODULE): "who" answers the database's role and
/// name as the bot sees them, "connect <url>" whether Postgres let it in.
const char* probe_js = R"js('use strict';
const { Client } = require('pg');
const db = require('./dbServices');
const say = (body) => [{ send: { type: 'text', text: { body } } }];
module.exports = {
  tables: [],
  async handle(event) {
    const text = event.message.text;
    if (text.startsWith('connect ')) {
      const client = new Client({ connectionString: text.slice(8) });
      try {
        await client.connect();
        await client.end();
        return say('connected');
      } catch (e) {
        return say('refused: ' + e.message);
      }
    }
    if (text.startsWith('api ')) {
      const status = async (id) =>
        (await fetch(`${process.env.PAIGE_API_URL}/v1/projects/${id}`, {
          headers: { authorization: `Bearer ${process.env.PAIGE_API_KEY}` },
        })).status;
      const own = await status(process.env.PAIGE_PROJECT_ID);
      return say(`own ${own} other ${await status(text.slice(4))}`);
    }
    const [row] = await db.query('SELECT current_user AS who, current_database() AS db');
    return say(row.who + ' ' + row.db);
  },
};
)js";

}  // namespace

TEST_CASE(
    "the starter code bot hosted: npm ci, its three states, secrets, its role kept to its "
    "database, its own API key",
    "[integration][hosted_bot]") {
  pipeline p;
  auto files = starter_files();
  files["probe.js"] = probe_js;
  auto put = deploy(p, hosted_bot(files).dump());
  REQUIRE(put.status == 201);
  walk_starter_collect_info(p, "15550311");
  {
    auto db = p.project_db();
    pqxx::read_transaction tx{db};
    CHECK(tx.exec1("SELECT email FROM leads")[0].as<std::string>() == "ana@example.com");
  }

  // A secret is an environment variable of the process, which restarts with a changed one:
  // here the starter's BOT_MODULE, the probe.
  auto pid = runtime_of(p)["pid"];
  REQUIRE(p.s.call("PUT", "/v1/projects/" + p.project + "/secrets/BOT_MODULE",
                   json{{"value", "./probe"}}.dump())
              .status == 201);
  REQUIRE(wait_until([&] {
    auto now = runtime_of(p);
    return now["state"] == "running" && now["pid"] != pid;
  }));
  auto mine = p.s.database_of(p.project);
  const std::string probe = "15550312";
  p.say(probe, "who");
  CHECK(body_of(p.replies(probe, 1)[0]) == mine.role + " " + mine.name);

  auto other = p.s.create("Other")["id"].get<std::string>();
  REQUIRE(p.s.wait_status(other, "active"));
  auto theirs = p.s.database_of(other);
  auto port = paige::storage::parse_conninfo(cluster_conninfo())["port"];
  p.say(probe, "connect postgresql://" + mine.role + ":" + mine.password + "@127.0.0.1:" + port +
                   "/" + theirs.name);
  CHECK(body_of(p.replies(probe, 2)[1]).find("refused: permission denied for database") == 0);
  p.say(probe, "connect postgresql://" + theirs.role + ":" + mine.password + "@127.0.0.1:" + port +
                   "/" + theirs.name);
  CHECK(body_of(p.replies(probe, 3)[2]).find("refused: password authentication failed") == 0);

  // Its own API key reaches its own project, and another project does not exist for it.
  p.say(probe, "api " + other);
  CHECK(body_of(p.replies(probe, 4)[3]) == "own 200 other 404");
  auto bot_key = [&] {
    auto keys = p.s.call("GET", "/v1/projects/" + p.project + "/keys").body;
    for (const auto& k : keys["items"])
      if (k["name"] == "hosted bot") return k["id"].get<std::string>();
    return std::string{};
  };
  auto first_key = bot_key();
  REQUIRE(!first_key.empty());
  CHECK(p.s.call("DELETE", "/v1/projects/" + p.project + "/secrets/PAIGE_API_KEY")
            .body["error"]["code"] == "invalid_secret_name");
  // Revoked, the key is replaced and the process restarted with the new one.
  pid = runtime_of(p)["pid"];
  REQUIRE(p.s.call("DELETE", "/v1/projects/" + p.project + "/keys/" + first_key).status == 204);
  REQUIRE(wait_until([&] {
    auto now = runtime_of(p);
    return now["state"] == "running" && now["pid"] != pid;
  }));
  auto second_key = bot_key();
  CHECK(!second_key.empty());
  CHECK(second_key != first_key);
  p.say(probe, "api " + other);
  CHECK(body_of(p.replies(probe, 5)[4]) == "own 200 other 404");
}

TEST_CASE(
    "a hosted bot past its memory limit dies and restarts, and its event gets the fallback "
    "after its last post",
    "[integration][hosted_bot]") {
  pipeline p({}, {"--bot-memory", "96MiB"});
  auto fallback = json{{"type", "text"}, {"text", {{"body", "One moment, please."}}}};
  REQUIRE(deploy(p, hosted_bot(echo_files("v1"), {{"fallback", fallback}}).dump()).status == 201);
  p.say("15550305", "hog");
  auto r = p.replies("15550305", 1);
  CHECK(body_of(r[0]) == "One moment, please.");
  CHECK(p.message_error("hog")["code"] == "bot_unreachable");
  // Each post killed it: as many exits as posts, then it runs again.
  json runtime;
  REQUIRE(wait_until([&] {
    runtime = runtime_of(p);
    return runtime["state"] == "running" && runtime["restarts"] == paige::actors::max_event_posts;
  }));
  CHECK(runtime["output"].get<std::string>().find("Array buffer allocation failed") !=
        std::string::npos);
  // Restarted, it answers the next message.
  p.say("15550305", "small");
  CHECK(body_of(p.replies("15550305", 2)[1]) == "v1: small");
}
