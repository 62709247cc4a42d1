#include "runtime/server.hpp"

#include "actors/bot_caller.hpp"
#include "actors/bot_runner.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/core/code_bot_contract.hpp"
#include "actors/db_pool.hpp"
#include "actors/meta_sync.hpp"
#include "actors/number_directory.hpp"
#include "actors/persistence.hpp"
#include "actors/project_directory.hpp"
#include "actors/provisioner.hpp"
#include "actors/readiness.hpp"
#include "actors/system_config.hpp"
#include "api/api_routes.hpp"
#include "api/auth.hpp"
#include "api/bot_client.hpp"
#include "api/graph_client.hpp"
#include "api/http_server.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/process_metrics.hpp"
#include "common/shutdown_signals.hpp"
#include "runtime/bot_processes.hpp"
#include "runtime/data_dir_lock.hpp"
#include "runtime/data_dir_secrets.hpp"
#include "runtime/descriptor_limit.hpp"
#include "runtime/embedded_postgres.hpp"
#include "runtime/loopback.hpp"
#include "storage/backend_watchdog.hpp"
#include "storage/conninfo.hpp"
#include "storage/control_schema.hpp"
#include "storage/projects.hpp"
#include "storage/server_admin.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace fs = std::filesystem;

namespace paige::runtime {
namespace {

constexpr const char* control_database_name = "paige";
constexpr std::size_t control_pool_workers = 2;
constexpr std::size_t admin_pool_workers = 2;
constexpr std::chrono::milliseconds readiness_timeout{2000};
/// Database-API requests one project may have waiting for a connection (more: 429).
constexpr std::size_t database_api_queue = 16;
/// Projects whose bots' queries a bot query worker keeps a connection to.
constexpr std::size_t bot_query_connections = 32;
/// How long an API request waits for its actor's answer.
constexpr std::chrono::milliseconds api_request_timeout{15000};
/// Between cancelling an overdue statement and terminating its session.
constexpr std::chrono::milliseconds watchdog_grace{1000};

/// The data directory: created if needed, private to us except for the traversal the
/// postgres account needs to reach the cluster inside it.
std::string prepare_data_dir(const std::string& dir) {
  fs::create_directories(dir);
  auto abs = fs::canonical(dir);
  auto perms = fs::perms::owner_all;
  if (::geteuid() == 0) perms |= fs::perms::group_exec | fs::perms::others_exec;
  fs::permissions(abs, perms, fs::perm_options::replace);
  return abs.string();
}

void announce_admin_token(const admin_token& token) {
  if (!token.generated) return;
  // Printed once, to stdout, never to the log.
  std::cout << "Paige admin token (shown once; stored in " << token.path << "):\n  " << token.value
            << std::endl;
}

/// Everything that runs, in start order; members are destroyed in reverse.
class server_process {
 public:
  explicit server_process(const config& cfg) : cfg_(cfg) {}

  void start() {
    data_dir_ = prepare_data_dir(cfg_.data_dir);
    lock_.emplace(data_dir_);
    start_database();
    auto token = resolve_admin_token(cfg_.admin_token, data_dir_);
    master_key_ = resolve_master_key(cfg_.master_key, data_dir_);
    storage::check_master_key(control_conninfo_, secrets::fingerprint(master_key_));
    announce_admin_token(token);
    start_actors();
    start_http(token.value);
  }

  void stop() {
    log::info("paige.stopping");
    http_->stop(cfg_.shutdown_grace);
    log::info("http.drained");
    // Graph calls in flight fail now; their answers still find their actors.
    graph_->stop();
    // The directory takes its project actors along (they are linked to it).
    for (auto& root : {directory_, provisioner_, meta_sync_, bot_runner_, bot_caller_, admin_db_,
                       control_db_, database_api_, broadcast_db_, bot_queries_})
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    // Persistence goes last: everything committed so far is answered; nothing is lost that
    // was acknowledged (acknowledgements only follow commits).
    for (auto& worker : persistence_) caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    system_->await_all_actors_done();
    // Only now: a code bot's event failed by a stopping client would have its fallback applied.
    // Events still in flight are posted again after the restart (their messages are unhandled).
    bots_->stop();
    // Detached actors are destroyed only once no handle refers to them; the actor system's
    // destructor waits for that.
    auth_.reset();
    persistence_.clear();
    directory_ = provisioner_ = meta_sync_ = bot_runner_ = bot_caller_ = admin_db_ = control_db_ =
        database_api_ = broadcast_db_ = bot_queries_ = caf::actor{};
    system_.reset();
    // Hosted bots' processes stop last: SIGTERM, then SIGKILL after 3 s.
    bot_host_.reset();
    http_.reset();
    if (pg_) pg_->stop();
  }

