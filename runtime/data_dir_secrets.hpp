/// @file
/// @brief Secrets kept in the data directory when none is configured: the admin key and the
/// master key that seals secrets at rest. Each is generated once, written atomically with
/// mode 0600, and reused by every later start.
#pragma once

#include "common/secrets.hpp"

#include <optional>
#include <string>

namespace paige::runtime {

struct admin_token {
  std::string value;
  bool generated = false;  ///< true only on the start that created it (print it then)
  std::string path;        ///< where it is stored; empty when configured
};

/// The configured token, else the one in `<data_dir>/admin-token`, else a new random one
/// written there. Throws std::runtime_error on I/O failure or a damaged file.
admin_token resolve_admin_token(const std::optional<std::string>& configured,
                                const std::string& data_dir);

/// The configured master key (64 hex characters), else `<data_dir>/master-key`, else a new
/// random one written there. Throws std::runtime_error on I/O failure or a malformed key.
secrets::master_key resolve_master_key(const std::optional<std::string>& configured_hex,
                                       const std::string& data_dir);

}  // namespace paige::runtime
