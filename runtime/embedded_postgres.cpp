#include "runtime/embedded_postgres.hpp"

#include "runtime/loopback.hpp"

#include "common/log.hpp"
#include "storage/conninfo.hpp"
#include "storage/server_admin.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace paige::runtime {
namespace {

constexpr const char* superuser = "postgres";

/// The postmaster PID recorded in postmaster.pid, if the file exists and parses.
std::optional<pid_t> recorded_postmaster(const fs::path& cluster) {
  std::ifstream in{cluster / "postmaster.pid"};
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

/// Whether `pid` is alive and is a Postgres server (not a recycled PID).
bool is_live_postgres(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream comm{"/proc/" + std::to_string(pid) + "/comm"};
  std::string name;
  std::getline(comm, name);
  return name == "postgres" || name == "postmaster";
}

std::string conf_quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

embedded_postgres::embedded_postgres(embedded_postgres_options opts) : opts_(std::move(opts)) {
  if (opts_.bin_dir.empty()) opts_.bin_dir = find_bin_dir();
  if (opts_.bin_dir.empty())
    throw std::runtime_error(
        "no Postgres server binaries found under /usr/lib/postgresql (install the postgresql "
        "package, or pass --database-url)");
  if (::geteuid() == 0) {
    run_as_ = find_os_user(superuser);
    if (!run_as_)
      throw std::runtime_error(
          "running as root, the embedded Postgres needs the 'postgres' account (install the "
          "postgresql package)");
  }
}

embedded_postgres::~embedded_postgres() {
  try {
    stop();
  } catch (const std::exception& e) {
    log::error("pg.stop_failed", {{"reason", e.what()}});
  }
}

std::string embedded_postgres::find_bin_dir() {
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{"/usr/lib/postgresql", ec}) {
    auto name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    auto bin = entry.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "pg_ctl")) continue;
    int version = std::stoi(name);
    if (version > best_version) {
      best_version = version;
      best = bin.string();
    }
  }
  return best;
}

void embedded_postgres::run(const std::vector<std::string>& argv, const std::string& what) const {
  auto result = run_command(argv, run_as_);
  if (result.exit_code != 0)
    throw std::runtime_error(what + " failed (exit " + std::to_string(result.exit_code) +
                             "): " + result.output);
}

