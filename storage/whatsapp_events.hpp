/// @file
/// @brief Meta's webhook changes other than messages (account, quality, name review, alerts,
/// templates, flows), recorded once per project, and the number health they change, in the
/// control database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

/// One change as Meta sent it.
struct account_event_row {
  std::int64_t id = 0;  ///< assigned when stored
  std::string dedupe_key;
  std::string field;
  std::string waba_id;
  std::string phone_number_id;  ///< the project's number when stored
  std::int64_t event_time = 0;  ///< entry.time, Unix seconds
  std::string value_json;
  std::string received_at;  ///< ISO 8601, when stored
};

/// Stores the change for the project unless it has it already (same dedupe_key). True when
/// it is new.
bool insert_account_event(pqxx::transaction_base& tx, const std::string& project_id,
                          account_event_row& e);

/// The stored health of the project's number, locked until `tx` ends; nullopt when the
/// project has no such number.
std::optional<std::string> lock_number_health(pqxx::transaction_base& tx,
                                              const std::string& project_id,
                                              const std::string& phone_number_id);

/// Replaces the stored health of the project's number.
void set_number_health(pqxx::transaction_base& tx, const std::string& project_id,
                       const std::string& phone_number_id, const std::string& health_json);

/// Replaces the display name of the project's number (after Meta approved a new one).
void set_verified_name(pqxx::transaction_base& tx, const std::string& project_id,
                       const std::string& phone_number_id, const std::string& name);

/// The project's changes with id < `before_id` (0: from the newest), newest first, of `field`
/// when not empty; at most `limit`.
std::vector<account_event_row> account_events(pqxx::connection& c, const std::string& project_id,
                                              const std::string& field, std::int64_t before_id,
                                              int limit);

}  // namespace paige::storage
