// paige-testpg start|stop <state-dir>: the CTest fixture that gives a test run one throwaway
// Postgres cluster. start creates a cluster in a fresh /tmp directory (reachable by the
// postgres account when run as root), starts it and writes its connection string to
// <state-dir>/conninfo; stop stops it and removes it.
#include "common/log.hpp"
#include "runtime/embedded_postgres.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;
using paige::runtime::embedded_postgres;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: paige-testpg start|stop <state-dir>\n";
    return 2;
  }
  paige::log::init("warn");
  std::string cmd = argv[1];
  fs::path state{argv[2]};
  try {
    if (cmd == "start") {
      fs::create_directories(state);
      char tmpl[] = "/tmp/paige-testpg-XXXXXX";
      if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
      fs::permissions(tmpl, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
      std::string cluster = std::string{tmpl} + "/pg";
      embedded_postgres pg{{cluster, "", 0}};
      pg.start();
      pg.detach();
      std::ofstream{state / "cluster_dir"} << tmpl << "\n";
      std::ofstream{state / "conninfo"} << pg.superuser_conninfo("postgres") << "\n";
      return 0;
    }
    if (cmd == "stop") {
      std::ifstream in{state / "cluster_dir"};
      std::string root;
      if (!std::getline(in, root) || root.rfind("/tmp/paige-testpg-", 0) != 0) return 0;
      std::optional<paige::runtime::os_user> user;
      if (::geteuid() == 0) user = paige::runtime::find_os_user("postgres");
      paige::runtime::run_command({embedded_postgres::find_bin_dir() + "/pg_ctl", "stop", "-D",
                                   root + "/pg", "-m", "immediate", "-w"},
                                  user);
      fs::remove_all(root);
      fs::remove(state / "conninfo");
      fs::remove(state / "cluster_dir");
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "paige-testpg " << cmd << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "unknown command " << cmd << "\n";
  return 2;
}
