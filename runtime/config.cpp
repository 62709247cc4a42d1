#include "runtime/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace paige::runtime {
namespace {

/// One row of the option table; `apply` validates and stores a value.
struct option_spec {
  const char* flag;
  const char* env;
  const char* default_value;  ///< nullptr: no default
  const char* help;
  bool required;
  void (*apply)(config&, const std::string& flag, const std::string& value);
};

unsigned long parse_unsigned(const std::string& flag, const std::string& value, unsigned long max) {
  if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit))
    throw config_error(flag + ": expected a whole number, got '" + value + "'");
  errno = 0;
  auto n = std::strtoul(value.c_str(), nullptr, 10);
  if (errno != 0 || n > max)
    throw config_error(flag + ": " + value + " is larger than " + std::to_string(max));
  return n;
}

std::uint16_t parse_port(const std::string& flag, const std::string& value) {
  return static_cast<std::uint16_t>(parse_unsigned(flag, value, 65535));
}

void apply_listen(config& c, const std::string& flag, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw config_error(flag + ": expected host:port, got '" + v + "'");
  c.listen_host = v.substr(0, colon);
  if (c.listen_host.size() > 2 && c.listen_host.front() == '[' && c.listen_host.back() == ']')
    c.listen_host = c.listen_host.substr(1, c.listen_host.size() - 2);
  c.listen_port = parse_port(flag, v.substr(colon + 1));
}

void apply_log_level(config& c, const std::string& flag, const std::string& v) {
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(v))
    throw config_error(flag + ": expected one of trace, debug, info, warn, error, off; got '" + v +
                       "'");
  c.log_level = v;
}

void apply_graph_url(config& c, const std::string& flag, const std::string& v) {
  if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
    throw config_error(flag + ": expected an http:// or https:// URL, got '" + v + "'");
  c.graph_url = v;
  while (c.graph_url.size() > 8 && c.graph_url.back() == '/') c.graph_url.pop_back();
}

/// A duration that must be above zero (timeouts, intervals).
std::chrono::milliseconds positive_duration(const std::string& flag, const std::string& v) {
  auto d = parse_duration(v);
  if (d.count() <= 0) throw config_error(flag + ": must be positive");
  return d;
}

void require_non_empty(const std::string& flag, const std::string& v) {
  if (v.empty()) throw config_error(flag + ": must not be empty");
}

constexpr unsigned max_threads = 256;

