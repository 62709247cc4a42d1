/// @file
/// @brief `paige serve` configuration: one table of options, each a flag and an
/// environment variable with a default and a one-line description.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace paige::runtime {

/// Thrown for any invalid configuration; the message names the option.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Everything `paige serve` can be told. Defaults live in config.cpp's table.
struct config {
  std::string listen_host;
  std::uint16_t listen_port = 0;
  std::optional<std::string> database_url;
  std::string data_dir;
  std::optional<std::string> admin_token;
  std::optional<std::string> master_key;  ///< 64 hex characters
  std::string app_secret;
  std::string app_id;            ///< Meta app id: embedded signup (empty: not offered)
  std::string signup_config_id;  ///< Meta's Login for Business configuration of the signup
  std::string facebook_url;      ///< where Meta's signup dialog is served
  std::string verify_token;
  std::string graph_url;
  std::string graph_version;
  std::string graph_ca_file;          ///< trusted besides the system's CAs; empty: none
  std::size_t graph_connections = 0;  ///< Graph API connections at most
  bool bot_http_loopback = false;     ///< code bots' URLs may be http:// to loopback
  std::string bot_dir;                ///< hosted code bots' versions (empty: <data-dir>/bots)
  std::size_t bot_memory = std::size_t{512} << 20;  ///< a hosted bot's RLIMIT_DATA
  int bot_nice = 0;                                 ///< added to a hosted bot's CPU priority
  std::chrono::milliseconds graph_idle_timeout{
      0};                   ///< idle Graph connections older than this are not reused
  int sends_in_flight = 0;  ///< per project
  std::string log_level;
  std::size_t max_body_bytes = 0;
  std::size_t max_header_bytes = 0;
  std::size_t max_json_depth = 0;
  std::chrono::milliseconds request_timeout{0};
  std::chrono::milliseconds webhook_timeout{0};  ///< a webhook's wait for its commits (then 503)
  std::chrono::milliseconds shutdown_grace{0};
  std::chrono::milliseconds db_connect_timeout{0};
  std::size_t max_connections = 0;  ///< HTTP connections open at once; 0: fit to descriptors
  unsigned http_threads = 0;
  unsigned actor_threads = 0;  ///< 0: one per CPU core
  unsigned db_workers = 0;  ///< persistence workers (project-database connections per project: 1)
  std::chrono::milliseconds conversation_idle{0};
  std::chrono::milliseconds conversation_sweep{0};  ///< how often idle conversations are closed
  std::chrono::milliseconds template_sync{0};  ///< how often projects read Meta's template list
  std::size_t event_window = 0;    ///< live events kept per project for Last-Event-ID replay
  std::size_t stream_backlog = 0;  ///< bytes an event stream may queue before its client is dropped
  unsigned db_api_workers = 0;     ///< connections serving the project-database API
  std::chrono::milliseconds sql_timeout{0};  ///< statement timeout of the project-database API
  std::size_t sql_row_cap = 0;               ///< rows the SQL endpoint returns at most
  std::size_t sql_max_bytes = 0;             ///< bytes of values the SQL endpoint returns at most
  std::chrono::milliseconds db_write_timeout{0};  ///< statement/lock timeout of pipeline writes
  std::uint16_t pg_port = 0;                      ///< embedded Postgres TCP port; 0: a free port
  std::string pg_bin_dir;                         ///< empty: newest /usr/lib/postgresql/<v>/bin
  std::size_t pg_wal_reserve =
      0;  ///< embedded Postgres: WAL files kept ready (bytes); 0: Postgres's default
  std::chrono::milliseconds pg_writeback_pace{0};  ///< embedded Postgres: syncfs period; 0: off
};

/// Reads an environment variable; empty optional when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
env_lookup process_env();

/// Result of parsing: the configuration plus notes for the log.
struct parsed_config {
  config cfg;
  std::vector<std::string> warnings;  ///< e.g. unknown PAIGE_* variables
};

/// Parses `serve` arguments (without the program name and the `serve` word).
/// Precedence: flag, then environment variable, then default. Unknown flags,
/// malformed values and missing required options throw config_error.
parsed_config parse_config(const std::vector<std::string>& args, const env_lookup& env,
                           const std::vector<std::string>& env_names = {});

/// The `--help` text: every option with its variable, default and description.
std::string config_help();

/// Parses "250ms", "30s", "5m", "1h" (a bare number means seconds).
std::chrono::milliseconds parse_duration(const std::string& text);

/// Parses "1024", "64KiB", "3MiB", "1GiB".
std::size_t parse_size(const std::string& text);

}  // namespace paige::runtime