 private:
  void start_database() {
    if (cfg_.database_url) {
      control_conninfo_ = *cfg_.database_url;
      log::info("db.external", {{"url", log::redact_url(control_conninfo_)}});
      storage::wait_until_accepting(control_conninfo_, cfg_.db_connect_timeout);
    } else {
      embedded_postgres_options pg_opts{(fs::path{data_dir_} / "pg").string(), cfg_.pg_bin_dir,
                                        cfg_.pg_port};
      pg_opts.wal_reserve = cfg_.pg_wal_reserve;
      pg_opts.writeback_pace = cfg_.pg_writeback_pace;
      pg_.emplace(std::move(pg_opts));
      pg_->start();
      if (storage::ensure_database(pg_->superuser_conninfo("postgres"), control_database_name))
        log::info("db.control_created", {{"name", control_database_name}});
      storage::restrict_maintenance_databases(pg_->superuser_conninfo("postgres"));
      control_conninfo_ = pg_->superuser_conninfo(control_database_name);
    }
    pqxx::connection conn{control_conninfo_};
    auto report = storage::apply_migrations(conn, storage::control_migrations_table,
                                            storage::control_migrations());
    log::info("db.migrated",
              {{"schema_version", report.current_version}, {"applied", report.applied.size()}});
  }

  void start_actors() {
    actors::configure_actor_system(actor_cfg_, cfg_.actor_threads);
    actors::add_project_message_types(actor_cfg_);
    system_ = std::make_unique<caf::actor_system>(actor_cfg_);
    control_db_ =
        actors::spawn_db_pool(*system_, {control_conninfo_, control_pool_workers, "control"});
    // DDL for project databases runs on its own connections, so provisioning never queues
    // behind (or blocks) the API's control-database work.
    admin_db_ = actors::spawn_db_pool(*system_, {control_conninfo_, admin_pool_workers, "admin"});
    provisioner_ = actors::spawn_provisioner(*system_, admin_db_, control_conninfo_);
    api::http_client_options graph_opts;
    graph_opts.max_connections_per_origin = cfg_.graph_connections;
    graph_opts.idle_timeout = cfg_.graph_idle_timeout;
    graph_opts.ca_file = cfg_.graph_ca_file;
    graph_ = std::make_shared<api::graph_client>(cfg_.graph_url, cfg_.graph_version, graph_opts);
    meta_sync_ = actors::spawn_meta_sync(*system_, graph_, &metrics_, cfg_.sends_in_flight);
    // A bot's answer past the contract's limit is refused as it arrives, not read whole.
    api::http_client_options bot_opts;
    bot_opts.max_response_bytes = actors::bot::max_answer_bytes + 1;
    bots_ = std::make_shared<api::bot_client>(bot_opts);
    bot_caller_ = actors::spawn_bot_caller(*system_, bots_);
    bot_process_options hosting;
    hosting.dir = cfg_.bot_dir.empty() ? (fs::path{data_dir_} / "bots").string()
                                       : fs::absolute(cfg_.bot_dir).string();
    hosting.memory_bytes = cfg_.bot_memory;
    hosting.nice = cfg_.bot_nice;
    bot_host_ = std::make_shared<bot_processes>(hosting);
    bot_runner_ = actors::spawn_bot_runner(*system_, bot_host_, bot_caller_);
    // Projects' statements that outlive their timeouts are ended from outside their session.
    watchdog_ =
        std::make_unique<storage::backend_watchdog>(control_conninfo_, watchdog_grace, &metrics_);
    persistence_ = actors::spawn_persistence(
        *system_, cfg_.db_workers,
        {actors::default_write_linger, cfg_.db_write_timeout, watchdog_.get()});
    // The project-database API (tables, rows, SQL) has its own connections: a slow query
    // there never delays the message pipeline's writes. Projects take turns on them, and
    // none holds them all.
    actors::db_pool_options api_pool{"", cfg_.db_api_workers, "database_api"};
    api_pool.fair_share = true;
    api_pool.max_queued_per_target = database_api_queue;
    api_pool.queue_timeout = api_request_timeout;  // past it, too little of the API's wait is left
    database_api_ = actors::spawn_db_pool(*system_, api_pool);
    // Broadcasts read their audiences and queue their recipients on a connection of their own:
    // their batches never hold the message pipeline's writes, and projects take turns.
    actors::db_pool_options broadcast_pool{"", 1, "broadcasts"};
    broadcast_pool.fair_share = true;
    broadcast_db_ = actors::spawn_db_pool(*system_, broadcast_pool);
    // Declarative bots' queries wait on their own connections: a slow one delays neither the
    // pipeline's writes nor the database API, and projects take turns. No queue limit: each
    // contact has at most one step, so one query, waiting; but one that waited past
    // bot_query_wait is answered as failed, not run. Turns rotate over the projects, so each
    // worker keeps a connection to many of them (fewer than the projects taking turns would
    // open a connection per query: measured 5x the Postgres CPU with 10 projects).
    actors::db_pool_options bot_query_pool{"", cfg_.db_api_workers, "bot_queries"};
    bot_query_pool.fair_share = true;
    bot_query_pool.cached_targets = bot_query_connections;
    bot_query_pool.queue_timeout = actors::bot_query_wait;
    bot_queries_ = actors::spawn_db_pool(*system_, bot_query_pool);
    auto services = std::make_shared<actors::project_services>();
    services->control_db = control_db_;
    services->admin_db = admin_db_;
    services->provisioner = provisioner_;
    services->meta_sync = meta_sync_;
    services->bot_caller = bot_caller_;
    services->bot_runner = bot_runner_;
    services->numbers = &numbers_;
    services->persistence = std::make_shared<actors::persistence_pool>(persistence_);
    services->database_api = database_api_;
    services->broadcast_db = broadcast_db_;
    services->bot_queries = bot_queries_;
    services->watchdog = watchdog_.get();
    services->conversation_idle = cfg_.conversation_idle;
    services->sweep_interval = cfg_.conversation_sweep;
    services->template_sync_interval =
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.template_sync);
    services->event_window = cfg_.event_window;
    services->server_conninfo = control_conninfo_;
    // Hosted bots run as other accounts, which a cluster's Unix socket (0700) does not admit:
    // they reach the same port over loopback TCP, with their project's password.
    auto bot_server = storage::parse_conninfo(control_conninfo_);
    if (bot_server["host"].empty() || bot_server["host"].front() == '/')
      bot_server["host"] = "127.0.0.1";
    services->bot_server_conninfo = storage::make_conninfo(bot_server);
    services->master_key = master_key_;
    services->app_id = cfg_.app_id;
    services->app_secret = cfg_.app_secret;
    services->metrics = &metrics_;
    std::vector<storage::project_row> existing;
    {
      pqxx::connection c{control_conninfo_};
      existing = storage::live_projects(c);
    }
    auto count = existing.size();
    directory_ =
        actors::spawn_project_directory(*system_, std::move(services), std::move(existing));
    log::info("actors.started",
              {{"scheduler_threads", actors::scheduler_threads(cfg_.actor_threads)},
               {"projects", count}});
  }

