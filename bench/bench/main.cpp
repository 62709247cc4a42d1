// paige-bench: drives Paige with simulated WhatsApp users and measures it.
//   paige-bench [--projects 10] [--contacts 500] [--messages 20] [--mode closed|open] ...
// It runs the simulator of Meta's side in-process (Graph API + signed webhooks), starts the
// Paige binary on its own embedded Postgres, sets up projects, numbers and the echo bot, runs
// the load, checks every message in the simulator's view and in the project databases, and
// prints a summary plus a JSON file. See bench/README.md.
#include "api/http_client.hpp"
#include "api/http_server.hpp"
#include "bench/bench/broadcast_load.hpp"
#include "bench/bench/correctness.hpp"
#include "bench/bench/latency.hpp"
#include "bench/bench/paige_process.hpp"
#include "bench/metasim/routes.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include <sys/resource.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>

using namespace paige;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

constexpr const char* usage = R"(usage: paige-bench [options]
  --projects N          projects (numbers) [10]
  --contacts N          contacts per project [500]
  --messages N          messages per contact (closed mode) [20]
  --mode closed|open    closed: each contact sends its next message once the reply to the
                        previous one arrived; open: a fixed offered rate [closed]
  --rate R              open mode: messages/s offered [1000]
  --broadcast N         project 0 broadcasts a template to N numbers during the load [0]
  --broadcast-kill-after K  kill -9 and restart Paige after K broadcast sends [0: never]
  --duration S          open mode: seconds of load [60]
  --statuses LIST       statuses Meta posts per reply, or none [sent,delivered,read]
  --duplicate-rate P    share of webhooks Meta delivers twice [0]
  --error-rate P        share of Graph sends that fail (Paige retries) [0]
  --error-code CODE     500 or a Meta code (130429, 131000, ...) [500]
  --connections N       webhook connections to Paige [256]
  --target paige|echo   what the webhooks go to: Paige, or paige-echo-target (the protocol
                        floor: signature, envelope and a send per message, nothing stored;
                        no faults, no database check) [paige]
  --bot declarative|code|hosted|query  the echo bot as a definition, as a code bot (a
                        Node.js process, --code-bot, that Paige posts each message's event
                        to), as a code bot Paige hosts (bench/code_bot/hosted, one process per
                        project), or as a definition that reads the echo back with a query
                        [declarative]
  --code-bot PATH       the code echo bot [bench/code_bot/echo-bot.js]
  --paige PATH          the Paige binary [build/runtime/paige]
  --echo-target PATH    the echo target's binary [build/bench/paige-echo-target]
  --paige-arg ARG       passed to `paige serve` (repeat)
  --json PATH           where the JSON result goes [bench-result.json]
  --no-db-check         skip the check of the project databases
)";

const std::string app_secret = "bench-app-secret";
const std::string admin_key = "bench-admin-key-0123456789";