const std::array<option_spec, 46> options{{
    {"--listen", "PAIGE_LISTEN", "127.0.0.1:8080",
     "HTTP address (host:port; port 0 picks a free one)", false, apply_listen},
    {"--database-url", "PAIGE_DATABASE_URL", nullptr,
     "control database of an existing Postgres server (libpq URL); the role must be allowed to "
     "create databases and roles; unset: embedded Postgres",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       require_non_empty(f, v);
       c.database_url = v;
     }},
    {"--data-dir", "PAIGE_DATA_DIR", "./var",
     "data directory: embedded Postgres cluster, generated admin token", false,
     [](config& c, const std::string& f, const std::string& v) {
       require_non_empty(f, v);
       c.data_dir = v;
     }},
    {"--admin-token", "PAIGE_ADMIN_TOKEN", nullptr,
     "admin bearer key; unset: generated on first start, stored in the data dir, printed once",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v.size() < 16) throw config_error(f + ": must be at least 16 characters");
       c.admin_token = v;
     }},
    {"--master-key", "PAIGE_MASTER_KEY", nullptr,
     "64 hex characters that seal secrets at rest (role passwords, access tokens); unset: "
     "generated on first start and stored in the data dir",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v.size() != 64 || v.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
         throw config_error(f + ": must be 64 hex characters (32 bytes)");
       c.master_key = v;
     }},
    {"--app-secret", "PAIGE_APP_SECRET", nullptr,
     "Meta app secret: key of X-Hub-Signature-256 (required)", true,
     [](config& c, const std::string& f, const std::string& v) {
       require_non_empty(f, v);
       c.app_secret = v;
     }},
    {"--app-id", "PAIGE_APP_ID", "",
     "Meta app id: enables the embedded signup (exchanging the dialog's code); empty: only the "
     "manual connect",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v.find_first_not_of("0123456789") != std::string::npos)
         throw config_error(f + ": must be Meta's numeric app id");
       c.app_id = v;
     }},
    {"--signup-config-id", "PAIGE_SIGNUP_CONFIG_ID", "",
     "Meta's Login for Business configuration id, passed to the signup dialog", false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v.find_first_not_of("0123456789") != std::string::npos)
         throw config_error(f + ": must be Meta's numeric configuration id");
       c.signup_config_id = v;
     }},
    {"--facebook-url", "PAIGE_FACEBOOK_URL", "https://www.facebook.com",
     "where the dashboard opens Meta's signup dialog (the simulator's address in development)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
         throw config_error(f + ": expected an http(s) URL, got '" + v + "'");
       c.facebook_url = v;
       while (c.facebook_url.size() > 8 && c.facebook_url.back() == '/') c.facebook_url.pop_back();
     }},
    {"--verify-token", "PAIGE_VERIFY_TOKEN", nullptr,
     "token for Meta's GET webhook handshake (required)", true,
     [](config& c, const std::string& f, const std::string& v) {
       require_non_empty(f, v);
       c.verify_token = v;
     }},
    {"--graph-url", "PAIGE_GRAPH_URL", "https://graph.facebook.com",
     "Graph API base URL (the simulator's address in development)", false, apply_graph_url},
    {"--graph-version", "PAIGE_GRAPH_VERSION", "v21.0", "Graph API version in every call", false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v.size() < 2 || v[0] != 'v') throw config_error(f + ": expected vNN.N, got '" + v + "'");
       c.graph_version = v;
     }},
    {"--graph-ca-file", "PAIGE_GRAPH_CA_FILE", "",
     "PEM certificates trusted for the Graph API besides the system's (a private CA in front of "
     "it); "
     "empty: the system's only",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (!v.empty() && !std::ifstream{v}) throw config_error(f + ": cannot read '" + v + "'");
       c.graph_ca_file = v;
     }},
    {"--bot-http-loopback", "PAIGE_BOT_HTTP_LOOPBACK", "off",
     "on: a code bot's URL may also be http:// to 127.0.0.1, ::1 or localhost (a bot on this "
     "machine without TLS); off: https:// only",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v != "on" && v != "off") throw config_error(f + ": expected on or off, got '" + v + "'");
       c.bot_http_loopback = v == "on";
     }},
    {"--bot-dir", "PAIGE_BOT_DIR", "",
     "where hosted code bots' versions are installed and run (empty: <data-dir>/bots; each "
     "project's own account must be able to reach it)",
     false, [](config& c, const std::string&, const std::string& v) { c.bot_dir = v; }},
    {"--bot-memory", "PAIGE_BOT_MEMORY", "512MiB",
     "memory of one hosted code bot's process (its heap and private mappings, RLIMIT_DATA)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.bot_memory = parse_size(v);
       if (c.bot_memory < (std::size_t{64} << 20)) throw config_error(f + ": at least 64MiB");
     }},
    {"--bot-nice", "PAIGE_BOT_NICE", "0",
     "0 to 19, added to a hosted code bot's CPU priority: higher keeps a busy bot from slowing "
     "Paige, at a cost in reply latency",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.bot_nice = static_cast<int>(parse_unsigned(f, v, 19));
     }},
    {"--graph-connections", "PAIGE_GRAPH_CONNECTIONS", "32",
     "connections to the Graph API at most (all projects share them)", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.graph_connections = parse_unsigned(f, v, 10000);
       if (c.graph_connections == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--graph-idle-timeout", "PAIGE_GRAPH_IDLE_TIMEOUT", "30s",
     "a Graph API connection idle longer than this is closed rather than reused (keep it below the "
     "server's own idle timeout)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.graph_idle_timeout = positive_duration(f, v);
     }},
    {"--sends-in-flight", "PAIGE_SENDS_IN_FLIGHT", "16",
     "sends one project may have waiting for Meta's answer at once (a project whose sends hang "
     "keeps "
     "no more connections)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.sends_in_flight = static_cast<int>(parse_unsigned(f, v, 10000));
       if (c.sends_in_flight == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--log-level", "PAIGE_LOG_LEVEL", "info", "trace, debug, info, warn, error or off", false,
     apply_log_level},
    {"--max-body-bytes", "PAIGE_MAX_BODY_BYTES", "3MiB",
     "largest accepted request body (Meta's webhooks reach 3 MB); larger: 413", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.max_body_bytes = parse_size(v);
       if (c.max_body_bytes == 0) throw config_error(f + ": must be positive");
     }},
    {"--max-header-bytes", "PAIGE_MAX_HEADER_BYTES", "16KiB",
     "largest accepted request head (request line and headers); larger: 431", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.max_header_bytes = parse_size(v);
       if (c.max_header_bytes < 256) throw config_error(f + ": must be at least 256 bytes");
     }},
    {"--max-json-depth", "PAIGE_MAX_JSON_DEPTH", "32",
     "deepest JSON nesting accepted in a request body; deeper: 400", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.max_json_depth = parse_unsigned(f, v, 1000);
       if (c.max_json_depth == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--request-timeout", "PAIGE_REQUEST_TIMEOUT", "30s",
     "time allowed to receive a whole request, and idle time of a keep-alive connection; "
     "a started request that takes longer: 408",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.request_timeout = positive_duration(f, v);
     }},
    {"--webhook-timeout", "PAIGE_WEBHOOK_TIMEOUT", "20s",
     "how long a webhook waits for its events to be committed; longer: 503, and Meta redelivers it",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.webhook_timeout = positive_duration(f, v);
     }},
    {"--db-connect-timeout", "PAIGE_DB_CONNECT_TIMEOUT", "30s",
     "at start, how long to wait for the database server to accept connections", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.db_connect_timeout = positive_duration(f, v);
     }},
    {"--shutdown-grace", "PAIGE_SHUTDOWN_GRACE", "10s",
     "on SIGTERM/SIGINT, how long in-flight requests may take to finish", false,
     [](config& c, const std::string&, const std::string& v) {
       c.shutdown_grace = parse_duration(v);
     }},
    {"--max-connections", "PAIGE_MAX_CONNECTIONS", "auto",
     "HTTP connections open at once; at the limit new clients wait until one closes. auto: the "
     "descriptor limit (raised to its hard limit) less half of it, at most 512, kept for Postgres "
     "and Graph; at most 10000",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       if (v == "auto") {
         c.max_connections = 0;
         return;
       }
       c.max_connections = parse_unsigned(f, v, 1000000);
       if (c.max_connections == 0) throw config_error(f + ": must be at least 1 (or auto)");
     }},
    {"--http-threads", "PAIGE_HTTP_THREADS", "1", "threads running the HTTP server", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.http_threads = static_cast<unsigned>(parse_unsigned(f, v, max_threads));
       if (c.http_threads == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--actor-threads", "PAIGE_ACTOR_THREADS", "0", "actor scheduler threads; 0: one per CPU core",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.actor_threads = static_cast<unsigned>(parse_unsigned(f, v, max_threads));
     }},
    {"--db-workers", "PAIGE_DB_WORKERS", "4",
     "database workers writing project databases (group commit; each project uses one)", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.db_workers = static_cast<unsigned>(parse_unsigned(f, v, max_threads));
       if (c.db_workers == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--conversation-idle", "PAIGE_CONVERSATION_IDLE", "5m",
     "how long a conversation actor stays in memory without messages (its state is in the "
     "database)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.conversation_idle = positive_duration(f, v);
     }},
    {"--conversation-sweep", "PAIGE_CONVERSATION_SWEEP", "1m",
     "how often each project closes conversations idle longer than its "
     "conversation_timeout_seconds",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.conversation_sweep = positive_duration(f, v);
     }},
    {"--template-sync", "PAIGE_TEMPLATE_SYNC", "1h",
     "how often each project reads its WhatsApp templates from Meta (webhooks may be missed)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.template_sync = positive_duration(f, v);
       if (c.template_sync < std::chrono::seconds{1})
         throw config_error(f + ": must be at least 1s");
     }},
    {"--event-window", "PAIGE_EVENT_WINDOW", "1000",
     "live events each project keeps so a reconnecting subscriber can resume (Last-Event-ID)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.event_window = parse_unsigned(f, v, 1000000);
     }},
    {"--stream-backlog", "PAIGE_STREAM_BACKLOG", "1MiB",
     "bytes an event stream may have queued for a slow client before that client is dropped", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.stream_backlog = parse_size(v);
       if (c.stream_backlog < 1024) throw config_error(f + ": must be at least 1024 bytes");
     }},
    {"--db-api-workers", "PAIGE_DB_API_WORKERS", "2",
     "connections (and threads) serving the project-database API: tables, rows, SQL", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.db_api_workers = static_cast<unsigned>(parse_unsigned(f, v, max_threads));
       if (c.db_api_workers == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--sql-timeout", "PAIGE_SQL_TIMEOUT", "5s",
     "statement timeout of the project-database API (the SQL endpoint and the table editor)", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.sql_timeout = positive_duration(f, v);
     }},
    {"--sql-max-bytes", "PAIGE_SQL_MAX_BYTES", "8MiB",
     "bytes of values the SQL endpoint returns at most (rows are fetched one at a time; reported "
     "when hit)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.sql_max_bytes = parse_size(v);
       if (c.sql_max_bytes < 1024) throw config_error(f + ": must be at least 1024 bytes");
     }},
    {"--db-write-timeout", "PAIGE_DB_WRITE_TIMEOUT", "5s",
     "statement and lock timeout of the message pipeline's writes to project databases; past twice "
     "that, "
     "the session is ended from outside",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.db_write_timeout = positive_duration(f, v);
     }},
    {"--sql-row-cap", "PAIGE_SQL_ROW_CAP", "1000",
     "rows the SQL endpoint returns at most (reported when hit)", false,
     [](config& c, const std::string& f, const std::string& v) {
       c.sql_row_cap = parse_unsigned(f, v, 1000000);
       if (c.sql_row_cap == 0) throw config_error(f + ": must be at least 1");
     }},
    {"--pg-port", "PAIGE_PG_PORT", "0",
     "loopback TCP port of the embedded Postgres; 0: a free port at each start", false,
     [](config& c, const std::string& f, const std::string& v) { c.pg_port = parse_port(f, v); }},
    {"--pg-bin-dir", "PAIGE_PG_BIN_DIR", "",
     "directory of initdb/pg_ctl for the embedded Postgres; empty: newest "
     "/usr/lib/postgresql/<version>/bin",
     false, [](config& c, const std::string&, const std::string& v) { c.pg_bin_dir = v; }},
    {"--pg-wal-reserve", "PAIGE_PG_WAL_RESERVE", "256MiB",
     "WAL the embedded Postgres creates when its cluster is made and keeps for reuse "
     "(min_wal_size), so "
     "commits never wait while a new WAL file is zero-filled; 0: Postgres's default (none ahead)",
     false,
     [](config& c, const std::string& f, const std::string& v) {
       c.pg_wal_reserve = parse_size(v);
       if (c.pg_wal_reserve != 0 && c.pg_wal_reserve < (32u << 20))
         throw config_error(f + ": must be 0 or at least 32MiB (two WAL files)");
     }},
    {"--pg-writeback-pace", "PAIGE_PG_WRITEBACK_PACE", "1s",
     "how often the embedded Postgres's file system is flushed (syncfs), so the kernel never "
     "writes a burst of dirty pages that every commit waits behind; 0: never (the kernel's own "
     "30 s expiry)",
     false,
     [](config& c, const std::string&,
        const std::string& v) { c.pg_writeback_pace = parse_duration(v); }},
}};