  void start_http(const std::string& admin_key) {
    metrics_.add_collector(metrics::process_collector());
    metrics_.gauges("paige_build_info", "always 1; labels describe the build", {"version"})
        .with({PAIGE_VERSION})
        .set(1);
    api::readiness_probe probe = [this](std::function<void(bool, std::string)> done) {
      if (http_ && http_->draining()) return done(false, "shutting down");
      actors::check_readiness(*system_, control_db_, readiness_timeout, std::move(done));
    };
    auth_ = std::make_unique<api::authenticator>(admin_key, *system_, directory_);
    api::project_routes_context project_api{system_.get(), directory_, auth_.get(),
                                            cfg_.max_json_depth};
    project_api.timeout = api_request_timeout;
    project_api.sql_timeout = cfg_.sql_timeout;
    project_api.sql_row_cap = cfg_.sql_row_cap;
    project_api.sql_max_bytes = cfg_.sql_max_bytes;
    project_api.watchdog = watchdog_.get();
    project_api.code_bots.http_loopback = cfg_.bot_http_loopback;
    if (!cfg_.app_id.empty())
      project_api.signup = {cfg_.app_id, cfg_.signup_config_id,
                            cfg_.facebook_url + "/" + cfg_.graph_version + "/dialog/oauth"};
    api::webhook_context webhooks{system_.get(),   &numbers_,         directory_,
                                  cfg_.app_secret, cfg_.verify_token, &metrics_};
    webhooks.timeout = cfg_.webhook_timeout;
    api::add_api_routes(routes_, {std::move(probe), &metrics_, project_api, std::move(webhooks)});
    api::http_server_options http_opts{cfg_.listen_host,      cfg_.listen_port,
                                       cfg_.http_threads,     cfg_.max_body_bytes,
                                       cfg_.max_header_bytes, cfg_.request_timeout};
    http_opts.max_stream_backlog = cfg_.stream_backlog;
    auto descriptors = fit_connections_to_descriptors(cfg_.max_connections);
    http_opts.max_connections = descriptors.max_connections;
    http_ = std::make_unique<api::http_server>(http_opts, routes_, metrics_);
    auto port = http_->start();
    bot_host_->set_api_url(local_url(cfg_.listen_host, port));
    log::info("http.listening", {{"addr", cfg_.listen_host + ":" + std::to_string(port)},
                                 {"max_connections", descriptors.max_connections},
                                 {"descriptor_limit", descriptors.limit}});
  }

