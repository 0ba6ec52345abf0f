#pragma once
// A local cluster of real `rampart replica` processes for multi-process tests: free ports,
// keygen through the CLI, spawn/kill/restart, metrics scraping, waits with deadlines.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace rampart::test {

std::string rampart_bin();
// Runs the binary with args; returns (exit status, combined output).
std::pair<int, std::string> run_cli(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60));
// Starts args[0] with `args`, its stdout and stderr appended to `log`; the child's pid (the
// caller reaps it). argv is built before fork: the test process may have threads.
pid_t spawn_logged(std::vector<std::string> args, const std::filesystem::path& log);
// Polls cond every 20 ms until it holds or the deadline passes.
bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds deadline);

class LocalCluster {
 public:
  LocalCluster(uint32_t n, std::string protocol = "poe", std::string extra_keygen = "");
  ~LocalCluster();  // SIGKILLs every child

  const ClusterConfig& config() const { return cfg_; }
  std::filesystem::path dir() const { return dir_; }
  std::filesystem::path config_file() const { return dir_ / "cluster.toml"; }
  std::filesystem::path data(uint32_t id) const;
  std::filesystem::path log(uint32_t id) const;

  void start(uint32_t id);
  // Arguments added to `rampart replica` for this id from its next start on.
  void set_extra_args(uint32_t id, std::vector<std::string> args) { extra_[id] = std::move(args); }
  void start_all();
  void kill(uint32_t id, int sig = 9);  // and reap
  void signal(uint32_t id, int sig);    // without reaping: SIGSTOP, SIGCONT
  // Signals every running replica first, then reaps them all (a whole-cluster crash or stop).
  void kill_all(int sig = 9);
  bool running(uint32_t id) const;
  pid_t pid(uint32_t id) const;  // -1 when not running
  // Waits (bounded) for replica `id` to exit on its own and reaps it: its exit status, 128 +
  // the signal if a signal ended it, or -1 if it still runs at the deadline.
  int wait_exit(uint32_t id, std::chrono::milliseconds d);
  // Scrapes /metrics; missing metric or unreachable replica = -1. The page is a snapshot the
  // replica refreshes every 200 ms (its tick), so a value that follows an event the test just saw
  // (a view change, a counted lie) is waited for with wait_metric_at_least, not read once.
  double metric(uint32_t id, const std::string& name) const;
  bool wait_metric_at_least(uint32_t id, const std::string& name, double v, std::chrono::milliseconds d) const;
  // Waits until every running replica answers /metrics.
  bool wait_up(std::chrono::milliseconds d) const;

 private:
  std::filesystem::path dir_;
  ClusterConfig cfg_;
  std::map<uint32_t, pid_t> pids_;
  std::map<uint32_t, std::vector<std::string>> extra_;
  int port_lock_ = -1;  // flock on our block of ports (free_base)
};

}  // namespace rampart::test
