#include "runtime/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace paige::runtime {

data_dir_lock::data_dir_lock(const std::string& data_dir) {
  auto path = data_dir + "/paige.lock";
  // Close-on-exec: Postgres, started from here, must not inherit (and keep) the lock.
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    auto err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error("another paige is running with the data directory " + data_dir +
                               " (" + path + ")");
    throw std::runtime_error("cannot lock " + path + ": " + std::strerror(err));
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0 && ::write(fd_, pid.data(), pid.size()) < 0) {
    // The pid is for humans only; the lock is what counts.
  }
}

data_dir_lock::~data_dir_lock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace paige::runtime
