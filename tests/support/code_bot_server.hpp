/// @file
/// @brief A code bot for tests (docs/bot-contract.md): an HTTP server on 127.0.0.1 that checks
/// each event's signature, records it, and answers what the test's function returns.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace paige::test {

/// The bot's answer to one event: a status and a body, or no answer at all (the bot hangs
/// until the server stops).
struct bot_answer {
  unsigned status = 200;
  std::string body;
  bool hang = false;
};

/// `{"actions": actions}` answered 200. One action goes as `json::array({a})`: a braced single
/// JSON value is copied, not wrapped in a list.
bot_answer actions(const nlohmann::json& actions);

/// An event as the bot received it.
struct received_event {
  nlohmann::json body;
  std::string event_id;  ///< Paige-Event
  std::string contract;  ///< Paige-Contract
  bool signature_valid = false;
};

class code_bot_server {
 public:
  using answerer = std::function<bot_answer(const nlohmann::json& event)>;

  explicit code_bot_server(answerer answer);
  ~code_bot_server();

  /// Where Paige posts events: http://127.0.0.1:<port>/paige/events.
  std::string url() const;
  /// The key signatures are checked with (the project's bot secret, once Paige showed it).
  void set_secret(std::string secret);
  std::vector<received_event> events() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace paige::test