const option_spec* find_option(const std::string& flag) {
  for (const auto& o : options)
    if (flag == o.flag) return &o;
  return nullptr;
}

}  // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string{v};
    return std::nullopt;
  };
}

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12)
    throw config_error("expected a duration such as 500ms, 30s, 5m or 1h; got '" + text + "'");
  auto n = std::stoll(text.substr(0, digits));
  auto unit = text.substr(digits);
  using namespace std::chrono;
  if (unit.empty() || unit == "s") return duration_cast<milliseconds>(seconds{n});
  if (unit == "ms") return milliseconds{n};
  if (unit == "m") return duration_cast<milliseconds>(minutes{n});
  if (unit == "h") return duration_cast<milliseconds>(hours{n});
  throw config_error("unknown duration unit '" + unit + "' in '" + text + "' (use ms, s, m or h)");
}

std::size_t parse_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12)
    throw config_error("expected a size such as 65536, 64KiB or 3MiB; got '" + text + "'");
  auto n = static_cast<std::size_t>(std::stoull(text.substr(0, digits)));
  auto unit = text.substr(digits);
  if (unit.empty() || unit == "B") return n;
  if (unit == "KiB") return n << 10;
  if (unit == "MiB") return n << 20;
  if (unit == "GiB") return n << 30;
  throw config_error("unknown size unit '" + unit + "' in '" + text + "' (use B, KiB, MiB or GiB)");
}

