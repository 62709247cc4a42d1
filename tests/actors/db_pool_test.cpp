#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/readiness.hpp"
#include "actors/system_config.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_cluster.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <future>
#include <thread>

using namespace paige::actors;

namespace {

struct pool_fixture {
  paige::test::fresh_database db;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor pool;

  explicit pool_fixture(std::size_t workers = 2) {
    configure_actor_system(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    pool = spawn_db_pool(*sys, {db.conninfo(), workers, "test"});
  }
  ~pool_fixture() {
    caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    sys->await_all_actors_done();
  }

  /// Runs `job` (which replies with an int) through the pool and waits for its reply.
  caf::expected<int> run(db_job job) { return ask(std::move(job)); }
  caf::expected<int> run(retry_safe job) { return ask(std::move(job)); }

  template <class Job>
  caf::expected<int> ask(Job job) {
    caf::scoped_actor self{*sys};
    caf::expected<int> out{0};
    self->request(pool, caf::duration{std::chrono::seconds{10}}, run_atom::value, std::move(job))
        .receive([&](int v) { out = v; }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }
};

int int_of(const caf::expected<int>& m) {
  REQUIRE(m);
  return *m;
}

}  // namespace

TEST_CASE("jobs run on a worker connection and reply with their result", "[actors][db]") {
  pool_fixture f;
  auto reply = f.run([](pqxx::connection& c) {
    return caf::make_message(pqxx::work{c}.exec("SELECT 40 + 2")[0][0].as<int>());
  });
  CHECK(int_of(reply) == 42);
}

TEST_CASE("more jobs than workers queue and all complete", "[actors][db]") {
  pool_fixture f{2};
  caf::scoped_actor self{*f.sys};
  constexpr int jobs = 20;
  int done = 0, sum = 0;
  for (int i = 0; i < jobs; ++i)
    self->send(f.pool, run_atom::value, db_job{[i](pqxx::connection& c) {
                 // Holds the worker briefly so later jobs must wait in the queue.
                 pqxx::work{c}.exec("SELECT pg_sleep(0.01)");
                 return caf::make_message(i);
               }});
  for (int i = 0; i < jobs; ++i)
    self->receive([&](int v) { ++done, sum += v; },
                  caf::after(std::chrono::seconds{10}) >> [] { FAIL("job reply missing"); });
  CHECK(done == jobs);
  CHECK(sum == jobs * (jobs - 1) / 2);
}

TEST_CASE("a statement error becomes db_error and the worker keeps serving", "[actors][db]") {
  pool_fixture f{1};
  auto bad = f.run([](pqxx::connection& c) {
    pqxx::work{c}.exec("SELECT * FROM no_such_table");
    return caf::make_message(0);
  });
  REQUIRE_FALSE(bad);
  CHECK(code_of(bad.error()) == errc::db_error);
  CHECK_THAT(reason_of(bad.error()), Catch::Contains("no_such_table"));
  CHECK(int_of(f.run([](pqxx::connection&) { return caf::make_message(7); })) == 7);
}

TEST_CASE("a lost connection fails one job as db_unavailable, then reconnects", "[actors][db]") {
  pool_fixture f{1};
  auto pid = int_of(f.run([](pqxx::connection& c) {
    return caf::make_message(pqxx::work{c}.exec("SELECT pg_backend_pid()")[0][0].as<int>());
  }));
  {
    pqxx::connection admin{f.db.conninfo()};
    pqxx::work{admin}.exec_params("SELECT pg_terminate_backend($1)", pid);
  }
  auto lost = f.run([](pqxx::connection& c) {
    pqxx::work{c}.exec("SELECT 1");
    return caf::make_message(1);
  });
  REQUIRE_FALSE(lost);
  CHECK(code_of(lost.error()) == errc::db_unavailable);
  auto pid2 = int_of(f.run([](pqxx::connection& c) {
    return caf::make_message(pqxx::work{c}.exec("SELECT pg_backend_pid()")[0][0].as<int>());
  }));
  CHECK(pid2 != pid);
}

TEST_CASE("a retry-safe job that finds its connection dead runs again on a new one",
          "[actors][db]") {
  pool_fixture f{1};
  auto backend = [](pqxx::connection& c) {
    return caf::make_message(pqxx::work{c}.exec("SELECT pg_backend_pid()")[0][0].as<int>());
  };
  auto pid = int_of(f.run(db_job{backend}));
  {
    pqxx::connection admin{f.db.conninfo()};
    pqxx::work{admin}.exec_params("SELECT pg_terminate_backend($1)", pid);
  }
  // As after a restart of the database: the pool's connection is dead, and only a job shows it.
  auto again = f.run(retry_safe{backend});
  REQUIRE(again);
  CHECK(*again != pid);
  // And a readiness probe on such a pool answers ready at once.
  auto pid2 = *again;
  {
    pqxx::connection admin{f.db.conninfo()};
    pqxx::work{admin}.exec_params("SELECT pg_terminate_backend($1)", pid2);
  }
  std::promise<bool> ready;
  check_readiness(*f.sys, f.pool, std::chrono::seconds{5},
                  [&](bool ok, std::string) { ready.set_value(ok); });
  CHECK(ready.get_future().get());
}

TEST_CASE("a database-API pool shares its workers fairly between projects", "[actors][db]") {
  paige::test::fresh_database db;
  caf::actor_system_config cfg;
  configure_actor_system(cfg, 2);
  caf::actor_system sys{cfg};
  db_pool_options opts{"", 2, "fair"};
  opts.fair_share = true;
  auto pool = spawn_db_pool(sys, opts);
  // Project A's jobs block until released; project B's must run meanwhile.
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> a_running{0}, a_max{0};
  auto a_job = [&](pqxx::connection&) {
    int now = ++a_running;
    a_max = std::max(a_max.load(), now);
    released.wait();
    --a_running;
    return caf::make_message(1);
  };
  auto a_conninfo = db.conninfo();
  auto b_conninfo =
      db.conninfo() + " application_name=b";  // another connection string: another project
  caf::scoped_actor self{sys};
  for (int i = 0; i < 3; ++i) self->send(pool, run_atom::value, a_conninfo, db_job{a_job});
  REQUIRE(paige::test::wait_until([&] { return a_running == 1; }));
  bool b_done = false;
  self->request(pool, caf::duration{std::chrono::seconds{10}}, run_atom::value, b_conninfo,
                db_job{[](pqxx::connection&) { return caf::make_message(2); }})
      .receive([&](int v) { b_done = v == 2; }, [&](caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK(b_done);          // answered while A's first job still held its worker
  CHECK(a_running == 1);  // A never held both workers
  release.set_value();
  // A's three replies, each once its job ran (before the pool stops: queued jobs would be lost).
  int a_done = 0;
  for (int i = 0; i < 3; ++i)
    self->receive([&](int) { ++a_done; }, caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(a_done == 3);
  CHECK(a_running == 0);
  CHECK(a_max == 1);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE("a job naming a database runs there, on a kept connection, closed ones are replaced",
          "[actors][db]") {
  pool_fixture f{1};
  paige::test::fresh_database other;
  caf::scoped_actor self{*f.sys};
  auto where = [&](const std::string& conninfo, bool close_after) {
    std::string out;
    self->request(f.pool, caf::duration{std::chrono::seconds{10}}, run_atom::value, conninfo,
                  db_job{[close_after](pqxx::connection& c) {
                    auto r = pqxx::work{c}.exec("SELECT current_database(), pg_backend_pid()")[0];
                    auto text = r[0].as<std::string>() + "/" + r[1].as<std::string>();
                    if (close_after) c.disconnect();
                    return caf::make_message(text);
                  }})
        .receive([&](std::string& v) { out = v; }, [&](caf::error& e) { FAIL(caf::to_string(e)); });
    return out;
  };
  auto first = where(other.conninfo(), false);
  CHECK(first.rfind(other.name() + "/", 0) == 0);
  CHECK(where(other.conninfo(), false) == first);  // the same backend: the connection was kept
  auto own = int_of(f.run([](pqxx::connection& c) {
    return caf::make_message(pqxx::work{c}.exec("SELECT 1")[0][0].as<int>());
  }));
  CHECK(own == 1);
  CHECK(where(other.conninfo(), true) == first);  // still kept beside the pool's own database
  auto fresh = where(other.conninfo(), false);    // the job closed it: a new backend
  CHECK(fresh.rfind(other.name() + "/", 0) == 0);
  CHECK(fresh != first);
}

TEST_CASE("readiness reports the database through the actor system", "[actors][db]") {
  pool_fixture f{1};
  std::promise<std::pair<bool, std::string>> ready;
  check_readiness(*f.sys, f.pool, std::chrono::seconds{5}, [&](bool ok, std::string reason) {
    ready.set_value({ok, reason});
  });
  auto r = ready.get_future().get();
  CHECK(r.first);

  // Refuse new connections and cut the pool's: readiness must now fail.
  {
    pqxx::connection admin{paige::test::cluster_conninfo()};
    pqxx::nontransaction tx{admin};
    tx.exec("ALTER DATABASE " + tx.quote_name(f.db.name()) + " ALLOW_CONNECTIONS false");
    tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                   f.db.name());
  }
  bool saw_not_ready = false;
  for (int attempt = 0; attempt < 3 && !saw_not_ready; ++attempt) {
    std::promise<bool> p;
    check_readiness(*f.sys, f.pool, std::chrono::seconds{5},
                    [&](bool ok, std::string) { p.set_value(ok); });
    saw_not_ready = !p.get_future().get();
  }
  CHECK(saw_not_ready);
  {
    pqxx::connection admin{paige::test::cluster_conninfo()};
    pqxx::nontransaction tx{admin};
    tx.exec("ALTER DATABASE " + tx.quote_name(f.db.name()) + " ALLOW_CONNECTIONS true");
  }
  std::promise<bool> again;
  check_readiness(*f.sys, f.pool, std::chrono::seconds{5},
                  [&](bool ok, std::string) { again.set_value(ok); });
  CHECK(again.get_future().get());
}

TEST_CASE("a database-API pool bounds each project's queue and drops jobs that waited too long",
          "[actors][db]") {
  paige::test::fresh_database db;
  caf::actor_system_config cfg;
  configure_actor_system(cfg, 2);
  caf::actor_system sys{cfg};
  db_pool_options opts{"", 2, "bounded"};
  opts.fair_share = true;  // one connection string holds one of the two workers
  opts.max_queued_per_target = 2;
  opts.queue_timeout = std::chrono::milliseconds{300};
  auto pool = spawn_db_pool(sys, opts);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> ran{0};
  auto blocking = [&](pqxx::connection&) {
    ++ran;
    released.wait();
    return caf::make_message(1);
  };
  auto conninfo = db.conninfo();
  caf::scoped_actor self{sys};
  self->send(pool, run_atom::value, conninfo, db_job{blocking});
  REQUIRE(paige::test::wait_until([&] { return ran == 1; }));
  auto queued_at = std::chrono::steady_clock::now();
  // Two wait; the third is refused at once.
  for (int i = 0; i < 2; ++i) self->send(pool, run_atom::value, conninfo, db_job{blocking});
  caf::error refused;
  self->request(pool, caf::duration{std::chrono::seconds{10}}, run_atom::value, conninfo,
                db_job{blocking})
      .receive([](int) { FAIL("a third queued job ran"); }, [&](caf::error& e) { refused = e; });
  CHECK(code_of(refused) == errc::busy);
  // Once the queue timeout has passed, the waiting jobs are answered, not run.
  REQUIRE(paige::test::wait_until(
      [&] { return std::chrono::steady_clock::now() - queued_at > opts.queue_timeout; }));
  // They no longer count toward the bound: a new job is taken (and runs).
  self->send(pool, run_atom::value, conninfo, db_job{blocking});
  release.set_value();
  int timeouts = 0, answers = 0;
  for (int i = 0; i < 4; ++i)
    self->receive([&](int) { ++answers; },
                  [&](caf::error& e) { timeouts += code_of(e) == errc::timeout ? 1 : 0; },
                  caf::after(std::chrono::seconds{10}) >> [] {});
  CHECK(timeouts == 2);
  CHECK(answers == 2);
  CHECK(ran == 2);
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}
