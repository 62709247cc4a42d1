#include "storage/server_admin.hpp"

#include "storage/conninfo.hpp"

#include <pqxx/pqxx>

#include <stdexcept>
#include <thread>

namespace paige::storage {

void wait_until_accepting(const std::string& conninfo, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds{20};
  for (;;) {
    try {
      pqxx::connection c{conninfo};
      pqxx::nontransaction{c}.exec("SELECT 1");
      return;
    } catch (const std::exception& e) {
      if (std::chrono::steady_clock::now() >= deadline)
        throw std::runtime_error(std::string{"database server not reachable: "} + e.what());
    }
    // Back off between attempts: the server is starting, not failing.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds{500});
  }
}

bool ensure_database(const std::string& conninfo, const std::string& name) {
  pqxx::connection c{conninfo};
  pqxx::nontransaction tx{c};
  auto found = tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name);
  if (!found.empty()) return false;
  try {
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  } catch (const pqxx::sql_error& e) {
    // Another node created it between our check and our CREATE: fine.
    if (e.sqlstate() == "42P04") return false;
    throw;
  }
  return true;
}

}  // namespace paige::storage

namespace paige::storage {

void restrict_maintenance_databases(const std::string& superuser_conninfo) {
  pqxx::connection c{superuser_conninfo};
  pqxx::work tx{c};
  tx.exec("REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC");
  tx.exec("REVOKE CONNECT, TEMPORARY ON DATABASE template1 FROM PUBLIC");
  tx.commit();
}

int reserve_wal(const std::string& superuser_conninfo, std::size_t bytes) {
  pqxx::connection c{superuser_conninfo};
  pqxx::nontransaction tx{c};
  auto start = tx.exec1("SELECT pg_current_wal_lsn()")[0].as<std::string>();
  auto written = [&] {
    return tx
        .exec_params1("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint", start)[0]
        .as<long long>();
  };
  while (written() < static_cast<long long>(bytes)) {
    // A switch needs WAL written since the last one: a transaction with an xid commits a record.
    tx.exec("SELECT pg_current_xact_id()");
    tx.exec("SELECT pg_switch_wal()");
  }
  tx.exec("CHECKPOINT");
  return tx
      .exec1(
          "SELECT count(*) FROM pg_ls_waldir() WHERE name > pg_walfile_name(pg_current_wal_lsn()) "
          "AND name ~ '^[0-9A-F]{24}$'")[0]
      .as<int>();
}

void check_master_key(const std::string& control_conninfo, const std::string& fingerprint) {
  pqxx::connection c{control_conninfo};
  pqxx::work tx{c};
  tx.exec_params(
      "INSERT INTO instance_settings (key, value) VALUES ('master_key_fingerprint', "
      "to_jsonb($1::text)) ON CONFLICT (key) DO NOTHING",
      fingerprint);
  auto stored = tx.exec(
                      "SELECT value #>> '{}' FROM instance_settings WHERE key = "
                      "'master_key_fingerprint'")[0][0]
                    .as<std::string>();
  tx.commit();
  if (stored != fingerprint)
    throw std::runtime_error(
        "the master key differs from the one this control database was set up with "
        "(fingerprint " +
        stored + "); start with that key (--master-key or <data-dir>/master-key)");
}

}  // namespace paige::storage
