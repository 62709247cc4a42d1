#include "runtime/config.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace paige::runtime;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> required{"--app-secret", "s3cret", "--verify-token", "vt"};

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<std::string> with_required(std::vector<std::string> args) {
  args.insert(args.end(), required.begin(), required.end());
  return args;
}

}  // namespace

TEST_CASE("defaults apply when nothing is given", "[config]") {
  auto cfg = parse_config(required, env_of({})).cfg;
  CHECK(cfg.listen_host == "127.0.0.1");
  CHECK(cfg.listen_port == 8080);
  CHECK_FALSE(cfg.database_url);
  CHECK(cfg.data_dir == "./var");
  CHECK_FALSE(cfg.admin_token);
  CHECK(cfg.graph_url == "https://graph.facebook.com");
  CHECK(cfg.graph_version == "v21.0");
  CHECK(cfg.log_level == "info");
  CHECK(cfg.max_body_bytes == 3u << 20);
  CHECK(cfg.max_header_bytes == 16u << 10);
  CHECK(cfg.request_timeout == std::chrono::seconds{30});
  CHECK(cfg.webhook_timeout == std::chrono::seconds{20});
  CHECK(cfg.actor_threads == 0);
  CHECK(cfg.pg_wal_reserve == 256u << 20);
  CHECK(cfg.app_secret == "s3cret");
  CHECK(cfg.verify_token == "vt");
  CHECK(cfg.max_connections == 0);  // auto: fitted to the descriptor limit at start
  CHECK(cfg.sql_max_bytes == 8u << 20);
  CHECK(cfg.db_write_timeout == std::chrono::seconds{5});
  CHECK(cfg.graph_connections == 32);
  CHECK(cfg.graph_idle_timeout == std::chrono::seconds{30});
  CHECK(cfg.graph_ca_file.empty());
  CHECK(cfg.sends_in_flight == 16);
}

TEST_CASE("the limits that keep tenants apart are options with checked values", "[config]") {
  auto cfg = parse_config(with_required({"--max-connections", "500", "--sql-max-bytes", "1MiB",
                                         "--db-write-timeout", "2s", "--graph-connections", "8",
                                         "--graph-idle-timeout", "10s", "--sends-in-flight", "4"}),
                          env_of({}))
                 .cfg;
  CHECK(cfg.max_connections == 500);
  CHECK(cfg.sql_max_bytes == 1u << 20);
  CHECK(cfg.db_write_timeout == std::chrono::seconds{2});
  CHECK(cfg.graph_connections == 8);
  CHECK(cfg.graph_idle_timeout == std::chrono::seconds{10});
  CHECK(cfg.sends_in_flight == 4);
  CHECK(parse_config(with_required({"--graph-ca-file", "/etc/hostname"}), env_of({}))
            .cfg.graph_ca_file == "/etc/hostname");
  CHECK_FALSE(parse_config(with_required({}), env_of({})).cfg.bot_http_loopback);
  CHECK(
      parse_config(with_required({"--bot-http-loopback", "on"}), env_of({})).cfg.bot_http_loopback);
  CHECK(parse_config(with_required({}), env_of({{"PAIGE_BOT_HTTP_LOOPBACK", "on"}}))
            .cfg.bot_http_loopback);
  for (std::vector<std::string> bad : {std::vector<std::string>{"--max-connections", "0"},
                                       {"--sql-max-bytes", "10"},
                                       {"--db-write-timeout", "0s"},
                                       {"--graph-connections", "0"},
                                       {"--graph-idle-timeout", "0"},
                                       {"--sends-in-flight", "0"},
                                       {"--graph-ca-file", "/nonexistent/ca.pem"},
                                       {"--bot-http-loopback", "yes"}}) {
    INFO(bad[0]);
    CHECK_THROWS_AS(parse_config(with_required(bad), env_of({})), config_error);
  }
}

TEST_CASE("a flag wins over its environment variable, which wins over the default", "[config]") {
  auto env = env_of({{"PAIGE_LISTEN", "0.0.0.0:9000"},
                     {"PAIGE_LOG_LEVEL", "debug"},
                     {"PAIGE_APP_SECRET", "from-env"},
                     {"PAIGE_VERIFY_TOKEN", "vt-env"}});
  auto cfg = parse_config({"--listen", "127.0.0.1:7000"}, env).cfg;
  CHECK(cfg.listen_port == 7000);
  CHECK(cfg.log_level == "debug");
  CHECK(cfg.app_secret == "from-env");
  CHECK(cfg.verify_token == "vt-env");
}

TEST_CASE("flags take --name value and --name=value", "[config]") {
  auto cfg = parse_config(with_required({"--data-dir=/srv/paige", "--graph-version", "v23.0",
                                         "--database-url=postgresql://u:p@db/paige"}),
                          env_of({}))
                 .cfg;
  CHECK(cfg.data_dir == "/srv/paige");
  CHECK(cfg.graph_version == "v23.0");
  REQUIRE(cfg.database_url);
  CHECK(*cfg.database_url == "postgresql://u:p@db/paige");
}

TEST_CASE("every option of the contract is accepted", "[config]") {
  auto cfg = parse_config({"--listen", "[::1]:8081", "--database-url", "host=x", "--data-dir", "d",
                           "--admin-token", "0123456789abcdef0", "--app-secret", "a",
                           "--verify-token", "v", "--graph-url", "http://127.0.0.1:9999/",
                           "--graph-version", "v21.0", "--log-level", "warn"},
                          env_of({}))
                 .cfg;
  CHECK(cfg.listen_host == "::1");
  CHECK(cfg.listen_port == 8081);
  CHECK(cfg.graph_url == "http://127.0.0.1:9999");
  CHECK(*cfg.admin_token == "0123456789abcdef0");
  CHECK(cfg.log_level == "warn");
}

