/// @file
/// @brief The admin bearer key: configured, or generated once and kept in the data directory.
#pragma once

#include <optional>
#include <string>

namespace paige::runtime {

struct admin_token {
  std::string value;
  bool generated = false;  ///< true only on the start that created it (print it then)
  std::string path;        ///< where it is stored; empty when configured
};

/// The configured token, else the one in `<data_dir>/admin-token`, else a new random one
/// written there (mode 0600, atomically). Throws std::runtime_error on I/O failure.
admin_token resolve_admin_token(const std::optional<std::string>& configured,
                                const std::string& data_dir);

}  // namespace paige::runtime
