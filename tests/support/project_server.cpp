#include "tests/support/project_server.hpp"

#include "common/secrets.hpp"
#include "tests/support/http_client.hpp"

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

namespace paige::test {

project_server::project_server(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  start(master_hex);
}

void project_server::start(const std::string& master) {
  std::vector<std::string> args{"--database-url", control.url(),  "--admin-token",
                                admin_key,        "--master-key", master};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  server = std::make_unique<paige_server>(dir.path(), args);
  REQUIRE(server->wait_listening());
}

reply project_server::call(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& key) {
  return json_request(server->port(), method, path, body, key);
}

json project_server::create(const std::string& name) {
  auto r = call("POST", "/v1/projects", json{{"name", name}}.dump());
  REQUIRE(r.status == 202);
  return r.body;
}

bool project_server::wait_status(const std::string& id, const std::string& status) {
  return wait_until([&] {
    auto r = call("GET", "/v1/projects/" + id);
    return status == "deleted" ? r.status == 404 : r.status == 200 && r.body["status"] == status;
  });
}

project_server::db_info project_server::database_of(const std::string& id) {
  pqxx::connection c{control.conninfo()};
  pqxx::work tx{c};
  auto r = tx.exec_params1(
      "SELECT db_name, db_role, db_password_sealed FROM projects WHERE id = $1", id);
  auto key = secrets::parse_master_key(master_hex);
  return {r[0].as<std::string>(), r[1].as<std::string>(),
          secrets::unseal(key, r[2].as<std::string>())};
}

}  // namespace paige::test
