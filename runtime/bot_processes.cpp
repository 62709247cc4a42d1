#include "runtime/bot_processes.hpp"

#include "common/log.hpp"
#include "runtime/loopback.hpp"
#include "runtime/subprocess.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace paige::runtime {

struct bot_processes::process {
  std::string project_id;
  std::mutex m;
  std::condition_variable changed;
  bool started = false;
  pid_t pid = -1;
  std::string start_error;
  bool exited = false;
  std::string tail;  ///< the last output_tail bytes it wrote
  std::chrono::steady_clock::time_point kill_at = std::chrono::steady_clock::time_point::max();
  std::thread watcher;
};

namespace {

constexpr std::size_t output_tail = 64 * 1024;
/// Installed versions kept per project (the most recently started): an older one restored is
/// installed again.
constexpr std::size_t versions_kept = 5;
constexpr const char* ready_marker = ".paige-ready";

/// The project's OS account name: paige-bot- and the project id's letters and digits.
std::string account_name(const std::string& project_id) {
  std::string name = "paige-bot-";
  for (unsigned char c : project_id.substr(project_id.find('_') + 1))
    if (std::isalnum(c) && name.size() < 32) name += static_cast<char>(std::tolower(c));
  return name;
}

/// Gives `path` (and everything under it) to `user`.
void give_to(const fs::path& path, const std::optional<os_user>& user) {
  if (!user) return;
  auto chown_one = [&](const fs::path& p) {
    if (::lchown(p.c_str(), user->uid, user->gid) != 0)
      throw std::runtime_error("cannot give " + p.string() + " to " + user->name);
  };
  chown_one(path);
  if (fs::is_directory(path))
    for (const auto& entry : fs::recursive_directory_iterator(path)) chown_one(entry.path());
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

/// Reads the process's output and reaps it; in the thread that started it, so that the
/// parent-death signal fires only when the server itself ends.
void watch(const std::shared_ptr<bot_processes::process>& proc, const process_options& opts,
           const std::function<void(int, std::string)>& output,
           const std::function<void(int, int)>& exited) {
  started_process child;
  try {
    child = start_process(opts);
  } catch (const std::exception& e) {
    std::lock_guard lock{proc->m};
    proc->started = true;
    proc->exited = true;
    proc->start_error = e.what();
    proc->changed.notify_all();
    return;
  }
  {
    std::lock_guard lock{proc->m};
    proc->started = true;
    proc->pid = child.pid;
  }
  proc->changed.notify_all();
  int fd = child.output_fd;
  int status = 0;
  char chunk[4096];
  auto drain = [&](int timeout_ms) {
    if (fd < 0) return ::poll(nullptr, 0, timeout_ms), void();
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return;
    auto n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      std::string text(chunk, static_cast<std::size_t>(n));
      {
        std::lock_guard lock{proc->m};
        keep_tail(proc->tail, chunk, static_cast<std::size_t>(n), output_tail);
      }
      output(child.pid, std::move(text));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      ::close(fd);
      fd = -1;
    }
  };
  for (;;) {
    {
      std::lock_guard lock{proc->m};
      if (std::chrono::steady_clock::now() >= proc->kill_at) {
        ::kill(-child.pid, SIGKILL);
        proc->kill_at = std::chrono::steady_clock::time_point::max();
      }
    }
    drain(250);
    if (::waitpid(child.pid, &status, WNOHANG) == child.pid) break;
  }
  // What it wrote just before it ended, then whatever it left running in its group.
  for (int i = 0; i < 64 && fd >= 0; ++i) drain(0);
  if (fd >= 0) ::close(fd);
  ::kill(-child.pid, SIGKILL);
  {
    std::lock_guard lock{proc->m};
    proc->exited = true;
    proc->tail += "\n[paige] the process " + describe_exit(status) + "\n";
  }
  proc->changed.notify_all();
  exited(child.pid, status);
}

/// Removes the project's installed versions but the `versions_kept` started last (each start
/// touches its ready marker).
void prune_versions(const fs::path& project_dir) {
  std::vector<std::pair<fs::file_time_type, fs::path>> versions;
  for (const auto& entry : fs::directory_iterator(project_dir)) {
    auto marker = entry.path() / ready_marker;
    std::error_code ec;
    auto when = fs::last_write_time(marker, ec);
    if (!ec) versions.emplace_back(when, entry.path());
  }
  if (versions.size() <= versions_kept) return;
  std::sort(versions.begin(), versions.end(), std::greater<>{});
  for (std::size_t i = versions_kept; i < versions.size(); ++i) {
    std::error_code ec;
    fs::remove_all(versions[i].second, ec);
  }
}

}  // namespace

bot_processes::bot_processes(bot_process_options opts)
    : opts_(std::move(opts)), own_accounts_(::geteuid() == 0) {
  fs::create_directories(opts_.dir);
  // Each project's account reaches its own directory under it, and nothing else.
  fs::permissions(opts_.dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::replace);
}