parsed_config parse_config(const std::vector<std::string>& args, const env_lookup& env,
                           const std::vector<std::string>& env_names) {
  parsed_config out;
  std::set<std::string> given;
  // Defaults first, so a flag or variable only overrides.
  for (const auto& o : options)
    if (o.default_value) o.apply(out.cfg, o.flag, o.default_value);
  for (const auto& o : options) {
    if (auto v = env(o.env)) {
      try {
        o.apply(out.cfg, o.flag, *v);
      } catch (const config_error& e) {
        throw config_error(std::string{o.env} + " (" + e.what() + ")");
      }
      given.insert(o.flag);
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    std::string flag = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const auto* o = find_option(flag);
    if (!o) throw config_error("unknown option '" + flag + "' (see paige serve --help)");
    if (!has_value) {
      // "--a --b" means --a lacks its value; a value that starts with "--" needs --a=--x.
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
        throw config_error(flag + ": missing value");
      value = args[++i];
    }
    o->apply(out.cfg, o->flag, value);
    given.insert(o->flag);
  }
  for (const auto& o : options)
    if (o.required && !given.count(o.flag))
      throw config_error(std::string{"missing required option "} + o.flag + " (or " + o.env + ")");
  for (const auto& name : env_names) {
    if (name.rfind("PAIGE_", 0) != 0) continue;
    bool known = std::any_of(options.begin(), options.end(),
                             [&](const option_spec& o) { return name == o.env; });
    if (!known) out.warnings.push_back("unknown environment variable " + name + " ignored");
  }
  return out;
}

std::string config_help() {
  std::ostringstream out;
  out << "usage: paige serve [options]\n\n"
         "Every option is also an environment variable; a flag wins over the variable.\n\n";
  for (const auto& o : options) {
    out << "  " << o.flag << " <value>   (" << o.env << ")\n      " << o.help;
    if (o.default_value && *o.default_value) out << " [default: " << o.default_value << "]";
    out << "\n";
  }
  return out.str();
}

}  // namespace paige::runtime
