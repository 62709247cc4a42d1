#include "runtime/admin_token.hpp"

#include "common/secrets.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace paige::runtime {
namespace {

void write_private_file(const fs::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

admin_token resolve_admin_token(const std::optional<std::string>& configured,
                                const std::string& data_dir) {
  if (configured) return {*configured, false, {}};
  fs::path path = fs::path{data_dir} / "admin-token";
  if (std::ifstream in{path}) {
    std::string token;
    std::getline(in, token);
    if (token.size() >= 16) return {token, false, path.string()};
    throw std::runtime_error(path.string() + " is damaged; delete it to generate a new admin token");
  }
  std::string token = "paige_admin_" + secrets::random_hex(24);
  write_private_file(path, token + "\n");
  return {token, true, path.string()};
}

}  // namespace paige::runtime
