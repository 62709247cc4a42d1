/// @file
/// @brief The test run's throwaway Postgres cluster and fresh databases on it.
///
/// CTest's `pg` fixture starts one cluster per run (tests/support/testpg_main.cpp) and writes
/// its connection string to $PAIGE_TEST_PG_FILE; each test makes its own database.
#pragma once

#include <string>

namespace paige::test {

/// Superuser connection string of the test cluster's `postgres` database.
std::string cluster_conninfo();

/// Everything the test cluster's server has logged so far.
std::string cluster_log();

/// A database created for one test and dropped (with its connections) afterwards.
class fresh_database {
 public:
  fresh_database();
  ~fresh_database();
  fresh_database(const fresh_database&) = delete;
  fresh_database& operator=(const fresh_database&) = delete;

  const std::string& name() const { return name_; }
  /// Superuser connection string of this database.
  const std::string& conninfo() const { return conninfo_; }
  /// The same as a postgresql:// URL (what --database-url takes).
  std::string url() const;

 private:
  std::string name_;
  std::string conninfo_;
};

}  // namespace paige::test
