#include "actors/bot_runner.hpp"

#include "actors/event_hub.hpp"

#include "common/log.hpp"

#include <caf/all.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <utility>

namespace paige::actors {
namespace {

using json = nlohmann::json;
using clock = std::chrono::steady_clock;

using bot_launched_atom = caf::atom_constant<caf::atom("botlaunchd")>;
using bot_exit_atom = caf::atom_constant<caf::atom("botexit")>;
using bot_output_atom = caf::atom_constant<caf::atom("botoutput")>;
using bot_restart_atom = caf::atom_constant<caf::atom("botrestart")>;
using bot_recheck_atom = caf::atom_constant<caf::atom("botrecheck")>;
using bot_idle_atom = caf::atom_constant<caf::atom("botidle")>;

/// Output kept per project (the active process's, or the failed start's).
constexpr std::size_t kept_output = 64 * 1024;
/// A process that ran this long before it exited starts its crash count again.
constexpr auto stable_run = std::chrono::minutes{1};
constexpr auto longest_backoff = std::chrono::seconds{30};
/// How long after a failed post the runner looks whether the process died under it.
constexpr auto exit_recheck = std::chrono::milliseconds{500};
/// A preview's process stops after this long without a preview.
constexpr auto preview_idle = std::chrono::minutes{5};

/// What a launch is for: the active version, a deploy's candidate, or a preview's version.
enum launch_role : int { active_role, candidate_role, preview_role };

/// A process of one version.
struct running {
  int pid = 0;
  std::uint16_t port = 0;
  std::string key;
  clock::time_point since;
};

/// An event for a hosted bot, posted or waiting for its process.
struct hosted_event {
  std::int64_t event_id = 0;
  code_target_ptr target;
  std::string body;
  caf::response_promise rp;
  int posts = 0;
  int posted_to = 0;     ///< the pid of the last post
  bool preview = false;  ///< for the preview's process (posted once, never again)
};

struct hosted_bot {
  enum class phase { starting, running, backoff, failed } now = phase::starting;
  bot_launch launch;  ///< the active version, restarted as is
  std::optional<running> active;
  std::uint64_t launching = 0;  ///< the launch in flight for the active role (0: none)
  std::optional<bot_launch> candidate_launch;
  std::optional<running> candidate;
  std::string candidate_output;
  std::optional<caf::response_promise> deploying;
  int crashes = 0;
  std::string output;
  std::string failure;
  std::map<std::uint64_t, hosted_event> events;  ///< by the runner's event number
  std::deque<std::uint64_t> waiting;             ///< events held until the process runs
  /// A version previewed that is not the active one runs in a process of its own.
  std::optional<bot_launch> preview_launch;
  std::optional<running> preview;
  std::uint64_t preview_launching = 0;
  std::deque<std::uint64_t> preview_waiting;  ///< preview events held until it runs
  clock::time_point preview_used;
};

struct runner_state {
  static constexpr const char* name = "bot_runner";
  std::shared_ptr<bot_host> host;
  caf::actor caller;
  std::map<std::string, hosted_bot> bots;
  std::uint64_t next = 0;  ///< numbers launches and events
};

using self_ptr = caf::stateful_actor<runner_state>*;

const char* phase_name(hosted_bot::phase p) {
  switch (p) {
    case hosted_bot::phase::starting:
      return "starting";
    case hosted_bot::phase::running:
      return "running";
    case hosted_bot::phase::backoff:
      return "restarting";
    case hosted_bot::phase::failed:
      return "failed";
  }
  return "starting";
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

void keep_output(std::string& kept, const std::string& chunk) {
  kept += chunk;
  if (kept.size() > kept_output) kept.erase(0, kept.size() - kept_output);
}

/// Longest text of one bot.output entry: a longer chunk is split.
constexpr std::size_t log_piece = 4096;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Publishes one entry to the project's bot log (docs/bot-contract.md, "Logs").
void log_entry(const caf::actor& log, const char* type, json data) {
  if (!log) return;
  data["at_ms"] = unix_ms();
  caf::anon_send(log, publish_atom::value, std::string{type}, std::int64_t{0},
                 data.dump(-1, ' ', false, json::error_handler_t::replace));
}

void log_output(const caf::actor& log, int pid, const std::string& text) {
  for (std::size_t at = 0; at < text.size(); at += log_piece)
    log_entry(log, "bot.output", {{"pid", pid}, {"text", text.substr(at, log_piece)}});
}

/// The log of the project's bot (any of its launches names it).
caf::actor log_of(const hosted_bot& bot) {
  if (bot.launch.log) return bot.launch.log;
  return bot.candidate_launch ? bot.candidate_launch->log : caf::actor{};
}

/// Answers an event without the bot: Paige sends the fallback.
void give_up(hosted_event& ev, std::string why) {
  bot_reply r;
  r.error = std::move(why);
  ev.rp.deliver(std::move(r));
}

/// Starts `launch` on a worker of its own (installing and starting block), reporting back
/// with bot_launched_atom: `number` tells which launch it was, `role` what it is for.
void start_launch(self_ptr self, const std::string& project, const bot_launch& launch,
                  std::uint64_t number, launch_role role = active_role) {
  caf::actor me = caf::actor_cast<caf::actor>(self);
  auto host = self->state.host;
  self->spawn<caf::detached>(
      [me, host, project, launch, number, role = static_cast<int>(role)](caf::blocking_actor*) {
        auto output = [me, project](int pid, std::string chunk) {
          caf::anon_send(me, bot_output_atom::value, project, pid, std::move(chunk));
        };
        auto exited = [me, project](int pid, int status) {
          caf::anon_send(me, bot_exit_atom::value, project, pid, status);
        };
        auto started = host->launch(launch, output, exited);
        caf::anon_send(me, bot_launched_atom::value, project, number, role, std::move(started));
      });
}

void post(self_ptr self, const std::string& project, std::uint64_t number);

/// Posts every held event: the process runs again.
void flush(self_ptr self, const std::string& project) {
  auto& bot = self->state.bots[project];
  auto waiting = std::move(bot.waiting);
  for (auto number : waiting) post(self, project, number);
}

/// Posts one event to the active process (a preview's to the preview's), holding it if there
/// is none yet.
void post(self_ptr self, const std::string& project, std::uint64_t number) {
  auto& bot = self->state.bots[project];
  auto it = bot.events.find(number);
  if (it == bot.events.end()) return;
  auto& ev = it->second;
  if (!ev.preview && bot.now == hosted_bot::phase::failed) {
    give_up(ev, "the bot's process failed: " + bot.failure);
    bot.events.erase(it);
    return;
  }
  if (ev.preview && !bot.preview) {
    bot.preview_waiting.push_back(number);
    return;
  }
  if (!ev.preview && (bot.now != hosted_bot::phase::running || !bot.active)) {
    bot.waiting.push_back(number);
    return;
  }
  const auto& process = ev.preview ? *bot.preview : *bot.active;
  auto target = std::make_shared<bot::code_target>(*ev.target);
  target->url = "http://127.0.0.1:" + std::to_string(process.port) + "/paige/events";
  ++ev.posts;
  ev.posted_to = process.pid;
  self->request(self->state.caller, target->timeout + std::chrono::seconds{2},
                bot_event_atom::value, code_target_ptr{target}, ev.event_id, ev.body)
      .then(
          [self, project, number](bot_reply& reply) {
            auto found = self->state.bots.find(project);
            if (found == self->state.bots.end()) return;  // stopped: its events were answered
            auto& bot = found->second;
            auto it = bot.events.find(number);
            if (it == bot.events.end()) return;
            // No answer and no time box passed: the connection failed. If the process died
            // under the event it is posted again once it runs; the exit may not be known yet.
            if (reply.status == 0 && !reply.timed_out && !it->second.preview &&
                it->second.posts < max_event_posts) {
              self->delayed_send(self, exit_recheck, bot_recheck_atom::value, project, number,
                                 std::move(reply));
              return;
            }
            it->second.rp.deliver(std::move(reply));
            bot.events.erase(it);
          },
          [self, project, number](caf::error& err) {
            auto found = self->state.bots.find(project);
            if (found == self->state.bots.end()) return;
            auto& bot = found->second;
            auto it = bot.events.find(number);
            if (it == bot.events.end()) return;
            bot_reply r;
            r.timed_out = err == caf::sec::request_timeout;
            r.error = to_string(err);
            it->second.rp.deliver(std::move(r));
            bot.events.erase(it);
          });
}

/// The active process ended (or could not start): restarted after a backoff, or, after
/// crash_limit ends in a row, the bot is failed and its events get the fallback.
void on_crash(self_ptr self, const std::string& project, const std::string& why) {
  auto& bot = self->state.bots[project];
  bool stable = bot.active && clock::now() - bot.active->since >= stable_run;
  bot.active.reset();
  bot.crashes = stable ? 1 : bot.crashes + 1;
  if (bot.crashes >= crash_limit) {
    bot.now = hosted_bot::phase::failed;
    bot.failure = why + " (" + std::to_string(bot.crashes) + " times in a row)";
    log::error("bot.process_failed", {{"project", project}, {"reason", bot.failure}});
    flush(self, project);  // each held event gets the fallback
    return;
  }
  bot.now = hosted_bot::phase::backoff;
  auto delay = std::min<std::chrono::milliseconds>(
      std::chrono::seconds{1} * (1 << std::min(bot.crashes - 1, 5)), longest_backoff);
  log::warn("bot.process_restart",
            {{"project", project}, {"reason", why}, {"in_ms", delay.count()}});
  auto number = ++self->state.next;
  bot.launching = number;
  self->delayed_send(self, delay, bot_restart_atom::value, project, number);
}

/// Answers every preview event held for the preview's process without it.
void give_up_previews(hosted_bot& bot, const std::string& why) {
  for (auto number : std::exchange(bot.preview_waiting, {})) {
    auto it = bot.events.find(number);
    if (it == bot.events.end()) continue;
    give_up(it->second, why);
    bot.events.erase(it);
  }
}

/// Runs `launch` in the project's preview process: the one running if it is that version,
/// else a new one (the preview of another version ends; its held events are answered).
void start_preview(self_ptr self, const std::string& project, bot_launch launch) {
  auto& bot = self->state.bots[project];
  bot.preview_used = clock::now();
  self->delayed_send(self, preview_idle + std::chrono::seconds{1}, bot_idle_atom::value, project);
  if (bot.preview_launch && bot.preview_launch->key == launch.key &&
      bot.preview_launch->env == launch.env)
    return;
  if (bot.preview) self->state.host->stop(bot.preview->pid, std::chrono::seconds{0});
  bot.preview.reset();
  give_up_previews(bot, "another version of the bot is being previewed");
  bot.preview_launch = std::move(launch);
  bot.preview_launching = ++self->state.next;
  start_launch(self, project, *bot.preview_launch, bot.preview_launching, preview_role);
}

/// The preview's process started (its held events are posted) or could not (they are
/// answered without it).
void preview_launched(self_ptr self, const std::string& project, std::uint64_t number,
                      const bot_process& started) {
  auto& bot = self->state.bots[project];
  if (number != bot.preview_launching || !bot.preview_launch) {
    if (started.ok) self->state.host->stop(started.pid, std::chrono::seconds{0});
    return;
  }
  bot.preview_launching = 0;
  log_output(bot.preview_launch->log, started.pid, started.output);
  if (!started.ok) {
    give_up_previews(bot, "the version could not start for the preview: its " + started.stage +
                              " failed (the output is in the bot's logs)");
    bot.preview_launch.reset();
    return;
  }
  bot.preview = running{started.pid, started.port, bot.preview_launch->key, clock::now()};
  log_entry(bot.preview_launch->log, "bot.process",
            {{"what", "started"},
             {"pid", started.pid},
             {"version_key", bot.preview_launch->key},
             {"preview", true}});
  for (auto n : std::exchange(bot.preview_waiting, {})) post(self, project, n);
}

json status_of(const hosted_bot& bot) {
  json s{{"state", phase_name(bot.now)},
         {"version_key", bot.launch.key},
         {"restarts", bot.crashes},
         {"output", bot.output}};
  if (bot.active) s["pid"] = bot.active->pid;
  if (!bot.failure.empty() && bot.now == hosted_bot::phase::failed) s["failure"] = bot.failure;
  return s;
}

caf::behavior bot_runner(self_ptr self, std::shared_ptr<bot_host> host, caf::actor caller) {
  self->state.host = std::move(host);
  self->state.caller = std::move(caller);
  return {
      [=](bot_deploy_atom, const std::string& project,
          bot_launch& launch) -> caf::result<bot_deployed> {
        auto& bot = self->state.bots[project];
        if (bot.deploying)
          return bot_deployed{false, "busy", "another version of this bot is being deployed"};
        if (bot.candidate) self->state.host->stop(bot.candidate->pid, std::chrono::seconds{0});
        bot.candidate.reset();
        auto rp = self->make_response_promise();
        bot.deploying = rp;
        bot.candidate_launch = launch;
        start_launch(self, project, launch, ++self->state.next, candidate_role);
        return rp;
      },
      [=](bot_activate_atom, const std::string& project, const std::string& key, bool keep) {
        auto& bot = self->state.bots[project];
        if (!bot.candidate || bot.candidate->key != key) return;
        if (!keep) {
          self->state.host->stop(bot.candidate->pid, std::chrono::seconds{0});
          bot.candidate.reset();
          return;
        }
        if (bot.active) {
          // Events in flight to the old version are answered within their time box.
          auto grace = std::chrono::seconds{bot::max_timeout_seconds + 1};
          self->state.host->stop(bot.active->pid, grace);
        }
        bot.active = std::move(bot.candidate);
        bot.candidate.reset();
        bot.output = std::move(bot.candidate_output);
        bot.candidate_output.clear();
        bot.launch = std::move(*bot.candidate_launch);
        bot.candidate_launch.reset();
        bot.launching = 0;
        bot.crashes = 0;
        bot.failure.clear();
        bot.now = hosted_bot::phase::running;
        log::info("bot.version_active", {{"project", project}, {"key", key}});
        flush(self, project);
      },
      [=](bot_ensure_atom, const std::string& project, bot_launch& launch) {
        auto& bot = self->state.bots[project];
        bool same = bot.launch.key == launch.key && bot.launch.env == launch.env;
        if (same && bot.now != hosted_bot::phase::failed && (bot.active || bot.launching)) return;
        if (bot.active) self->state.host->stop(bot.active->pid, std::chrono::seconds{5});
        bot.active.reset();
        bot.launch = std::move(launch);
        bot.crashes = 0;
        bot.now = hosted_bot::phase::starting;
        bot.launching = ++self->state.next;
        start_launch(self, project, bot.launch, bot.launching);
      },
      [=](bot_stop_atom, const std::string& project) {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end()) return;
        auto& bot = it->second;
        if (bot.active) self->state.host->stop(bot.active->pid, std::chrono::seconds{5});
        if (bot.candidate) self->state.host->stop(bot.candidate->pid, std::chrono::seconds{0});
        if (bot.preview) self->state.host->stop(bot.preview->pid, std::chrono::seconds{0});
        for (auto& [_, ev] : bot.events) give_up(ev, "the project's bot is no longer hosted");
        if (bot.deploying) bot.deploying->deliver(bot_deployed{false, "start", "stopped"});
        self->state.bots.erase(it);
      },
      [=](bot_forget_atom, const std::string& project) {
        self->send(self, bot_stop_atom::value, project);
        auto host = self->state.host;
        self->spawn<caf::detached>(
            [host, project](caf::blocking_actor*) { host->forget(project); });
      },
      [=](bot_launched_atom, const std::string& project, std::uint64_t number, int role,
          bot_process& started) {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end()) {
          // Stopped meanwhile.
          if (started.ok) self->state.host->stop(started.pid, std::chrono::seconds{0});
          return;
        }
        auto& bot = it->second;
        if (role == preview_role) return preview_launched(self, project, number, started);
        if (role == candidate_role) {
          if (!bot.deploying) {
            if (started.ok) self->state.host->stop(started.pid, std::chrono::seconds{0});
            return;
          }
          log_output(bot.candidate_launch->log, started.pid, started.output);
          if (started.ok) {
            bot.candidate =
                running{started.pid, started.port, bot.candidate_launch->key, clock::now()};
            bot.candidate_output = started.output;
            log_entry(bot.candidate_launch->log, "bot.process",
                      {{"what", "started"},
                       {"pid", started.pid},
                       {"version_key", bot.candidate_launch->key},
                       {"deploy", true}});
          }
          bot.deploying->deliver(
              bot_deployed{started.ok, started.ok ? "" : started.stage, started.output});
          bot.deploying.reset();
          return;
        }
        if (number != bot.launching) {
          // A launch an activation or another ensure replaced.
          if (started.ok) self->state.host->stop(started.pid, std::chrono::seconds{0});
          return;
        }
        bot.launching = 0;
        // After what the process before it printed (why it crashed, often).
        keep_output(bot.output, started.output);
        log_output(bot.launch.log, started.pid, started.output);
        if (!started.ok) {
          on_crash(self, project, "its " + started.stage + " failed");
          return;
        }
        bot.active = running{started.pid, started.port, bot.launch.key, clock::now()};
        bot.now = hosted_bot::phase::running;
        log_entry(bot.launch.log, "bot.process",
                  {{"what", "started"}, {"pid", started.pid}, {"version_key", bot.launch.key}});
        log::info("bot.process_started",
                  {{"project", project}, {"pid", started.pid}, {"port", started.port}});
        flush(self, project);
      },
      [=](bot_restart_atom, const std::string& project, std::uint64_t number) {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end() || it->second.launching != number) return;
        it->second.now = hosted_bot::phase::starting;
        start_launch(self, project, it->second.launch, number);
      },
      [=](bot_exit_atom, const std::string& project, int pid, int status) {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end()) return;
        auto& bot = it->second;
        log_entry(log_of(bot), "bot.process",
                  {{"what", "exited"}, {"pid", pid}, {"how", describe_exit(status)}});
        if (bot.candidate && bot.candidate->pid == pid) bot.candidate.reset();
        if (bot.preview && bot.preview->pid == pid) {
          bot.preview.reset();
          bot.preview_launch.reset();  // the next preview starts it again
        }
        if (!bot.active || bot.active->pid != pid) return;
        keep_output(bot.output, "\n[paige] the process " + describe_exit(status) + "\n");
        on_crash(self, project, "the process " + describe_exit(status));
      },
      [=](bot_output_atom, const std::string& project, int pid, std::string& chunk) {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end()) return;
        auto& bot = it->second;
        // Before its launch reported back, a process's output comes with the report.
        bool active = bot.active && bot.active->pid == pid;
        bool candidate = bot.candidate && bot.candidate->pid == pid;
        bool preview = bot.preview && bot.preview->pid == pid;
        if (active) keep_output(bot.output, chunk);
        if (candidate) keep_output(bot.candidate_output, chunk);
        if (active || candidate) log_output(log_of(bot), pid, chunk);
        if (preview) log_output(bot.preview_launch->log, pid, chunk);
      },
      [=](bot_event_atom, const std::string& project, const code_target_ptr& target,
          std::int64_t event_id, std::string& body) -> caf::result<bot_reply> {
        // A project's first events may come before its actor asked for the process (it reads
        // the project's secrets first): they wait for it like events during a restart.
        auto& bot = self->state.bots[project];
        auto number = ++self->state.next;
        auto rp = self->make_response_promise();
        bot.events.emplace(number, hosted_event{event_id, target, std::move(body), rp, 0, 0});
        post(self, project, number);
        return rp;
      },
      [=](bot_preview_atom, const std::string& project, bot_launch& launch,
          const code_target_ptr& target, std::string& body) -> caf::result<bot_reply> {
        auto& bot = self->state.bots[project];
        auto number = ++self->state.next;
        auto rp = self->make_response_promise();
        // The active version answers its own previews (and holds them while it restarts).
        bool active = bot.launch.key == launch.key && bot.launch.env == launch.env &&
                      bot.now != hosted_bot::phase::failed && (bot.active || bot.launching);
        bot.events.emplace(number, hosted_event{0, target, std::move(body), rp, 0, 0, !active});
        if (!active) start_preview(self, project, std::move(launch));
        post(self, project, number);
        return rp;
      },
      [=](bot_idle_atom, const std::string& project) {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end() || !it->second.preview) return;
        auto& bot = it->second;
        if (clock::now() - bot.preview_used < preview_idle) return;
        self->state.host->stop(bot.preview->pid, std::chrono::seconds{0});
        bot.preview.reset();
        bot.preview_launch.reset();
      },
      [=](bot_recheck_atom, const std::string& project, std::uint64_t number, bot_reply& reply) {
        auto found = self->state.bots.find(project);
        if (found == self->state.bots.end()) return;
        auto& bot = found->second;
        auto it = bot.events.find(number);
        if (it == bot.events.end()) return;
        if (!bot.active || bot.active->pid != it->second.posted_to) {
          post(self, project, number);  // held until the process runs again
          return;
        }
        it->second.rp.deliver(std::move(reply));
        bot.events.erase(it);
      },
      [=](bot_status_atom, const std::string& project) -> std::string {
        auto it = self->state.bots.find(project);
        if (it == self->state.bots.end()) return json{{"state", "stopped"}}.dump();
        return status_of(it->second).dump(-1, ' ', false, json::error_handler_t::replace);
      },
  };
}

}  // namespace

caf::actor spawn_bot_runner(caf::actor_system& sys, std::shared_ptr<bot_host> host,
                            caf::actor bot_caller) {
  return sys.spawn(bot_runner, std::move(host), std::move(bot_caller));
}

}  // namespace paige::actors
