#include "tests/support/test_cluster.hpp"

#include "common/secrets.hpp"
#include "storage/conninfo.hpp"

#include <pqxx/pqxx>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace paige::test {

std::string cluster_conninfo() {
  const char* file = std::getenv("PAIGE_TEST_PG_FILE");
  if (!file) throw std::runtime_error("PAIGE_TEST_PG_FILE is not set: run the tests through ctest");
  std::ifstream in{file};
  std::string conninfo;
  std::getline(in, conninfo);
  if (conninfo.empty())
    throw std::runtime_error(std::string{"no test cluster recorded in "} + file);
  return conninfo;
}

std::string cluster_log() {
  const char* file = std::getenv("PAIGE_TEST_PG_FILE");
  if (!file) throw std::runtime_error("PAIGE_TEST_PG_FILE is not set: run the tests through ctest");
  // paige-testpg records the cluster's directory next to its connection string.
  auto state = std::string{file}.substr(0, std::string{file}.rfind('/'));
  std::ifstream dir_file{state + "/cluster_dir"};
  std::string root;
  std::getline(dir_file, root);
  std::ifstream log{root + "/pg/server.log"};
  return {std::istreambuf_iterator<char>{log}, std::istreambuf_iterator<char>{}};
}

fresh_database::fresh_database() : name_("t_" + secrets::random_hex(8)) {
  auto server = cluster_conninfo();
  pqxx::connection c{server};
  pqxx::nontransaction tx{c};
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  conninfo_ = storage::with_params(server, {{"dbname", name_}});
}

fresh_database::~fresh_database() {
  try {
    pqxx::connection c{cluster_conninfo()};
    pqxx::nontransaction tx{c};
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (...) {
    // The cluster is thrown away at the end of the run anyway.
  }
}

std::string fresh_database::url() const {
  auto p = storage::parse_conninfo(conninfo_);
  // Socket directories go in the host query parameter, percent-encoding '/'.
  std::string host;
  for (char c : p["host"]) host += c == '/' ? std::string{"%2F"} : std::string(1, c);
  return "postgresql://" + p["user"] + "@:" + p["port"] + "/" + name_ + "?host=" + host;
}

}  // namespace paige::test
