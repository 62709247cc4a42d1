/// @file
/// @brief phone_number_id → project actor, read on every webhook without a database round
/// trip or an actor hop. Writers (project actors, on connect, start and exit) replace an
/// immutable snapshot; readers on any thread take the current one.
#pragma once

#include <caf/actor.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace paige::actors {

class number_directory {
 public:
  number_directory();

  /// The project actor of a number, or an invalid handle when no live project owns it.
  caf::actor find(const std::string& phone_number_id) const;

  /// Routes `phone_number_id` to `project` (replacing any earlier route of that project).
  void set(const std::string& phone_number_id, const caf::actor& project);

  /// Removes the routes to `project` (it is deleting, or it exited).
  void remove(const caf::actor_addr& project);

 private:
  using map = std::unordered_map<std::string, caf::actor>;
  std::shared_ptr<const map> snapshot() const;

  mutable std::mutex write_mutex_;
  std::shared_ptr<const map> current_;
};

}  // namespace paige::actors