bot_processes::install_slot::install_slot(bot_processes& owner) : owner_(owner) {
  std::unique_lock lock{owner_.mutex_};
  // Waits its turn within the install's own time box: past it, the deploy fails as slow.
  if (!owner_.install_freed_.wait_for(lock, owner_.opts_.install_timeout, [&] {
        return owner_.installs_ < owner_.opts_.concurrent_installs;
      }))
    throw std::runtime_error("other projects' installs held every install slot for " +
                             std::to_string(owner_.opts_.install_timeout.count() / 1000) + " s");
  ++owner_.installs_;
}

bot_processes::install_slot::~install_slot() {
  {
    std::lock_guard lock{owner_.mutex_};
    --owner_.installs_;
  }
  owner_.install_freed_.notify_one();
}

void bot_processes::set_api_url(std::string url) {
  {
    std::lock_guard lock{mutex_};
    api_url_ = std::move(url);
  }
  api_url_set_.notify_all();
}

bot_processes::~bot_processes() {
  std::list<std::shared_ptr<process>> all;
  {
    std::lock_guard lock{mutex_};
    all.swap(processes_);
  }
  for (auto& proc : all) {
    std::lock_guard lock{proc->m};
    if (proc->pid > 0 && !proc->exited) {
      ::kill(-proc->pid, SIGTERM);
      proc->kill_at = std::chrono::steady_clock::now() + std::chrono::seconds{3};
    }
  }
  for (auto& proc : all)
    if (proc->watcher.joinable()) proc->watcher.join();
}

actors::bot_process bot_processes::launch(const actors::bot_launch& l,
                                          std::function<void(int, std::string)> output,
                                          std::function<void(int, int)> exited) {
  actors::bot_process result;
  result.stage = "start";
  std::optional<os_user> user;
  fs::path project_dir = fs::path{opts_.dir} / l.project_id;
  fs::path version = project_dir / l.key;
  fs::path home = project_dir / "home";
  std::vector<std::string> base_env{"HOME=" + home.string(), "PATH=/usr/bin:/bin",
                                    "NODE_ENV=production"};
  std::vector<std::pair<int, rlim_t>> limits{{RLIMIT_DATA, opts_.memory_bytes},
                                             {RLIMIT_NOFILE, opts_.open_files}};
  try {
    std::unique_lock lock{mutex_};
    // Watchers of processes that ended are joined here, at the next launch.
    for (auto it = processes_.begin(); it != processes_.end();) {
      bool done;
      {
        std::lock_guard plock{(*it)->m};
        done = (*it)->exited;
      }
      if (done && (*it)->watcher.joinable()) (*it)->watcher.join();
      it = done ? processes_.erase(it) : std::next(it);
    }
    if (own_accounts_) {
      auto name = account_name(l.project_id);
      user = find_os_user(name);
      if (!user) {
        auto made =
            run_command({"/usr/sbin/useradd", "--system", "--user-group", "--no-create-home",
                         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name});
        user = find_os_user(name);
        if (!user)
          throw std::runtime_error("cannot make the OS account " + name + ": " + made.output);
      }
      limits.push_back({RLIMIT_NPROC, opts_.processes});
    }
    // One project's install never holds another project's launch: only the project's own
    // launches wait for each other (they may write the same version's directory).
    auto mine = project_locks_[l.project_id];
    if (!mine) mine = project_locks_[l.project_id] = std::make_shared<std::mutex>();
    lock.unlock();
    std::lock_guard project_lock{*mine};
    fs::create_directories(home);
    give_to(project_dir, user);
    give_to(home, user);
    fs::permissions(project_dir, fs::perms::owner_all, fs::perm_options::replace);
    if (!fs::exists(version / ready_marker)) {
      // Written and installed aside, then renamed: a version's directory is complete or absent.
      fs::path partial = project_dir / (l.key + ".partial");
      fs::remove_all(partial);
      for (const auto& [path, content] : l.code->files) {
        fs::path file = partial / path;
        fs::create_directories(file.parent_path());
        std::ofstream out{file, std::ios::binary};
        out << content;
        if (!out) throw std::runtime_error("cannot write " + file.string());
      }
      give_to(partial, user);
      if (l.code->installs) {
        result.stage = "install";
        process_options npm;
        npm.argv = {opts_.npm,    "ci",        "--omit=dev",
                    "--no-audit", "--no-fund", "--no-update-notifier"};
        npm.env = base_env;
        npm.cwd = partial.string();
        npm.user = user;
        npm.limits = limits;
        install_slot slot{*this};
        auto installed = run_process(npm, opts_.install_timeout, output_tail);
        result.output = std::move(installed.output);
        if (installed.exit_code != 0) {
          fs::remove_all(partial);
          return result;
        }
      }
      std::ofstream{partial / ready_marker} << "installed\n";
      fs::remove_all(version);
      fs::rename(partial, version);
    }
    fs::last_write_time(version / ready_marker, fs::file_time_type::clock::now());
    prune_versions(project_dir);
  } catch (const std::exception& e) {
    result.output += std::string{"\n[paige] "} + e.what() + "\n";
    return result;
  }
  result.stage = "start";
  std::string api_url;
  {
    // Bots started as the server loads wait for the API's port: it is bound right after.
    std::unique_lock lock{mutex_};
    api_url_set_.wait_for(lock, opts_.start_timeout, [&] { return !api_url_.empty(); });
    api_url = api_url_;
  }
  if (api_url.empty()) log::warn("bot.no_api_url", {{"project", l.project_id}});
  result.port = free_loopback_port();
  process_options node;
  node.argv = {opts_.node, (version / l.code->main).string()};
  node.env = l.env;
  node.env.insert(node.env.end(), base_env.begin(), base_env.end());
  node.env.push_back("PORT=" + std::to_string(result.port));
  if (!api_url.empty()) node.env.push_back("PAIGE_API_URL=" + api_url);
  node.cwd = version.string();
  node.user = user;
  node.limits = limits;
  node.limits.push_back({RLIMIT_CPU, opts_.cpu_seconds});
  node.nice = opts_.nice;
  node.dies_with_thread = true;
  auto proc = std::make_shared<process>();
  proc->project_id = l.project_id;
  proc->watcher = std::thread{[proc, node, output, exited] { watch(proc, node, output, exited); }};
  {
    std::lock_guard lock{mutex_};
    processes_.push_back(proc);
  }
  auto deadline = std::chrono::steady_clock::now() + opts_.start_timeout;
  std::unique_lock lock{proc->m};
  proc->changed.wait(lock, [&] { return proc->started; });
  result.pid = proc->pid;
  while (!proc->exited && std::chrono::steady_clock::now() < deadline) {
    lock.unlock();
    auto status = loopback_http_status(result.port, "/health", std::chrono::seconds{1});
    lock.lock();
    if (status == 200 && !proc->exited) {
      result.ok = true;
      result.output += proc->tail;
      return result;
    }
    // Not listening yet: look again shortly, or as soon as it exits.
    proc->changed.wait_for(lock, std::chrono::milliseconds{100}, [&] { return proc->exited; });
  }
  if (!proc->exited) {
    result.stage = "health";
    proc->tail += "\n[paige] GET /health did not answer 200 within " +
                  std::to_string(opts_.start_timeout.count() / 1000) + " s\n";
    ::kill(-proc->pid, SIGKILL);
  }
  result.output += proc->start_error.empty() ? proc->tail : "\n[paige] " + proc->start_error;
  return result;
}