void embedded_postgres::prepare_directory() {
  fs::path dir{opts_.cluster_dir};
  fs::create_directories(dir);
  if (run_as_) {
    if (::chown(dir.c_str(), run_as_->uid, run_as_->gid) != 0)
      throw std::runtime_error("cannot give " + dir.string() + " to the postgres account");
    // The parents must be searchable by postgres, or it cannot reach its own directory.
    if (!user_can_reach(*run_as_, dir.string()))
      throw std::runtime_error(
          "the postgres account cannot reach " + dir.string() +
          " (a parent directory is not searchable by other users); choose a --data-dir it can "
          "reach, e.g. /var/lib/paige");
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

void embedded_postgres::init_cluster() {
  fs::path dir{opts_.cluster_dir};
  if (fs::exists(dir / "PG_VERSION")) return;
  if (!fs::is_empty(dir))
    throw std::runtime_error(dir.string() +
                             " is neither empty nor a Postgres cluster; refusing to initialize it");
  log::info("pg.initdb", {{"dir", dir.string()}});
  run({opts_.bin_dir + "/initdb", "-D", dir.string(), "-U", superuser, "-E", "UTF8", "--locale=C",
       "--auth-local=trust", "--auth-host=scram-sha-256"},
      "initdb");
  // Our runtime settings (port, addresses, socket) live in a file we rewrite at each start.
  std::ofstream conf{dir / "postgresql.conf", std::ios::app};
  conf << "\n# Added by paige: per-start settings.\ninclude_if_exists = 'paige.conf'\n";
  if (!conf) throw std::runtime_error("cannot write postgresql.conf in " + dir.string());
  initialized_now_ = true;
}

void embedded_postgres::recover_after_crash() {
  fs::path dir{opts_.cluster_dir};
  auto pid = recorded_postmaster(dir);
  if (!pid) return;
  if (is_live_postgres(*pid)) {
    // A postmaster outlived a paige that was killed: stop it, then start with our settings.
    log::warn("pg.leftover_server", {{"pid", static_cast<long>(*pid)}});
    run({opts_.bin_dir + "/pg_ctl", "stop", "-D", dir.string(), "-m", "fast", "-w", "-t", "60"},
        "stopping a leftover Postgres server");
    return;
  }
  // The server died without removing its lock files: they are stale.
  log::warn("pg.stale_lock_removed", {{"pid", static_cast<long>(*pid)}});
  fs::remove(dir / "postmaster.pid");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator{dir, ec}) {
    auto name = entry.path().filename().string();
    if (name.rfind(".s.PGSQL.", 0) == 0) fs::remove(entry.path(), ec);
  }
}

void embedded_postgres::write_runtime_conf() {
  fs::path dir{opts_.cluster_dir};
  auto tmp = dir / "paige.conf.tmp";
  {
    std::ofstream conf{tmp, std::ios::trunc};
    conf << "# Written by paige at every start; edits are overwritten.\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "port = " << port_ << "\n"
         << "unix_socket_directories = " << conf_quote(dir.string()) << "\n"
         << "unix_socket_permissions = 0700\n"
         << "max_connections = 300\n";
    if (opts_.wal_reserve > 0) conf << "min_wal_size = " << (opts_.wal_reserve >> 20) << "MB\n";
    if (!conf) throw std::runtime_error("cannot write " + tmp.string());
  }
  if (run_as_ && ::chown(tmp.c_str(), run_as_->uid, run_as_->gid) != 0)
    throw std::runtime_error("cannot give " + tmp.string() + " to the postgres account");
  fs::rename(tmp, dir / "paige.conf");
}

void embedded_postgres::start() {
  if (running_) return;
  prepare_directory();
  init_cluster();
  recover_after_crash();
  port_ = opts_.port ? opts_.port : free_loopback_port();
  write_runtime_conf();
  fs::path dir{opts_.cluster_dir};
  auto timeout_s =
      std::to_string(std::max<long>(1, static_cast<long>(opts_.start_timeout.count() / 1000)));
  run({opts_.bin_dir + "/pg_ctl", "start", "-D", dir.string(), "-l", (dir / "server.log").string(),
       "-w", "-t", timeout_s},
      "starting Postgres (see " + (dir / "server.log").string() + ")");
  running_ = true;
  storage::wait_until_accepting(superuser_conninfo("postgres"), opts_.start_timeout);
  log::info("pg.started", {{"dir", dir.string()}, {"port", port_}, {"initdb", initialized_now_}});
  if (initialized_now_ && opts_.wal_reserve > 0) {
    auto began = std::chrono::steady_clock::now();
    int files = storage::reserve_wal(superuser_conninfo("postgres"), opts_.wal_reserve);
    log::info("pg.wal_reserved",
              {{"files", files},
               {"seconds",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()}});
  }
  if (opts_.writeback_pace.count() > 0)
    pacer_ = std::make_unique<writeback_pacer>(opts_.cluster_dir, opts_.writeback_pace);
}

void embedded_postgres::stop() {
  if (!running_) return;
  running_ = false;
  pacer_.reset();
  run({opts_.bin_dir + "/pg_ctl", "stop", "-D", opts_.cluster_dir, "-m", "fast", "-w", "-t", "60"},
      "stopping Postgres");
  log::info("pg.stopped", {{"dir", opts_.cluster_dir}});
}

std::string embedded_postgres::superuser_conninfo(const std::string& dbname) const {
  return storage::make_conninfo({{"host", opts_.cluster_dir},
                                 {"port", std::to_string(port_)},
                                 {"user", superuser},
                                 {"dbname", dbname},
                                 {"connect_timeout", "5"}});
}

}  // namespace paige::runtime
