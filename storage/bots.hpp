/// @file
/// @brief Bot definition versions in the control database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

struct bot_row {
  int version = 0;
  std::string definition_json;
  std::string created_at;
};

/// Versions kept per project: older ones are deleted as new ones are stored (only the current
/// one is ever read), so repeated saves cannot grow the shared control database.
inline constexpr int bot_versions_kept = 20;

/// Stores `definition_json` as the project's next version (inside `tx`) and deletes the
/// versions older than the last bot_versions_kept.
bot_row insert_bot_version(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& definition_json);

/// The project's current (highest) version, if any.
std::optional<bot_row> current_bot(pqxx::connection& c, const std::string& project_id);

/// The project's kept versions, newest first (at most bot_versions_kept).
std::vector<bot_row> bot_versions(pqxx::connection& c, const std::string& project_id);

}  // namespace paige::storage