void bot_processes::stop(int pid, std::chrono::milliseconds grace) {
  std::lock_guard lock{mutex_};
  for (auto& proc : processes_) {
    std::lock_guard plock{proc->m};
    if (proc->pid != pid || proc->exited) continue;
    ::kill(-pid, SIGTERM);
    proc->kill_at = std::chrono::steady_clock::now() + grace;
  }
}

void bot_processes::forget(const std::string& project_id) {
  std::vector<std::shared_ptr<process>> mine;
  {
    std::lock_guard lock{mutex_};
    for (auto& proc : processes_) {
      if (proc->project_id != project_id) continue;
      std::lock_guard plock{proc->m};
      if (proc->pid > 0 && !proc->exited) ::kill(-proc->pid, SIGKILL);
      mine.push_back(proc);
    }
  }
  // The account can be removed only once none of its processes is left.
  for (auto& proc : mine) {
    std::unique_lock lock{proc->m};
    proc->changed.wait_for(lock, std::chrono::seconds{10}, [&] { return proc->exited; });
  }
  // A launch in the middle of writing or installing one of its versions ends first.
  std::shared_ptr<std::mutex> writing;
  {
    std::lock_guard lock{mutex_};
    if (auto it = project_locks_.find(project_id); it != project_locks_.end()) {
      writing = it->second;
      project_locks_.erase(it);
    }
  }
  std::unique_lock<std::mutex> written;
  if (writing) written = std::unique_lock{*writing};
  std::error_code ec;
  fs::remove_all(fs::path{opts_.dir} / project_id, ec);
  if (ec) log::warn("bot.files_not_removed", {{"project", project_id}, {"reason", ec.message()}});
  if (!own_accounts_) return;
  auto name = account_name(project_id);
  if (!find_os_user(name)) return;
  auto removed = run_command({"/usr/sbin/userdel", name});
  if (removed.exit_code != 0)
    log::warn("bot.account_not_removed", {{"account", name}, {"reason", removed.output}});
}

}  // namespace paige::runtime
