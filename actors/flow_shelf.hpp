/// @file
/// @brief A project's flows as its sends and answers look them up (actors/core/flow_send.hpp):
/// replaced whole by the project actor when they change, read by its conversation actors.
#pragma once

#include "actors/core/flow_send.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <atomic>
#include <memory>

namespace paige::actors {

class flow_shelf {
 public:
  /// The flows now (empty until the project actor read them).
  flows::catalog_ptr get() const {
    auto c = std::atomic_load(&current_);
    return c ? c : empty();
  }
  void put(flows::catalog_ptr c) { std::atomic_store(&current_, std::move(c)); }

 private:
  static flows::catalog_ptr empty() {
    static const auto none = std::make_shared<const flows::catalog>();
    return none;
  }
  flows::catalog_ptr current_;
};

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::flows::catalog_ptr)