TEST_CASE("an unknown option is an error that names it", "[config]") {
  CHECK_THROWS_WITH(parse_config(with_required({"--lisen", "x"}), env_of({})),
                    Catch::Contains("unknown option '--lisen'"));
  CHECK_THROWS_WITH(parse_config(with_required({"serve"}), env_of({})),
                    Catch::Contains("unknown option 'serve'"));
}

TEST_CASE("required options must be given", "[config]") {
  CHECK_THROWS_WITH(parse_config({"--verify-token", "v"}, env_of({})),
                    Catch::Contains("--app-secret") && Catch::Contains("PAIGE_APP_SECRET"));
  CHECK_THROWS_WITH(parse_config({"--app-secret", "s"}, env_of({})),
                    Catch::Contains("--verify-token"));
}

TEST_CASE("malformed values are refused with the option's name", "[config]") {
  CHECK_THROWS_WITH(parse_config(with_required({"--listen", "8080"}), env_of({})),
                    Catch::Contains("--listen"));
  CHECK_THROWS_WITH(parse_config(with_required({"--listen", "h:99999"}), env_of({})),
                    Catch::Contains("--listen"));
  CHECK_THROWS_WITH(parse_config(with_required({"--log-level", "loud"}), env_of({})),
                    Catch::Contains("--log-level"));
  CHECK_THROWS_WITH(parse_config(with_required({"--graph-url", "ftp://x"}), env_of({})),
                    Catch::Contains("--graph-url"));
  CHECK_THROWS_WITH(parse_config(with_required({"--admin-token", "short"}), env_of({})),
                    Catch::Contains("at least 16"));
  CHECK_THROWS_WITH(parse_config(with_required({"--http-threads", "0"}), env_of({})),
                    Catch::Contains("--http-threads"));
  CHECK(
      parse_config(with_required({"--webhook-timeout", "300ms"}), env_of({})).cfg.webhook_timeout ==
      std::chrono::milliseconds{300});
  CHECK_THROWS_WITH(parse_config(with_required({"--webhook-timeout", "0s"}), env_of({})),
                    Catch::Contains("--webhook-timeout"));
  CHECK_THROWS_WITH(parse_config(with_required({"--data-dir"}), env_of({})),
                    Catch::Contains("missing value"));
  CHECK_THROWS_WITH(parse_config(required, env_of({{"PAIGE_MAX_BODY_BYTES", "lots"}})),
                    Catch::Contains("PAIGE_MAX_BODY_BYTES"));
}

TEST_CASE("durations and sizes parse with units", "[config]") {
  using namespace std::chrono;
  CHECK(parse_duration("250ms") == milliseconds{250});
  CHECK(parse_duration("30s") == seconds{30});
  CHECK(parse_duration("30") == seconds{30});
  CHECK(parse_duration("5m") == minutes{5});
  CHECK(parse_duration("1h") == hours{1});
  CHECK_THROWS_AS(parse_duration("5 days"), config_error);
  CHECK_THROWS_AS(parse_duration("s"), config_error);
  CHECK(parse_size("1024") == 1024);
  CHECK(parse_size("64KiB") == 65536);
  CHECK(parse_size("3MiB") == 3u << 20);
  CHECK(parse_size("1GiB") == 1u << 30);
  CHECK_THROWS_AS(parse_size("3MB"), config_error);
}

TEST_CASE("the embedded Postgres's WAL reserve is off at 0 or at least two WAL files", "[config]") {
  CHECK(parse_config(with_required({"--pg-wal-reserve", "0"}), env_of({})).cfg.pg_wal_reserve == 0);
  CHECK(parse_config(with_required({"--pg-wal-reserve", "1GiB"}), env_of({})).cfg.pg_wal_reserve ==
        1u << 30);
  CHECK_THROWS_WITH(parse_config(with_required({"--pg-wal-reserve", "16MiB"}), env_of({})),
                    Catch::Contains("at least 32MiB"));
}

TEST_CASE("the embedded Postgres's writeback is paced every second unless set to 0", "[config]") {
  CHECK(parse_config(with_required({}), env_of({})).cfg.pg_writeback_pace == 1s);
  CHECK(parse_config(with_required({"--pg-writeback-pace", "0"}), env_of({}))
            .cfg.pg_writeback_pace.count() == 0);
  CHECK(parse_config(with_required({"--pg-writeback-pace", "250ms"}), env_of({}))
            .cfg.pg_writeback_pace == 250ms);
}

TEST_CASE("unknown PAIGE_ variables are reported, others ignored", "[config]") {
  auto parsed = parse_config(required, env_of({}), {"PAIGE_LISTN", "PAIGE_LISTEN", "HOME"});
  REQUIRE(parsed.warnings.size() == 1);
  CHECK_THAT(parsed.warnings[0], Catch::Contains("PAIGE_LISTN"));
}

TEST_CASE("--help lists every option with its variable and default", "[config]") {
  auto help = config_help();
  for (const char* s :
       {"--listen", "PAIGE_LISTEN", "127.0.0.1:8080", "--database-url", "PAIGE_DATABASE_URL",
        "--data-dir", "./var", "--admin-token", "--app-secret", "--verify-token", "--graph-url",
        "https://graph.facebook.com", "--graph-version", "v21.0", "--log-level", "--max-body-bytes",
        "--request-timeout"})
    CHECK_THAT(help, Catch::Contains(s));
}