struct options {
  int projects = 10, contacts = 500, messages = 20;
  std::string mode = "closed";
  double rate = 1000, duration = 60;
  std::vector<std::string> statuses{"sent", "delivered", "read"};
  double duplicate_rate = 0, error_rate = 0;
  long error_code = 500;
  int connections = 256;
  std::string target = "paige";
  std::string paige = "build/runtime/paige";
  std::string echo_target = "build/bench/paige-echo-target";
  std::string bot = "declarative";
  std::string code_bot = "bench/code_bot/echo-bot.js";
  std::vector<std::string> paige_args;
  std::string json_out = "bench-result.json";
  bool db_check = true;
  long broadcast = 0;             ///< recipients of project 0's broadcast (0: none)
  long broadcast_kill_after = 0;  ///< kill -9 and restart Paige after this many broadcast sends
};

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < list.size();) {
    auto comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (a == "--no-db-check") {
      o.db_check = false;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(a + ": missing value");
    std::string v = argv[++i];
    if (a == "--broadcast")
      o.broadcast = std::stol(v);
    else if (a == "--broadcast-kill-after")
      o.broadcast_kill_after = std::stol(v);
    else if (a == "--projects")
      o.projects = std::stoi(v);
    else if (a == "--contacts")
      o.contacts = std::stoi(v);
    else if (a == "--messages")
      o.messages = std::stoi(v);
    else if (a == "--mode")
      o.mode = v;
    else if (a == "--rate")
      o.rate = std::stod(v);
    else if (a == "--duration")
      o.duration = std::stod(v);
    else if (a == "--statuses")
      o.statuses = v == "none" ? std::vector<std::string>{} : split(v);
    else if (a == "--duplicate-rate")
      o.duplicate_rate = std::stod(v);
    else if (a == "--error-rate")
      o.error_rate = std::stod(v);
    else if (a == "--error-code")
      o.error_code = std::stol(v);
    else if (a == "--connections")
      o.connections = std::stoi(v);
    else if (a == "--target")
      o.target = v;
    else if (a == "--paige")
      o.paige = v;
    else if (a == "--echo-target")
      o.echo_target = v;
    else if (a == "--bot")
      o.bot = v;
    else if (a == "--code-bot")
      o.code_bot = v;
    else if (a == "--paige-arg")
      o.paige_args.push_back(v);
    else if (a == "--json")
      o.json_out = v;
    else
      throw std::invalid_argument("unknown option " + a);
  }
  if (o.mode != "closed" && o.mode != "open")
    throw std::invalid_argument("--mode is closed or open");
  if (o.target != "paige" && o.target != "echo")
    throw std::invalid_argument("--target is paige or echo");
  if (o.bot != "declarative" && o.bot != "code" && o.bot != "hosted" && o.bot != "query")
    throw std::invalid_argument("--bot is declarative, code, hosted or query");
  if (o.bot != "declarative" && o.target != "paige")
    throw std::invalid_argument("--bot code, hosted and query need --target paige");
  if (o.target == "echo") {
    // It answers a webhook without storing anything: a redelivery would be answered twice.
    if (o.duplicate_rate > 0 || o.error_rate > 0)
      throw std::invalid_argument("--target echo runs without --duplicate-rate and --error-rate");
    o.db_check = false;  // it has no database
  }
  if (o.projects < 1 || o.projects > 999 || o.contacts < 1 || o.contacts > 9999999 ||
      o.messages < 1)
    throw std::invalid_argument("projects 1..999, contacts 1..9999999, messages >= 1");
  return o;
}

