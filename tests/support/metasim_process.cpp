#include "tests/support/metasim_process.hpp"

#include "tests/support/paige_server.hpp"

#include <signal.h>

#include <regex>
#include <stdexcept>

namespace paige::test {

metasim_process::metasim_process(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  start("127.0.0.1:0");
}

void metasim_process::restart() {
  process_->signal(SIGKILL);
  process_->wait_exit(std::chrono::seconds{10});
  start("127.0.0.1:" + std::to_string(port_));
}

void metasim_process::start(const std::string& listen) {
  std::vector<std::string> argv{METASIM_BINARY, "--listen", listen, "--app-secret",
                                test_app_secret};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<child_process>(
      std::move(argv), std::vector<std::pair<std::string, std::string>>{}, dir_.path());
  static const std::regex listening{R"(event=metasim\.listening addr=127\.0\.0\.1:(\d+))"};
  std::smatch m;
  bool up = wait_until([&] {
    auto err = process_->stderr_text();
    if (std::regex_search(err, m, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return true;
    }
    return !process_->running();
  });
  if (!up || port_ == 0)
    throw std::runtime_error("paige-metasim did not start: " + process_->stderr_text());
}

json_reply metasim_process::call(const std::string& method, const std::string& path,
                                 const std::string& body) {
  return json_request(port_, method, path, body);
}

void metasim_process::target(std::uint16_t paige_port) {
  auto r =
      call("PUT", "/control/webhook",
           nlohmann::json{{"url", "http://127.0.0.1:" + std::to_string(paige_port) + "/webhook"}}
               .dump());
  if (r.status != 200) throw std::runtime_error("cannot point the simulator at paige");
}

void metasim_process::add_number(const std::string& phone_number_id, const std::string& waba_id,
                                 const std::string& token) {
  auto r = call("PUT", "/control/numbers/" + phone_number_id,
                nlohmann::json{{"waba_id", waba_id},
                               {"display_phone_number", "1555" + phone_number_id},
                               {"verified_name", "Business " + phone_number_id},
                               {"access_token", token}}
                    .dump());
  if (r.status != 200) throw std::runtime_error("cannot create the simulated number");
}

}  // namespace paige::test
