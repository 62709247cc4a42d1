/// @file
/// @brief One paige per data directory: an exclusive lock on `<data-dir>/paige.lock`, held
/// for the life of the process. A second server on the same directory would otherwise take
/// the first one's embedded Postgres for a crash's leftover.
#pragma once

#include <string>

namespace paige::runtime {

class data_dir_lock {
 public:
  /// Takes the lock; throws std::runtime_error naming the directory if another process holds it.
  explicit data_dir_lock(const std::string& data_dir);
  ~data_dir_lock();
  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace paige::runtime
