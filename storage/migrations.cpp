#include "storage/migrations.hpp"

#include <pqxx/pqxx>

#include <functional>
#include <stdexcept>

namespace paige::storage {
namespace {

void check_list(const std::vector<migration>& list) {
  for (std::size_t i = 0; i < list.size(); ++i)
    if (list[i].version != static_cast<int>(i) + 1)
      throw std::runtime_error("migration list must number versions 1, 2, 3...; found " +
                               std::to_string(list[i].version) + " at position " +
                               std::to_string(i + 1));
}

/// Serializes migrators of one tracking table across connections and nodes.
long long lock_key(const std::string& table) {
  return static_cast<long long>(std::hash<std::string>{}("paige.migrations." + table) &
                                0x7fffffffffffffffULL);
}

}  // namespace

migration_report apply_migrations(pqxx::connection_base& conn, const std::string& tracking_table,
                                  const std::vector<migration>& list) {
  check_list(list);
  migration_report report;
  for (const auto& m : list) {
    pqxx::work tx{conn};
    auto dot = tracking_table.find('.');
    auto table = dot == std::string::npos ? tx.quote_name(tracking_table)
                                          : tx.quote_name(tracking_table.substr(0, dot)) + "." +
                                                tx.quote_name(tracking_table.substr(dot + 1));
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", lock_key(tracking_table));
    tx.exec("CREATE TABLE IF NOT EXISTS " + table +
            " (version integer PRIMARY KEY, name text NOT NULL,"
            "  applied_at timestamptz NOT NULL DEFAULT now())");
    auto newest = tx.exec("SELECT coalesce(max(version), 0) FROM " + table)[0][0].as<int>();
    if (newest > static_cast<int>(list.size()))
      throw std::runtime_error("database schema version " + std::to_string(newest) +
                               " is newer than this binary knows (" + std::to_string(list.size()) +
                               "); upgrade paige");
    if (!tx.exec_params("SELECT 1 FROM " + table + " WHERE version = $1", m.version).empty()) {
      report.current_version = m.version;
      continue;
    }
    try {
      if (!m.search_path.empty()) tx.exec("SET LOCAL search_path = " + m.search_path);
      tx.exec(m.sql);
    } catch (const std::exception& e) {
      throw std::runtime_error("migration " + std::to_string(m.version) + " (" + m.name +
                               ") failed: " + e.what());
    }
    tx.exec_params("INSERT INTO " + table + " (version, name) VALUES ($1, $2)", m.version, m.name);
    tx.commit();
    report.applied.push_back(m.version);
    report.current_version = m.version;
  }
  return report;
}

}  // namespace paige::storage
