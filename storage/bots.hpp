/// @file
/// @brief Bot definition versions in the control database.
#pragma once

#include <optional>
#include <string>

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

/// Stores `definition_json` as the project's next version (inside `tx`).
bot_row insert_bot_version(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& definition_json);

/// The project's current (highest) version, if any.
std::optional<bot_row> current_bot(pqxx::connection& c, const std::string& project_id);

}  // namespace paige::storage
