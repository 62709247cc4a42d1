// paige-metasim: a local simulator of Meta's side of the WhatsApp Cloud API.
//   paige-metasim --webhook-url http://127.0.0.1:8080/webhook --app-secret S [options]
// See bench/README.md for the control API.
#include "api/http_server.hpp"
#include "bench/metasim/routes.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/shutdown_signals.hpp"

#include <iostream>
#include <map>

using namespace paige;

namespace {

constexpr const char* usage =
    "usage: paige-metasim --app-secret SECRET [--webhook-url URL] [options]\n"
    "  --listen HOST:PORT       address of the Graph and control API [127.0.0.1:9090]\n"
    "  --webhook-url URL        where webhooks go (Paige's /webhook); also PUT /control/webhook\n"
    "  --app-secret SECRET      key of X-Hub-Signature-256 (and of the signup code exchange)\n"
    "  --app-id ID              the app's id the code exchange expects [any]\n"
    "  --max-attempts N         webhook deliveries before giving up [10]\n"
    "  --statuses LIST          statuses sent for each accepted message [sent,delivered,read]\n"
    "  --error-rate P           share of sends that fail [0]\n"
    "  --error-code CODE        500 or a Meta code such as 130429, 131047, 131056 [500]\n"
    "  --latency-ms N           added to every Graph answer [0]\n"
    "  --duplicate-rate P       share of webhooks delivered twice [0]\n"
    "  --seed N                 random seed [1]\n"
    "  --log-level LEVEL        [info]\n";

}  // namespace

int main(int argc, char** argv) {
  signals::block_shutdown_signals();

  std::map<std::string, std::string> opt{{"--listen", "127.0.0.1:9090"},
                                         {"--max-attempts", "10"},
                                         {"--statuses", "sent,delivered,read"},
                                         {"--error-rate", "0"},
                                         {"--error-code", "500"},
                                         {"--latency-ms", "0"},
                                         {"--duplicate-rate", "0"},
                                         {"--seed", "1"},
                                         {"--log-level", "info"},
                                         {"--webhook-url", ""},
                                         {"--app-secret", ""},
                                         {"--app-id", ""}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    auto eq = a.find('=');
    std::string key = eq == std::string::npos ? a : a.substr(0, eq);
    if (!opt.count(key)) {
      std::cerr << "paige-metasim: unknown option '" << key << "'\n" << usage;
      return 2;
    }
    if (eq != std::string::npos)
      opt[key] = a.substr(eq + 1);
    else if (i + 1 < argc)
      opt[key] = argv[++i];
    else {
      std::cerr << "paige-metasim: " << key << ": missing value\n";
      return 2;
    }
  }
  if (opt["--app-secret"].empty()) {
    std::cerr << "paige-metasim: --app-secret is required\n" << usage;
    return 2;
  }
  log::init(opt["--log-level"]);
  try {
    metasim::sim_state state{std::stoull(opt["--seed"])};
    metasim::faults f;
    metasim::apply_faults(f, {{"error_rate", std::stod(opt["--error-rate"])},
                              {"error_code", std::stol(opt["--error-code"])},
                              {"latency_ms", std::stol(opt["--latency-ms"])},
                              {"duplicate_rate", std::stod(opt["--duplicate-rate"])}});
    f.statuses.clear();
    std::string list = opt["--statuses"];
    for (std::size_t start = 0; start < list.size();) {
      auto comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      if (comma > start) f.statuses.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
    state.set_faults(f);
    metasim::scheduler timers;
    metasim::webhook_sender sender{opt["--webhook-url"], opt["--app-secret"],
                                   std::stoi(opt["--max-attempts"]), state, timers};
    api::router routes;
    metasim::sim_context ctx{state, timers, sender, true, {}, opt["--app-id"], opt["--app-secret"]};
    metasim::add_control_routes(routes, ctx);  // first: /control/... wins over /{version}/{id}
    metasim::add_signup_routes(routes, ctx);   // and /{version}/debug_token over /{version}/{id}
    metasim::add_upload_routes(routes, ctx);
    metasim::add_template_routes(routes, ctx);
    metasim::add_flow_routes(routes, ctx);
    metasim::add_graph_routes(routes, ctx);
    metrics::registry metrics;
    auto listen = opt["--listen"];
    auto colon = listen.rfind(':');
    api::http_server_options sopts;
    sopts.host = listen.substr(0, colon);
    sopts.port = static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
    api::http_server server{sopts, routes, metrics};
    auto port = server.start();
    log::info("metasim.listening", {{"addr", sopts.host + ":" + std::to_string(port)},
                                    {"webhook_url", opt["--webhook-url"]}});
    signals::wait_for_shutdown_signal();
    server.stop(std::chrono::seconds{2});
    log::info("metasim.stopped");
  } catch (const std::exception& e) {
    std::cerr << "paige-metasim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
