/// @file
/// @brief The real paige-metasim binary, started for a test.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"

#include <memory>
#include <string>
#include <vector>

namespace paige::test {

class metasim_process {
 public:
  /// Starts `paige-metasim --listen 127.0.0.1:0 --app-secret <test secret>` plus `extra_args`.
  explicit metasim_process(std::vector<std::string> extra_args = {});

  std::uint16_t port() const { return port_; }
  /// Base URL of its Graph API (what paige's --graph-url takes).
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  json_reply call(const std::string& method, const std::string& path, const std::string& body = {});
  /// Sends webhooks to paige at `paige_port`.
  void target(std::uint16_t paige_port);
  /// Stops the simulator (its connections die with it, as Meta's idle ones do) and starts a
  /// new one on the same port, with no state: numbers and the webhook target are set again.
  void restart();
  /// Creates a simulated business number with its access token.
  void add_number(const std::string& phone_number_id, const std::string& waba_id,
                  const std::string& token);
  child_process& process() { return *process_; }

 private:
  void start(const std::string& listen);

  temp_dir dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<child_process> process_;
  std::uint16_t port_ = 0;
};

}  // namespace paige::test