/// A blocking JSON call to Paige's API.
struct api_client {
  api::http_client& http;
  std::string base;
  std::pair<unsigned, json> call(const std::string& method, const std::string& path,
                                 const json& body = nullptr) {
    std::promise<api::client_response> p;
    http.request(method, base + path,
                 {{"Authorization", "Bearer " + admin_key}, {"Content-Type", "application/json"}},
                 body.is_null() ? "" : body.dump(),
                 [&p](api::client_response r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (r.status == 0) throw std::runtime_error(method + " " + path + ": " + r.error);
    return {r.status, r.body.empty() ? json() : json::parse(r.body, nullptr, false)};
  }
  json expect(unsigned status, const std::string& method, const std::string& path,
              const json& body = nullptr) {
    auto [s, j] = call(method, path, body);
    if (s != status)
      throw std::runtime_error(method + " " + path + " answered " + std::to_string(s) + ": " +
                               j.dump());
    return j;
  }
};

/// Everything the load knows about one contact. Guarded by the driver's mutex.
struct contact_state {
  int next_send = 0;     ///< index of the next message to send
  int next_reply = 0;    ///< index of the reply expected next
  bool unacked = false;  ///< a webhook in flight (open mode sends only when false)
  std::vector<steady::time_point> sent_at;
};

struct driver {
  const options& opt;
  metasim::webhook_sender& sender;
  std::vector<metasim::number> numbers;
  std::mutex mutex;
  std::vector<std::vector<contact_state>> contacts;  // [project][contact]
  bench::latency_samples ack, reply;
  std::atomic<long> sent{0}, acked{0}, ack_failed{0}, replies{0}, reordered{0}, unexpected{0};
  steady::time_point first_send, last_reply;
  std::promise<void> closed_done;
  std::atomic<long> closed_remaining{0};

  driver(const options& o, metasim::webhook_sender& s) : opt(o), sender(s) {
    contacts.assign(o.projects, std::vector<contact_state>(o.contacts));
  }

  /// Sends message `index` of a contact as a user's webhook (caller holds no lock).
  void send(int p, int c, int index) {
    auto now = steady::now();
    {
      std::lock_guard<std::mutex> lock{mutex};
      auto& cs = contacts[p][c];
      if (cs.sent_at.size() <= static_cast<std::size_t>(index)) cs.sent_at.resize(index + 1);
      cs.sent_at[index] = now;
      cs.unacked = true;
      cs.next_send = index + 1;
    }
    ++sent;
    auto wa_id = bench::wa_id_of(p, c);
    auto wamid =
        "wamid.B" + std::to_string(p) + "x" + std::to_string(c) + "x" + std::to_string(index);
    auto timestamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
    sender.post(
        metasim::webhook_sender::text_message_envelope(numbers[p], wa_id, "Bench " + wa_id, wamid,
                                                       timestamp, "m" + std::to_string(index)),
        [this, p, c, now](metasim::delivery_outcome out) {
          auto took = steady::now() - now;
          std::lock_guard<std::mutex> lock{mutex};
          contacts[p][c].unacked = false;
          if (out.delivered) {
            ++acked;
            ack.add(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count(),
                    std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - first_send)
                        .count());
          } else {
            ++ack_failed;
          }
        });
  }

  /// The simulator accepted a send from Paige: a reply.
  void on_send(const std::string& number_id, const std::string& to, const json& body) {
    auto now = steady::now();
    (void)number_id;
    int p = -1, c = -1;
    if (!bench::contact_of(to, p, c)) return ++unexpected, void();
    static const json::json_pointer text_body{"/text/body"};
    auto text = body.value(text_body, json{});
    int index = text.is_string() ? bench::load_index(text.get<std::string>(), "echo: m") : -1;
    int next = -1;
    {
      std::lock_guard<std::mutex> lock{mutex};
      if (p >= opt.projects || c >= opt.contacts || index < 0) return ++unexpected, void();
      auto& cs = contacts[p][c];
      if (index != cs.next_reply || static_cast<std::size_t>(index) >= cs.sent_at.size()) {
        ++reordered;  // out of order, a duplicate, or never sent
        return;
      }
      ++cs.next_reply;
      reply.add(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - cs.sent_at[index]).count(),
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - first_send).count());
      last_reply = now;
      if (opt.mode == "closed" && cs.next_send < opt.messages) next = cs.next_send;
    }
    ++replies;
    if (next >= 0) send(p, c, next);
    if (opt.mode == "closed" && --closed_remaining == 0) closed_done.set_value();
  }

  void run_closed() {
    closed_remaining = static_cast<long>(opt.projects) * opt.contacts * opt.messages;
    first_send = steady::now();
    for (int c = 0; c < opt.contacts; ++c)
      for (int p = 0; p < opt.projects; ++p) send(p, c, 0);
    auto f = closed_done.get_future();
    // No loss means every reply comes; a minute without any new reply is a stall (a failure).
    long seen = -1;
    while (f.wait_for(std::chrono::minutes{1}) != std::future_status::ready) {
      if (replies.load() == seen) {
        std::cerr << "paige-bench: replies stopped coming; reporting what arrived\n";
        break;
      }
      seen = replies.load();
    }
  }

  /// A fixed offered rate; a contact gets its next message only once the previous webhook
  /// was acknowledged. Returns the offers that found no free contact.
  long run_open() {
    first_send = steady::now();
    auto end = first_send + std::chrono::duration_cast<steady::duration>(
                                std::chrono::duration<double>(opt.duration));
    long emitted = 0, starved = 0;
    std::size_t cursor = 0, total = static_cast<std::size_t>(opt.projects) * opt.contacts;
    while (steady::now() < end) {
      auto due = static_cast<long>(
          std::chrono::duration<double>(steady::now() - first_send).count() * opt.rate);
      while (emitted < due) {
        int p = -1, c = -1, index = 0;
        {
          std::lock_guard<std::mutex> lock{mutex};
          for (std::size_t tries = 0; tries < total; ++tries, ++cursor) {
            auto& cs = contacts[cursor % total % opt.projects][cursor % total / opt.projects];
            if (!cs.unacked) {
              p = static_cast<int>(cursor % total % opt.projects);
              c = static_cast<int>(cursor % total / opt.projects);
              index = cs.next_send;
              ++cursor;
              break;
            }
          }
        }
        ++emitted;
        if (p < 0) {
          ++starved;
          continue;
        }
        send(p, c, index);
      }
      std::this_thread::sleep_for(std::chrono::microseconds{500});
    }
    // Let the replies of the last messages arrive.
    auto drain_until = steady::now() + std::chrono::seconds{30};
    while (replies.load() < acked.load() && steady::now() < drain_until)
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    return starved;
  }
};

