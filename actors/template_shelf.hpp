/// @file
/// @brief A project's templates as its sends look them up (actors/core/template_send.hpp):
/// replaced whole by the project actor when they change, read by its conversation actors.
#pragma once

#include "actors/core/template_send.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <atomic>
#include <memory>

namespace paige::actors {

class template_shelf {
 public:
  /// The templates now; null until the project actor read them (sends are not judged then:
  /// Meta does).
  templates::book_ptr get() const { return std::atomic_load(&current_); }
  void put(templates::book_ptr b) { std::atomic_store(&current_, std::move(b)); }

 private:
  templates::book_ptr current_;
};

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::templates::book_ptr)
