// paige: the server binary. `paige serve [options]`; `paige --help`; `paige --version`.
#include "common/log.hpp"
#include "common/shutdown_signals.hpp"
#include "runtime/config.hpp"
#include "runtime/server.hpp"

#include <iostream>
#include <string>
#include <vector>

extern char** environ;

namespace {

constexpr const char* usage =
    "usage: paige <command> [options]\n\n"
    "commands:\n"
    "  serve      run the server (paige serve --help lists its options)\n"
    "  version    print the version\n";

std::vector<std::string> environment_names() {
  std::vector<std::string> names;
  for (char** e = environ; e && *e; ++e) {
    std::string entry{*e};
    names.push_back(entry.substr(0, entry.find('=')));
  }
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace paige;
  // Before any thread exists, so every thread inherits the mask.
  signals::block_shutdown_signals();
  std::vector<std::string> args{argv + 1, argv + argc};
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "paige " << PAIGE_VERSION << "\n";
    return 0;
  }
  if (args[0] != "serve") {
    std::cerr << "paige: unknown command '" << args[0] << "'\n\n" << usage;
    return 2;
  }
  args.erase(args.begin());
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << runtime::config_help();
      return 0;
    }
  runtime::parsed_config parsed;
  try {
    parsed = runtime::parse_config(args, runtime::process_env(), environment_names());
  } catch (const runtime::config_error& e) {
    std::cerr << "paige: " << e.what() << "\n";
    return 2;
  }
  log::init(parsed.cfg.log_level);
  for (const auto& w : parsed.warnings) log::warn("config.warning", {{"detail", w}});
  return runtime::serve(parsed.cfg);
}
