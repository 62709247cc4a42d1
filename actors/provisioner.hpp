/// @file
/// @brief The provisioning supervisor: creates and drops project databases and roles, with
/// retries, off the HTTP and actor threads.
///
/// Protocol (all asynchronous; the provisioner answers the project actor by message):
///   (provision_atom, project, db_name, role, password[, provision_options])
///       → project receives (provisioned_atom) or (prov_failed_atom, reason); also brings the
///         database of a project made by an earlier build up to date (migrated_before)
///   (deprovision_atom, project, db_name, role)
///       → project receives (deprovisioned_atom) or (prov_failed_atom, reason)
/// Every step is idempotent (storage/provisioning.hpp), so a retry, or a run after a crash,
/// continues where the last one stopped. Transient failures (connection lost, server busy,
/// lock timeouts) are retried with exponential backoff and jitter up to `max_attempts`;
/// anything else fails at once.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <string>

namespace paige::actors {

/// What provisioning needs besides the database's names.
struct provision_options {
  int temp_file_limit_mb = 1024;  ///< the project's temp_file_limit_mb setting
  bool migrated_before = false;   ///< the project was active under an earlier build
};

/// Spawns the provisioner. `admin_db` is a db_pool whose role may create databases and roles;
/// project roles connect to `server_conninfo`'s server (for migrations).
caf::actor spawn_provisioner(caf::actor_system& sys, caf::actor admin_db,
                             std::string server_conninfo, int max_attempts = 8);

/// Backoff before attempt `attempt` (2, 3, ...): first·2^(attempt-2), capped, times a jitter
/// factor in [0.5, 1] drawn from `unit_random` (in [0, 1)).
std::chrono::milliseconds provisioning_backoff(
    int attempt, double unit_random,
    std::chrono::milliseconds first = std::chrono::milliseconds{250},
    std::chrono::milliseconds cap = std::chrono::milliseconds{10000});

/// Whether a Postgres error (by SQLSTATE) is worth retrying.
bool is_transient_sqlstate(const std::string& sqlstate);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::provision_options)
