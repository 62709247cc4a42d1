/// @file
/// @brief phone_number_id → project actor, read on every webhook without a database round
/// trip or an actor hop; and a WABA's numbers, for the webhook fields that name the account
/// (and maybe a display number) rather than a phone_number_id. Writers (project actors, on
/// connect, start and exit) replace an immutable snapshot; readers on any thread take the
/// current one.
#pragma once

#include <caf/actor.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace paige::actors {

class number_directory {
 public:
  number_directory();

  /// The project actor of a number, or an invalid handle when no live project owns it.
  caf::actor find(const std::string& phone_number_id) const;

  /// The project actors of a WABA's numbers: the one whose phone_number_id or display digits
  /// are given, or all of them when both are empty.
  std::vector<caf::actor> find_account(const std::string& waba_id,
                                       const std::string& phone_number_id,
                                       const std::string& display_digits) const;

  /// Routes `phone_number_id` (of WABA `waba_id`, shown as `display_phone_number`) to
  /// `project`, replacing any earlier route of that project.
  void set(const std::string& phone_number_id, const std::string& waba_id,
           const std::string& display_phone_number, const caf::actor& project);

  /// Removes the routes to `project` (it is deleting, or it exited).
  void remove(const caf::actor_addr& project);

 private:
  struct route {
    caf::actor project;
    std::string waba_id;
    std::string display_digits;
  };
  using map = std::unordered_map<std::string, route>;
  std::shared_ptr<const map> snapshot() const;

  mutable std::mutex write_mutex_;
  std::shared_ptr<const map> current_;
};

}  // namespace paige::actors
