#include "runtime/data_dir_secrets.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
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

/// The first line of `path`, or a new value from `generate` written there. `generated`
/// tells which.
std::string load_or_create(const fs::path& path, const std::function<std::string()>& generate,
                           bool& generated) {
  generated = false;
  if (std::ifstream in{path}) {
    std::string value;
    std::getline(in, value);
    return value;
  }
  auto value = generate();
  write_private_file(path, value + "\n");
  generated = true;
  return value;
}

}  // namespace

admin_token resolve_admin_token(const std::optional<std::string>& configured,
                                const std::string& data_dir) {
  if (configured) return {*configured, false, {}};
  auto path = fs::path{data_dir} / "admin-token";
  admin_token out;
  out.path = path.string();
  out.value = load_or_create(
      path, [] { return "paige_admin_" + secrets::random_hex(24); }, out.generated);
  if (out.value.size() < 16)
    throw std::runtime_error(out.path + " is damaged; delete it to generate a new admin token");
  return out;
}

secrets::master_key resolve_master_key(const std::optional<std::string>& configured_hex,
                                       const std::string& data_dir) {
  auto path = fs::path{data_dir} / "master-key";
  bool generated = false;
  auto hex = configured_hex ? *configured_hex
                            : load_or_create(
                                  path, [] { return secrets::random_hex(32); }, generated);
  try {
    return secrets::parse_master_key(hex);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error((configured_hex ? std::string{"--master-key"} : path.string()) + ": " +
                             e.what());
  }
}

}  // namespace paige::runtime