/// A metric's value from Paige's /metrics (-1 if absent).
double metric_value(api_client& paige, const std::string& name) {
  std::promise<api::client_response> p;
  paige.http.request("GET", paige.base + "/metrics", {}, "",
                     [&p](api::client_response r) { p.set_value(std::move(r)); });
  auto text = p.get_future().get().body;
  auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

/// Waits until every webhook the simulator posted (messages and statuses) was answered.
void wait_webhooks_settled(metasim::sim_state& state, std::chrono::seconds limit) {
  auto until = steady::now() + limit;
  while (steady::now() < until) {
    auto s = state.stats();
    if (s.value("webhook_posts", 0L) == s.value("webhooks_settled", 0L)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

/// Waits until Paige has recorded Meta's answer to every send of a project (no outbound message
/// left without its wamid). The harness counts a reply when Meta accepts the send; Paige commits
/// the wamid (and any status that arrived before it) a little later, so a project's log is
/// final only then. Returns how many were unrecorded when the wait began (the check fails on
/// any still unrecorded when `limit` runs out).
long wait_sends_recorded(api_client& paige, const std::string& project,
                         std::chrono::seconds limit) {
  auto until = steady::now() + limit;
  long at_start = -1;
  for (;;) {
    auto r = paige.expect(
        200, "POST", "/v1/projects/" + project + "/sql",
        {{"query",
          "SELECT count(*)::int FROM messages WHERE direction = 'out' AND wamid IS NULL"}});
    auto unrecorded = r["rows"].at(0).at(0).get<long>();
    if (at_start < 0) at_start = unrecorded;
    if (unrecorded == 0 || steady::now() >= until) return at_start;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

/// Reads a project's message log through Paige's SQL endpoint and checks it (check_log).
bench::log_problems check_project(api_client& paige, const std::string& project, int p,
                                  const options& opt, const std::vector<contact_state>& contacts) {
  auto r = paige.expect(
      200, "POST", "/v1/projects/" + project + "/sql",
      {{"query",
        // The chat's messages (a broadcast's have no conversation: its summary judges them).
        "SELECT c.wa_id, m.direction, m.content->'text'->>'body', m.status FROM messages m "
        "JOIN contacts c ON c.id = m.contact_id WHERE m.conversation_id IS NOT NULL "
        "ORDER BY c.wa_id, m.id"}});
  if (r.value("truncated", false))
    throw std::runtime_error("raise --sql-row-cap: the check was truncated");
  bench::project_log log;
  for (const auto& row : r["rows"])
    log[row[0].get<std::string>()].push_back({row[1] == "in",
                                              row[2].is_string() ? row[2].get<std::string>() : "",
                                              row[3].get<std::string>()});
  std::vector<bench::sent_count> sent;
  for (int c = 0; c < opt.contacts; ++c)
    sent.push_back({bench::wa_id_of(p, c), contacts[c].next_send});
  return bench::check_log(log, sent,
                          opt.statuses.empty() ? std::string{"accepted"} : opt.statuses.back());
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    opt = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "paige-bench: " << e.what() << "\n" << usage;
    return 2;
  }
  log::init("warn");
  try {
    // Meta's side, in this process.
    metasim::sim_state state{1};
    metasim::faults f;
    f.statuses = opt.statuses;
    f.duplicate_rate = opt.duplicate_rate;
    f.error_rate = opt.error_rate;
    f.error_code = opt.error_code;
    state.set_faults(f);
    metasim::scheduler timers;
    api::http_client_options copts;
    copts.max_connections_per_origin = static_cast<std::size_t>(opt.connections);
    metasim::webhook_sender sender{"", app_secret, 1000, state, timers, copts};
    driver load{opt, sender};
    metasim::sim_context ctx{state, timers, sender, false, {}, {}, {}};
    bench::broadcast_load broadcast{opt.broadcast};
    ctx.on_send = [&load, &broadcast](const std::string& number_id, const std::string& to,
                                      const json& body) {
      if (!broadcast.on_send(to, body)) load.on_send(number_id, to, body);
    };
    api::router routes;
    metasim::add_template_routes(routes, ctx);
    metasim::add_flow_routes(routes, ctx);
    metasim::add_graph_routes(routes, ctx);
    metrics::registry sim_metrics;
    api::http_server_options sopts;
    sopts.port = 0;
    api::http_server sim{sopts, routes, sim_metrics};
    auto sim_port = sim.start();

    // The numbers, as Meta knows them.
    for (int p = 0; p < opt.projects; ++p) {
      metasim::number n{std::to_string(800000 + p),
                        std::to_string(700000 + p),
                        "+1555" + std::to_string(800000 + p),
                        "Bench " + std::to_string(p),
                        "token-" + std::to_string(p),
                        false,
                        false};
      state.put_number(n);
      load.numbers.push_back(n);
    }
    auto graph_url = "http://127.0.0.1:" + std::to_string(sim_port);

    // The target: Paige on its own embedded Postgres, or the echo target.
    std::vector<std::string> args{"--app-secret", app_secret, "--graph-url", graph_url};
    if (opt.target == "paige") {
      args.insert(args.end(),
                  {"--verify-token", "bench", "--admin-token", admin_key, "--sql-row-cap",
                   "1000000", "--sql-max-bytes", "16GiB", "--sql-timeout", "10m"});
      if (opt.bot == "code") args.insert(args.end(), {"--bot-http-loopback", "on"});
      args.insert(args.end(), opt.paige_args.begin(), opt.paige_args.end());
    } else {
      for (const auto& n : load.numbers)
        args.insert(args.end(), {"--number", n.phone_number_id + "=" + n.access_token});
    }
    std::cerr << "starting " << opt.target << "...\n";
    bench::paige_process paige{opt.target == "paige" ? opt.paige : opt.echo_target, args};
    sender.set_url("http://127.0.0.1:" + std::to_string(paige.port()) + "/webhook");
    api::http_client http;
    api_client client{http, "http://127.0.0.1:" + std::to_string(paige.port())};

    // The code echo bot, which Paige posts events to (--bot code).
    std::optional<bench::paige_process> code_bot;
    json code_bot_def;
    json bot_secrets = json::object();
    if (opt.bot == "code") {
      code_bot.emplace(opt.code_bot, std::vector<std::string>{});
      code_bot_def = {
          {"kind", "external"},
          {"url", "http://127.0.0.1:" + std::to_string(code_bot->port()) + "/paige/events"}};
    }
    // The same echo as files Paige installs and runs, a process per project (--bot hosted).
    json hosted_bot;
    if (opt.bot == "hosted") {
      auto read = [](const std::string& path) {
        std::ifstream in{path, std::ios::binary};
        if (!in) throw std::runtime_error("cannot read " + path);
        return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
      };
      hosted_bot = {{"kind", "code"},
                    {"files",
                     {{"package.json", read("bench/code_bot/hosted/package.json")},
                      {"server.js", read("bench/code_bot/hosted/server.js")}}}};
    }

    // Projects with the numbers, the echo bot, the highest send rate Meta allows a number.
    std::vector<std::string> project_ids;
    if (opt.target == "paige") {
      std::cerr << "setting up " << opt.projects << " projects...\n";
      const json echo_bot = json::parse(
          R"({"initial_state": "unstructured", "states": {"unstructured": {"kind": "await",
        "routes": [{"when": "always", "then": [{"send": {"type": "text", "text": {"body": "echo: {{message.text}}"}}}]}]}}})");
      // The same echo, read back from the project database by a query (docs/bot-queries.md).
      const json query_bot = json::parse(
          R"({"initial_state": "unstructured",
        "queries": {"echo": {"sql": "SELECT $1::text AS text", "params": ["{{message.text}}"]}},
        "states": {"unstructured": {"kind": "await", "routes": [{"when": "always", "then": [
          {"query": {"name": "echo", "then": [{"send": {"type": "text", "text": {"body": "echo: {{query.echo.0.text}}"}}}]}}]}]}}})");
      for (int p = 0; p < opt.projects; ++p)
        project_ids.push_back(client.expect(202, "POST", "/v1/projects",
                                            {{"name", "bench " + std::to_string(p)}})["id"]);
      for (int p = 0; p < opt.projects; ++p) {
        auto path = "/v1/projects/" + project_ids[p];
        for (int i = 0; i < 1200 && client.expect(200, "GET", path)["status"] != "active"; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds{50});
        auto bot = client.expect(201, "PUT", path + "/bot",
                                 code_bot              ? code_bot_def
                                 : opt.bot == "hosted" ? hosted_bot
                                 : opt.bot == "query"  ? query_bot
                                                       : echo_bot);
        if (code_bot) bot_secrets[project_ids[p]] = bot.at("secret");
        client.expect(200, "PATCH", path, {{"settings", {{"messages_per_second", 1000}}}});
        const auto& n = load.numbers[p];
        client.expect(200, "PUT", path + "/whatsapp",
                      {{"phone_number_id", n.phone_number_id},
                       {"waba_id", n.waba_id},
                       {"access_token", n.access_token}});
      }
      if (code_bot) std::ofstream{code_bot->data_dir() + "/secrets.json"} << bot_secrets.dump();
    }

    if (opt.broadcast > 0) {
      // Project 0 sends an approved template to numbers that never wrote, from now on.
      std::cerr << "starting a broadcast to " << opt.broadcast << " numbers...\n";
      auto templates = "/v1/projects/" + project_ids.at(0) + "/templates";
      json body{{"type", "BODY"}, {"text", "Hello {{1}}, your order is ready."}};
      body["example"] = {{"body_text", json::array({json::array({"Ana"})})}};
      json notice{{"name", "bench_notice"}, {"language", "en_US"}, {"category", "UTILITY"}};
      notice["components"] = json::array({body});
      client.expect(201, "POST", templates, notice);
      for (int i = 0;
           i < 600 &&
           client.expect(200, "GET", templates + "/bench_notice/en_US").value("status", "") !=
               "APPROVED";
           ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds{50});
      client.expect(201, "POST", "/v1/projects/" + project_ids[0] + "/broadcasts",
                    broadcast.request("bench_notice"));
    }
    std::cerr << "running " << opt.mode << " mode...\n";
    auto rss_before = bench::rss_bytes(paige.pid());
    auto cpu0 = bench::cpu_seconds(paige.pid());
    auto bot_cpu = [&code_bot, &opt] {
      if (opt.bot == "hosted") return bench::cpu_seconds_of_all("node");
      return code_bot ? bench::cpu_seconds(code_bot->pid()) : 0.0;
    };
    auto bot0 = bot_cpu();
    // The echo target has no Postgres (one still stopping after an earlier run is not ours).
    auto postgres_cpu = [&opt] {
      return opt.target == "paige" ? bench::cpu_seconds_of_all("postgres") : 0.0;
    };
    auto pg0 = postgres_cpu();
    auto busy0 = bench::machine_busy_seconds();
    rusage self0{};
    getrusage(RUSAGE_SELF, &self0);
    long starved = 0;
    if (opt.mode == "closed")
      load.run_closed();
    else
      starved = load.run_open();
    auto window_end = opt.mode == "closed" ? load.last_reply : steady::now();
    double window = std::chrono::duration<double>(window_end - load.first_send).count();
    auto cpu1 = bench::cpu_seconds(paige.pid());
    auto bot1 = bot_cpu();
    auto pg1 = postgres_cpu();
    auto busy1 = bench::machine_busy_seconds();
    rusage self1{};
    getrusage(RUSAGE_SELF, &self1);
    auto self_cpu = [](const rusage& r) {
      return r.ru_utime.tv_sec + r.ru_stime.tv_sec +
             (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    };

    auto rss_after = bench::rss_bytes(paige.pid());
    auto peak_rss = bench::peak_rss_bytes(paige.pid());
    if (opt.broadcast > 0) {
      broadcast.load_ended();
      std::cerr << "waiting for the broadcast...\n";
      bool killed = false;
      auto deadline = steady::now() + std::chrono::minutes{20};
      while (broadcast.summary()["missing"].get<long>() > 0 && steady::now() < deadline) {
        if (opt.broadcast_kill_after > 0 && !killed &&
            broadcast.sends() >= opt.broadcast_kill_after) {
          killed = true;
          broadcast.killed_at(broadcast.sends());
          std::cerr << "kill -9 at " << broadcast.sends() << " broadcast sends, restarting...\n";
          paige.kill_and_restart();
          sender.set_url("http://127.0.0.1:" + std::to_string(paige.port()) + "/webhook");
          client.base = "http://127.0.0.1:" + std::to_string(paige.port());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{100});
      }
      peak_rss = std::max(peak_rss, bench::peak_rss_bytes(paige.pid()));
    }
    double conversation_actors =
        opt.target == "paige" ? metric_value(client, "paige_conversation_actors") : -1;
    std::cerr << "waiting for statuses, then checking...\n";
    wait_webhooks_settled(state, std::chrono::seconds{120});
    json db = json::object();
    bench::log_problems stored;
    long recorded_late = 0;
    if (opt.db_check) {
      for (int p = 0; p < opt.projects; ++p) {
        // Past the limit the check runs anyway: the sends still unrecorded fail it.
        recorded_late += wait_sends_recorded(client, project_ids[p], std::chrono::seconds{30});
        stored += check_project(client, project_ids[p], p, opt, load.contacts[p]);
      }
      db = bench::to_json(stored);
      db["sends_recorded_after_the_load"] = recorded_late;
    }
    long expected = opt.mode == "closed"
                        ? static_cast<long>(opt.projects) * opt.contacts * opt.messages
                        : load.sent.load();
    long sim_lost = expected - load.replies.load();
    bool correct = sim_lost == 0 && load.reordered == 0 && load.unexpected == 0 &&
                   load.ack_failed == 0 && stored.ok();

    json result{{"scenario",
                 {{"mode", opt.mode},
                  {"projects", opt.projects},
                  {"contacts_per_project", opt.contacts},
                  {"messages_per_contact", opt.messages},
                  {"rate", opt.rate},
                  {"duration_s", opt.duration},
                  {"statuses", opt.statuses},
                  {"duplicate_rate", opt.duplicate_rate},
                  {"error_rate", opt.error_rate},
                  {"error_code", opt.error_code},
                  {"connections", opt.connections},
                  {"target", opt.target},
                  {"bot", opt.bot},
                  {"paige_args", opt.paige_args}}},
                {"window_s", window},
                {"sent", load.sent.load()},
                {"acknowledged", load.acked.load()},
                {"replies", load.replies.load()},
                {"acknowledged_per_s", load.acked.load() / window},
                {"replies_per_s", load.replies.load() / window},
                {"offers_without_free_contact", starved},
                {"ack_latency", load.ack.summarize()},
                {"reply_latency", load.reply.summarize()},
                {"reply_latency_by_second", load.reply.by_second()},
                {"cpu_seconds",
                 {{"paige", cpu1 - cpu0},
                  {"postgres", pg1 - pg0},
                  {"code_bot", bot1 - bot0},
                  {"bench", self_cpu(self1) - self_cpu(self0)},
                  {"machine", busy1 - busy0}}},
                {"paige_peak_rss_mb", static_cast<double>(peak_rss) / (1 << 20)},
                {"paige_rss_before_mb", static_cast<double>(rss_before) / (1 << 20)},
                {"paige_rss_after_mb", static_cast<double>(rss_after) / (1 << 20)},
                {"conversation_actors_after", conversation_actors},
                {"correctness",
                 {{"ok", correct},
                  {"replies_missing", sim_lost},
                  {"replies_out_of_order_or_duplicate", load.reordered.load()},
                  {"unexpected_sends", load.unexpected.load()},
                  {"webhooks_not_acknowledged", load.ack_failed.load()},
                  {"database", db}}},
                {"simulator", state.stats()}};
    if (opt.broadcast > 0) result["broadcast"] = broadcast.summary();
    std::ofstream{opt.json_out} << result.dump(2) << "\n";

    auto& a = result["ack_latency"];
    auto& r = result["reply_latency"];
    std::string shape = opt.mode == "closed"
                            ? " x " + std::to_string(opt.messages) + " messages"
                            : " at " + std::to_string(static_cast<long>(opt.rate)) + " msg/s for " +
                                  std::to_string(static_cast<long>(opt.duration)) + " s";
    std::string statuses;
    for (const auto& s : opt.statuses) statuses += (statuses.empty() ? "" : ",") + s;
    std::printf("paige-bench %s against %s: %d projects x %d contacts%s, statuses %s\n",
                opt.mode.c_str(), opt.target.c_str(), opt.projects, opt.contacts, shape.c_str(),
                statuses.empty() ? "none" : statuses.c_str());
    std::printf(
        "  window %.2f s: %.0f acknowledged msg/s, %.0f replies/s (%ld sent, %ld acknowledged, %ld "
        "replies)\n",
        window, result["acknowledged_per_s"].get<double>(), result["replies_per_s"].get<double>(),
        load.sent.load(), load.acked.load(), load.replies.load());
    std::printf("  ack latency   p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n",
                a["p50_ms"].get<double>(), a["p90_ms"].get<double>(), a["p99_ms"].get<double>(),
                a["max_ms"].get<double>());
    std::printf("  reply latency p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms\n",
                r["p50_ms"].get<double>(), r["p90_ms"].get<double>(), r["p99_ms"].get<double>(),
                r["max_ms"].get<double>());
    {
      std::vector<double> p99s;
      std::size_t worst = 0;
      for (const auto& sec : result["reply_latency_by_second"]) {
        p99s.push_back(sec["p99_ms"].get<double>());
        if (p99s.back() > p99s[worst]) worst = p99s.size() - 1;
      }
      if (!p99s.empty()) {
        auto sorted = p99s;
        std::sort(sorted.begin(), sorted.end());
        std::printf("  reply p99 per second: median %.2f, worst %.2f ms (second %zu of %zu)\n",
                    sorted[sorted.size() / 2], p99s[worst], worst, p99s.size());
      }
    }
    std::printf("  cpu s: %s %.1f, postgres %.1f, bench %.1f, machine %.1f of %.1f\n",
                opt.target.c_str(), cpu1 - cpu0, pg1 - pg0, self_cpu(self1) - self_cpu(self0),
                busy1 - busy0, window * std::thread::hardware_concurrency());
    std::printf("  %s RSS: %.0f MB before, %.0f MB after, %.0f MB peak", opt.target.c_str(),
                static_cast<double>(rss_before) / (1 << 20),
                static_cast<double>(rss_after) / (1 << 20),
                result["paige_peak_rss_mb"].get<double>());
    if (conversation_actors >= 0)
      std::printf("; %.0f conversation actors resident", conversation_actors);
    std::printf("\n");
    if (starved)
      std::printf("  %ld offers found every contact waiting for an ack (raise --contacts)\n",
                  starved);
    if (opt.broadcast > 0) {
      const auto& b = result["broadcast"];
      std::printf(
          "  broadcast: %ld recipients, %ld sends (%ld missing, %ld duplicates%s) in %.1f s: "
          "%.0f/s (%.0f/s during the chat load, %.0f/s after)\n",
          b["recipients"].get<long>(), b["sends"].get<long>(), b["missing"].get<long>(),
          b["duplicates"].get<long>(),
          b["killed_at_sends"].get<long>() >= 0
              ? (", kill -9 at " + std::to_string(b["killed_at_sends"].get<long>())).c_str()
              : "",
          b["window_s"].get<double>(), b["per_s"].get<double>(), b.value("during_load_per_s", 0.0),
          b.value("after_load_per_s", 0.0));
      if (b["missing"].get<long>() > 0) correct = false;
    }
    std::printf("  correctness: %s %s\n", correct ? "OK" : "FAILED",
                result["correctness"].dump().c_str());
    std::printf("  json: %s\n", opt.json_out.c_str());
    return correct ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "paige-bench: " << e.what() << "\n";
    return 1;
  }
}
