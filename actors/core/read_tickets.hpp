// Answers to reads that may end in any order (a connection pool runs them side by side): each
// read takes a ticket when it is asked, and its answer is taken only if it was asked after the
// answer taken last. A read asked later saw every change stored before it was asked, so the
// answer kept is never older than one dropped.
#pragma once

#include <cstdint>

namespace paige::actors::core {

class read_tickets {
 public:
  /// The ticket of a read asked now.
  std::uint64_t ask() { return ++asked_; }

  /// Whether the answer of the read with `ticket` is newer than the one taken last (it is
  /// then taken).
  bool take(std::uint64_t ticket) {
    if (ticket <= taken_) return false;
    taken_ = ticket;
    return true;
  }

 private:
  std::uint64_t asked_ = 0;
  std::uint64_t taken_ = 0;
};

}  // namespace paige::actors::core