  const config& cfg_;
  std::string data_dir_;
  std::optional<data_dir_lock> lock_;  // released last, after the embedded Postgres stopped
  std::string control_conninfo_;
  std::optional<embedded_postgres> pg_;
  metrics::registry metrics_;
  std::unique_ptr<storage::backend_watchdog> watchdog_;  // outlives the workers it watches
  actors::number_directory numbers_;                     // outlives the actors that keep it current
  api::router routes_;
  caf::actor_system_config actor_cfg_;
  std::unique_ptr<api::http_server> http_;
  std::unique_ptr<caf::actor_system> system_;  // destroyed before http_: it may hold responders
  std::unique_ptr<api::authenticator> auth_;
  std::shared_ptr<api::graph_client> graph_;
  caf::actor meta_sync_;
  std::shared_ptr<api::bot_client> bots_;
  caf::actor bot_caller_;
  std::shared_ptr<bot_processes> bot_host_;
  caf::actor bot_runner_;
  caf::actor database_api_;
  caf::actor bot_queries_;
  caf::actor broadcast_db_;
  std::vector<caf::actor> persistence_;
  secrets::master_key master_key_;
  caf::actor control_db_;
  caf::actor admin_db_;
  caf::actor provisioner_;
  caf::actor directory_;
};

}  // namespace

int serve(const config& cfg) {
  log::info("paige.starting",
            {{"version", PAIGE_VERSION},
             {"listen", cfg.listen_host + ":" + std::to_string(cfg.listen_port)},
             {"data_dir", cfg.data_dir},
             {"database", cfg.database_url ? log::redact_url(*cfg.database_url) : "embedded"},
             {"graph_url", cfg.graph_url}});
  server_process process{cfg};
  try {
    process.start();
  } catch (const std::exception& e) {
    log::error("paige.start_failed", {{"reason", e.what()}});
    return 1;
  }
  log::info("paige.ready");
  int sig = signals::wait_for_shutdown_signal();
  log::info("paige.signal", {{"signal", signals::name_of(sig)}});
  try {
    process.stop();
  } catch (const std::exception& e) {
    log::error("paige.stop_failed", {{"reason", e.what()}});
    return 1;
  }
  log::info("paige.stopped");
  return 0;
}

}  // namespace paige::runtime
