/// @file
/// @brief A paige server on a fresh control database, with helpers for the /v1 API.
#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/paige_server.hpp"
#include "tests/support/test_cluster.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace paige::test {

using json = nlohmann::json;

inline const std::string admin_key = "admin-key-for-tests-0123456789";
inline const std::string master_hex(64, '7');

using reply = json_reply;

/// A paige server on a fresh control database of the test cluster.
struct project_server {
  fresh_database control;
  temp_dir dir;
  std::unique_ptr<paige_server> server;

  explicit project_server(std::vector<std::string> extra_args = {});

  void start(const std::string& master);

  reply call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& key = admin_key);

  /// Creates a project (202) and returns it.
  json create(const std::string& name);

  /// Waits until the project reaches `status` (GET answers 404 for "deleted").
  bool wait_status(const std::string& id, const std::string& status);

  /// The project's database, role and role password, read from the control database.
  struct db_info {
    std::string name, role, password;
  };
  db_info database_of(const std::string& id);

 private:
  std::vector<std::string> extra_args_;
};

}  // namespace paige::test
