// paige-echo-target: the protocol floor, a webhook target that does only what any bot backend
// must do on the wire, with Paige's own code for it: checks each webhook's signature, reads the
// envelope (Paige's webhook codec), sends "echo: <text>" for each text message through Paige's
// Graph client and answers 200 once those sends are accepted. No database, no actors, nothing
// durable: `paige-bench --target echo` runs it in Paige's place to measure what the harness and
// the HTTP work alone cost on the machine (bench/README.md).
//   paige-echo-target serve --listen 127.0.0.1:0 --app-secret S --graph-url URL
//       --number PHONE_NUMBER_ID=ACCESS_TOKEN... [--data-dir D] [--graph-version v21.0]
#include "api/graph_client.hpp"
#include "api/http_server.hpp"
#include "api/webhook_codec.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/shutdown_signals.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <memory>

using namespace paige;
using json = nlohmann::json;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string app_secret, graph_url, graph_version = "v21.0";
  std::map<std::string, std::string> tokens;  // phone_number_id -> access token
};

options parse(std::vector<std::string> args) {
  if (args.empty() || args[0] != "serve")
    throw std::invalid_argument("usage: paige-echo-target serve [options]");
  options o;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (i + 1 >= args.size()) throw std::invalid_argument(args[i] + ": missing value");
    const auto& a = args[i];
    const auto& v = args[++i];
    if (a == "--listen") {
      auto colon = v.rfind(':');
      if (colon == std::string::npos) throw std::invalid_argument("--listen is HOST:PORT");
      o.host = v.substr(0, colon);
      o.port = static_cast<std::uint16_t>(std::stoi(v.substr(colon + 1)));
    } else if (a == "--app-secret") {
      o.app_secret = v;
    } else if (a == "--graph-url") {
      o.graph_url = v;
    } else if (a == "--graph-version") {
      o.graph_version = v;
    } else if (a == "--number") {
      auto eq = v.find('=');
      if (eq == std::string::npos)
        throw std::invalid_argument("--number is PHONE_NUMBER_ID=ACCESS_TOKEN");
      o.tokens[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a != "--data-dir") {  // paige-bench's launcher passes one; nothing is stored
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.app_secret.empty() || o.graph_url.empty())
    throw std::invalid_argument("--app-secret and --graph-url are required");
  return o;
}

/// Answers a webhook once every send it caused was accepted; the first failure answers 503
/// (the simulator redelivers, as Meta would).
struct pending_answer {
  std::atomic<std::size_t> remaining{1};  // released once every send is issued
  std::atomic<bool> failed{false};
  api::responder respond;

  void one_done(bool ok) {
    if (!ok) failed = true;
    if (--remaining > 0) return;
    if (failed)
      respond(api::http_response::error(api_code::unavailable, "a send failed; retry"));
    else
      respond(api::http_response::json(200, {{"status", "ok"}}));
  }
};

void add_echo_route(api::router& routes, const options& opt, api::graph_client& graph) {
  routes.add("POST", "/webhook", [&opt, &graph](api::http_request&& req, api::responder respond) {
    if (!api::valid_signature(opt.app_secret, req.body,
                              req.header("x-hub-signature-256").value_or("")))
      return respond(api::http_response::error(api_code::invalid_signature,
                                               "missing or wrong X-Hub-Signature-256"));
    auto parsed = api::parse_webhook(req.body);
    if (auto* why = std::get_if<std::string>(&parsed))
      return respond(api::http_response::error(api_code::invalid_webhook, *why));
    auto answer = std::make_shared<pending_answer>();
    answer->respond = std::move(respond);
    for (const auto& batch : std::get<api::webhook_events>(parsed).numbers) {
      auto token = opt.tokens.find(batch.phone_number_id);
      if (token == opt.tokens.end()) continue;  // not ours: dropped, as Paige drops it
      for (const auto& m : batch.messages) {
        if (m.type != "text") continue;
        auto content = json::parse(m.content_json, nullptr, false);
        auto text = content.value("/text/body"_json_pointer, std::string{});
        json send{{"messaging_product", "whatsapp"},
                  {"recipient_type", "individual"},
                  {"to", m.from},
                  {"type", "text"},
                  {"text", {{"body", "echo: " + text}}}};
        ++answer->remaining;
        graph.call("POST", "/" + batch.phone_number_id + "/messages", token->second, send.dump(),
                   [answer](actors::graph_result r) { answer->one_done(r.ok()); });
      }
    }
    answer->one_done(true);
  });
}

}  // namespace

int main(int argc, char** argv) {
  signals::block_shutdown_signals();
  options opt;
  try {
    opt = parse({argv + 1, argv + argc});
  } catch (const std::exception& e) {
    std::cerr << "paige-echo-target: " << e.what() << "\n";
    return 2;
  }
  log::init("info");
  try {
    api::graph_client graph{opt.graph_url, opt.graph_version};
    api::router routes;
    add_echo_route(routes, opt, graph);
    metrics::registry metrics;
    api::http_server_options sopts;
    sopts.host = opt.host;
    sopts.port = opt.port;
    api::http_server server{sopts, routes, metrics};
    auto port = server.start();
    // The line paige-bench's launcher waits for, as `paige serve` writes it.
    log::info("http.listening", {{"addr", opt.host + ":" + std::to_string(port)}});
    signals::wait_for_shutdown_signal();
    server.stop(std::chrono::milliseconds{1000});
    graph.stop();
  } catch (const std::exception& e) {
    log::error("echo_target.failed", {{"error", e.what()}});
    return 1;
  }
  return 0;
}
