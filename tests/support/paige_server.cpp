#include "tests/support/paige_server.hpp"

#include <signal.h>

#include <regex>

namespace paige::test {

std::string paige_binary() { return PAIGE_BINARY; }

paige_server::paige_server(const std::string& data_dir, std::vector<std::string> extra_args,
                           std::vector<std::pair<std::string, std::string>> env,
                           std::vector<std::string> launcher) {
  std::vector<std::string> argv = std::move(launcher);
  argv.insert(argv.end(),
              {paige_binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
               "--app-secret", test_app_secret, "--verify-token", test_verify_token});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<child_process>(std::move(argv), std::move(env), data_dir);
}

bool paige_server::wait_listening(std::chrono::milliseconds timeout) {
  static const std::regex listening{R"(event=http\.listening addr=127\.0\.0\.1:(\d+))"};
  std::smatch m;
  bool found = wait_until(
      [&] {
        auto err = process_->stderr_text();
        if (std::regex_search(err, m, listening)) {
          port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
          return true;
        }
        return !process_->running();
      },
      timeout);
  return found && port_ != 0;
}

std::optional<int> paige_server::terminate(std::chrono::milliseconds timeout) {
  process_->signal(SIGTERM);
  return process_->wait_exit(timeout);
}

}  // namespace paige::test
