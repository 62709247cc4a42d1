/// @file
/// @brief The WhatsApp Flows of a project's WABA in the control database: each flow's Flow JSON
/// as last uploaded to Meta, its categories and endpoint, and what Meta says of it (status,
/// validation errors). Shapes: actors/core/flow_rules.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace paige::storage {

/// One flow.
struct flow_row {
  std::string name;  ///< the project's name for it (unique in the project)
  std::string meta_id;
  std::string waba_id;
  std::string categories_json;  ///< ["APPOINTMENT_BOOKING", ...]
  std::string flow_json;        ///< the Flow JSON (compact)
  std::string endpoint_uri;     ///< empty: the flow has no data-exchange endpoint
  std::string status;           ///< DRAFT, PUBLISHED, DEPRECATED, BLOCKED, THROTTLED
  std::string
      validation_errors_json;     ///< Meta's problems as the API lists them: [{pointer, message}]
  std::int64_t status_time = 0;   ///< when Meta decided the status (Unix seconds)
  std::string answers_json;       ///< {"table", "columns"}: where answers go; empty: nowhere
  std::string data_sources_json;  ///< the endpoint's screens' data; empty: none
  std::string created_at;         ///< ISO 8601
  std::string updated_at;
};

/// Stores the flow (a new one, or what it is now), keeping when it was created.
void save_flow(pqxx::transaction_base& tx, const std::string& project_id, const flow_row& f);

/// The flow named `name`, locked until `tx` ends.
std::optional<flow_row> lock_flow(pqxx::transaction_base& tx, const std::string& project_id,
                                  const std::string& name);

/// The flow of Meta's id `meta_id`.
std::optional<flow_row> flow_by_meta_id(pqxx::transaction_base& tx, const std::string& project_id,
                                        const std::string& meta_id);

/// Removes the flow; false when there was none.
bool remove_flow(pqxx::transaction_base& tx, const std::string& project_id,
                 const std::string& name);

/// A status Meta decided at `status_time` (a webhook, an answer): stored unless a later one is.
/// The flow as it is now when it changed.
std::optional<flow_row> set_flow_status(pqxx::transaction_base& tx, const std::string& project_id,
                                        const std::string& meta_id, const std::string& status,
                                        std::int64_t status_time);

/// The project's flows ordered by name, after `after_name` when given, of `status` when not
/// empty; at most `limit` (0: all).
std::vector<flow_row> flows_of(pqxx::transaction_base& tx, const std::string& project_id,
                               const std::string& status, const std::string& after_name, int limit);

/// The key pair of a project's number for its flows' data-exchange endpoint.
struct flow_key {
  std::string phone_number_id;
  std::string private_key_sealed;
  std::string public_key;  ///< PEM
  std::string created_at;  ///< ISO 8601
};

/// Stores the project's key pair (replacing the one before).
void save_flow_key(pqxx::transaction_base& tx, const std::string& project_id, const flow_key& k);

/// The project's key pair, if it has one.
std::optional<flow_key> flow_key_of(pqxx::transaction_base& tx, const std::string& project_id);

}  // namespace paige::storage
