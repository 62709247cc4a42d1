/// @file
/// @brief A Postgres cluster that paige runs itself, from the Debian binaries, in
/// `<data-dir>/pg`.
///
/// start(): initdb on first use, recover from a crash (a leftover postmaster or a stale lock
/// file), start on a Unix socket inside the cluster directory and a loopback TCP port, wait
/// until it accepts connections. stop(): fast shutdown. As root, every Postgres program runs
/// as the `postgres` account, since Postgres refuses root.
///
/// Authentication: the Unix socket trusts local connections (the cluster directory is 0700,
/// so only its owner and root reach the socket); TCP on 127.0.0.1 requires a password
/// (scram-sha-256), which is how project roles connect.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/subprocess.hpp"
#include "runtime/writeback_pacer.hpp"

namespace paige::runtime {

/// Where and how to run the cluster.
struct embedded_postgres_options {
  std::string cluster_dir;  ///< absolute path, e.g. <data-dir>/pg
  std::string bin_dir;      ///< empty: newest /usr/lib/postgresql/<v>/bin
  std::uint16_t port = 0;   ///< 0: a free loopback port
  std::chrono::milliseconds start_timeout{60000};
  /// WAL kept ready for reuse (`min_wal_size`) and created at initdb, so a burst of commits
  /// never waits for a new WAL file to be zero-filled; 0: Postgres's default (80 MB kept,
  /// none created ahead).
  std::size_t wal_reserve = 0;
  /// How often the cluster's file system is flushed while it runs (see writeback_pacer.hpp);
  /// 0: never.
  std::chrono::milliseconds writeback_pace{0};
};

/// Owns one running cluster; stops it on destruction if still running.
class embedded_postgres {
 public:
  explicit embedded_postgres(embedded_postgres_options opts);
  ~embedded_postgres();
  embedded_postgres(const embedded_postgres&) = delete;
  embedded_postgres& operator=(const embedded_postgres&) = delete;

  /// Initializes (first time) and starts the cluster; throws std::runtime_error with a
  /// human-readable reason on failure.
  void start();

  /// Fast shutdown; safe to call twice.
  void stop();

  /// Leaves the cluster running when this object goes away (test fixtures stop it later).
  void detach() { running_ = false; }

  /// Connection string for database `dbname` as the superuser, over the Unix socket.
  std::string superuser_conninfo(const std::string& dbname) const;

  /// The loopback TCP port the cluster listens on (after start()).
  std::uint16_t port() const { return port_; }

  /// Whether start() ran initdb (false when it reused an existing cluster).
  bool initialized_now() const { return initialized_now_; }

  /// The newest installed Postgres bin directory, or empty if none.
  static std::string find_bin_dir();

 private:
  void run(const std::vector<std::string>& argv, const std::string& what) const;
  void prepare_directory();
  void init_cluster();
  void recover_after_crash();
  void write_runtime_conf();

  embedded_postgres_options opts_;
  std::optional<os_user> run_as_;  ///< set when running as root
  std::uint16_t port_ = 0;
  bool running_ = false;
  bool initialized_now_ = false;
  std::unique_ptr<writeback_pacer> pacer_;  ///< while running, when writeback_pace is set
};

}  // namespace paige::runtime
