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

bool ping(const std::string& conninfo) {
  try {
    pqxx::connection c{conninfo};
    pqxx::nontransaction{c}.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace paige::storage
