/// @file
/// @brief A project's secrets in the control database: values sealed with the master key
/// (common/secrets.hpp), readable back only by Paige (for the project's bot), never by the API.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction_base>

namespace paige::storage {

struct secret_row {
  std::string name;
  std::string created_at;  ///< ISO 8601 UTC
  std::string updated_at;
  bool created = false;  ///< put_secret: the name was new
};

/// Most secrets a project may hold.
inline constexpr std::size_t max_secrets_per_project = 100;

/// Stores (or replaces) the project's secret `name`; nullopt when the name is new and the
/// project already holds max_secrets_per_project.
std::optional<secret_row> put_secret(pqxx::connection& c, const std::string& project_id,
                                     const std::string& name, const std::string& value_sealed);

/// The project's secrets' names and times, by name.
std::vector<secret_row> list_secrets(pqxx::connection& c, const std::string& project_id);

/// Deletes the project's secret `name`; false when it had none of that name.
bool delete_secret(pqxx::connection& c, const std::string& project_id, const std::string& name);

/// Every secret of the project, name → sealed value (what the project's bot is given).
std::map<std::string, std::string> sealed_secrets(pqxx::connection& c,
                                                  const std::string& project_id);

/// The project's secret `name`, sealed; nullopt when it has none of that name.
std::optional<std::string> sealed_secret(pqxx::transaction_base& tx, const std::string& project_id,
                                         const std::string& name);

/// Stores the project's secret `name` if it has none of that name (Paige's own secrets, such
/// as the bot secret: no count limit); whether it was stored.
bool add_secret_if_absent(pqxx::transaction_base& tx, const std::string& project_id,
                          const std::string& name, const std::string& value_sealed);

/// Stores (or replaces) the project's secret `name` without the count limit (Paige's own).
void replace_secret(pqxx::transaction_base& tx, const std::string& project_id,
                    const std::string& name, const std::string& value_sealed);

/// Deletes all the project's secrets (the project is deleted).
void delete_project_secrets(pqxx::connection& c, const std::string& project_id);

}  // namespace paige::storage
