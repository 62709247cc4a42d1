/// @file
/// @brief The bot runner: supervises the Node.js processes of the code bots Paige hosts (one
/// per project whose bot is `{"kind": "code"}`, docs/bot-contract.md) and routes their events.
/// One per server. Processes themselves are behind `bot_host` (implemented in runtime/), so
/// actors never fork.
///
/// Protocol:
///   (bot_deploy_atom, project_id, bot_launch) → bot_deployed
///       starts the version as the project's candidate; answers once it is healthy (or why
///       it could not start, with its output). The active version keeps answering events.
///   (bot_activate_atom, project_id, key, keep) the candidate `key` becomes the active version
///       (keep) and the old process stops after its events' time box; or the candidate stops
///       (!keep: its version could not be stored)
///   (bot_ensure_atom, project_id, bot_launch)  the active version is `launch` (started if
///       not running that version already): a project loading its stored bot
///   (bot_stop_atom, project_id)                 stops the project's processes
///   (bot_forget_atom, project_id)               stops them and removes the project's files and
///       OS account (the project is deleted)
///   (bot_event_atom, project_id, code_target_ptr, event_id, body) → bot_reply
///       posts the event to the active process; an event the process did not answer because it
///       died (or was restarting) is posted again once it runs, at most `max_event_posts` times
///   (bot_preview_atom, project_id, bot_launch, code_target_ptr, body) → bot_reply
///       posts a preview's event (docs/bot-preview.md) to the version `launch`: the active
///       process if it runs that version, else the project's preview process, started for it
///       (and stopped after 5 idle minutes, or for the preview of another version). Posted once.
///   (bot_status_atom, project_id) → std::string (JSON: state, pid, restarts, output)
///
/// A process that exits is restarted with backoff (1 s doubling to 30 s); one that exited
/// `crash_limit` times without running a minute in between is marked failed: its events
/// get the fallback at once until the next deploy.
#pragma once

#include "actors/bot_caller.hpp"
#include "actors/core/code_files.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paige::actors {

using bot_deploy_atom = caf::atom_constant<caf::atom("botdeploy")>;
using bot_activate_atom = caf::atom_constant<caf::atom("botactive")>;
using bot_ensure_atom = caf::atom_constant<caf::atom("botensure")>;
using bot_stop_atom = caf::atom_constant<caf::atom("botstop")>;
using bot_status_atom = caf::atom_constant<caf::atom("botstatus")>;
using bot_forget_atom = caf::atom_constant<caf::atom("botforget")>;
using bot_preview_atom = caf::atom_constant<caf::atom("botpreview")>;

/// The longest a deploy may take: npm ci (5 minutes at most) and the start.
inline constexpr std::chrono::minutes hosted_deploy_wait{7};

/// How many times one event is posted to a hosted bot whose process died under it.
inline constexpr int max_event_posts = 3;
/// Exits in a row (none after a minute of running) that mark a hosted bot failed.
inline constexpr int crash_limit = 5;

/// One version of a hosted bot, as the host starts it.
struct bot_launch {
  std::string project_id;
  /// The version's sources and their content key (sha256 of the files): its directory, so a
  /// version restored later reuses its installed dependencies.
  std::shared_ptr<const bot::code_files> code;
  std::string key;
  /// NAME=value for the process besides PORT (DATABASE_URL, secrets, PAIGE_*).
  std::vector<std::string> env;
  /// The project's bot log (an event hub): its processes' output and starts and exits.
  caf::actor log;
};

/// What starting one version gave.
struct bot_deployed {
  bool ok = false;
  std::string stage;   ///< failed: "install", "start" or "health"
  std::string output;  ///< npm's and the process's output (the last 64 KiB)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_deployed& x) {
  return f(caf::meta::type_name("bot_deployed"), x.ok, x.stage, x.output);
}

/// A started process.
struct bot_process {
  bool ok = false;
  int pid = 0;
  std::uint16_t port = 0;
  std::string stage;
  std::string output;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bot_process& x) {
  return f(caf::meta::type_name("bot_process"), x.ok, x.pid, x.port, x.stage, x.output);
}

/// Starts and stops hosted bots' processes. `launch` blocks (the runner calls it from a
/// detached worker); the callbacks run on the host's threads and must not block.
class bot_host {
 public:
  virtual ~bot_host() = default;
  /// Writes the version's files (once per key), installs its dependencies (once per key),
  /// starts `node <main>` as the project's own account with its limits on a free loopback
  /// port, and waits until GET /health answers 200, the process exits, or the start timeout
  /// passes (then it is killed). `output` gets what the process writes; `exited` its end.
  virtual bot_process launch(const bot_launch& launch,
                             std::function<void(int pid, std::string chunk)> output,
                             std::function<void(int pid, int status)> exited) = 0;
  /// SIGTERM now, SIGKILL after `grace` if it still runs. Never blocks.
  virtual void stop(int pid, std::chrono::milliseconds grace) = 0;
  /// Kills the project's processes and removes its versions' directory and its OS account (the
  /// project is deleted). Blocks until they are gone (the runner calls it from a worker).
  virtual void forget(const std::string& project_id) = 0;
};

caf::actor spawn_bot_runner(caf::actor_system& sys, std::shared_ptr<bot_host> host,
                            caf::actor bot_caller);

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::actors::bot_launch)
