#include "process/cluster_fixture.hpp"

#include "temp_dir.hpp"

#include <httplib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace rampart::test {
namespace fs = std::filesystem;

std::string rampart_bin() {
  const char* b = std::getenv("RAMPART_BIN");
  if (b && *b) return b;  // lets a reader point the tests at another build
  return RAMPART_BIN_PATH;
}

std::pair<int, std::string> run_cli(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  std::string cmd = "timeout " + std::to_string(timeout.count()) + " " + rampart_bin();
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int st = ::pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

namespace {
bool port_free(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Block m of 400 ports (20000 + 400 m ...) is this process's while it holds an flock on its file:
// a port that is free when checked is not reserved, and two tests side by side once picked the
// same base and ran their clients against one cluster (their writers shared key names, so one
// read the other's values as lost writes). The lock ends with the cluster or the process.
int lock_block(uint32_t m) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("rampart-test-ports-" + std::to_string(m) + ".lock")).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A base port whose peer/client/metrics ranges are all free right now, in a block of ports no
// other test process holds (*lock_fd: the lock, to keep while the cluster lives).
uint16_t free_base(uint32_t n, int* lock_fd) {
  if (n == 0 || n > 100) throw std::runtime_error("free_base: 1..100 replicas");
  std::mt19937 rng(static_cast<uint32_t>(::getpid()) * 7919u + static_cast<uint32_t>(std::random_device{}()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Below Linux's ephemeral range (32768+), so no outgoing connection takes a port between
    // this check and the replica's bind. keygen puts peer, client and metrics ports at base,
    // base + 100 and base + 200 (+ replica id); bases 400 * m + n * j (n * j < 100) give every
    // choice its own ports, so tests running side by side cannot pick overlapping ranges (with
    // bases 100 apart, a neighbour's client ports were our peer ports), nor take the ports of a
    // cluster whose replicas are down for a restart unless both pick the very same base.
    const uint32_t per_block = 100 / n;
    const uint32_t m = rng() % 31;
    uint16_t base = static_cast<uint16_t>(20000 + 400 * m + n * (rng() % per_block));
    int fd = lock_block(m);
    if (fd < 0) continue;  // another test's block
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; ++i)
      ok = port_free(static_cast<uint16_t>(base + i)) && port_free(static_cast<uint16_t>(base + 100 + i)) &&
           port_free(static_cast<uint16_t>(base + 200 + i)) && port_free(static_cast<uint16_t>(base + 302 + i));  // wallet read ports
    if (ok) {
      *lock_fd = fd;
      return base;
    }
    ::close(fd);
  }
  throw std::runtime_error("no free ports");
}
}  // namespace

LocalCluster::LocalCluster(uint32_t n, std::string protocol, std::string extra) {
  dir_ = rampart::testing::make_temp_dir("rampart-proc");
  uint16_t base = free_base(n, &port_lock_);
  std::vector<std::string> args = {"keygen", "--replicas", std::to_string(n), "--out", dir_.string(), "--protocol",
                                   protocol, "--base-port", std::to_string(base), "--view-timeout-ms", "500"};
  std::istringstream ex(extra);
  for (std::string w; ex >> w;) args.push_back(w);
  auto [st, out] = run_cli(args);
  if (st != 0) throw std::runtime_error("keygen failed: " + out);
  auto c = load_config(config_file());
  if (!c) throw std::runtime_error(c.error().message);
  cfg_ = std::move(*c);
}

LocalCluster::~LocalCluster() {
  for (auto& [id, pid] : pids_) {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  if (port_lock_ >= 0) ::close(port_lock_);
  std::error_code ec;
  if (!std::getenv("RAMPART_KEEP_TEST_DIRS")) fs::remove_all(dir_, ec);
}

fs::path LocalCluster::data(uint32_t id) const { return cfg_.resolve(cfg_.replica(id)->data_dir); }
fs::path LocalCluster::log(uint32_t id) const { return dir_ / ("replica-" + std::to_string(id) + ".log"); }

void LocalCluster::start(uint32_t id) {
  std::vector<std::string> args = {rampart_bin(), "replica", "--config", config_file().string(), "--id", std::to_string(id)};
  if (auto e = extra_.find(id); e != extra_.end()) args.insert(args.end(), e->second.begin(), e->second.end());
  pids_[id] = spawn_logged(std::move(args), log(id));
}

pid_t spawn_logged(std::vector<std::string> args, const std::filesystem::path& log) {
  const std::string logf = log.string();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The death signal comes when the forking *thread* exits, so only children of the main thread
  // (every fixture's; a helper thread that spawned and ended would kill its children early).
  const bool main_thread = ::gettid() == ::getpid();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Its own process group, whose parent (the test) is in the same session, so never an
    // orphaned one: a test stops replicas (SIGSTOP), and when a process group with a stopped
    // member is orphaned the kernel sends it SIGHUP and SIGCONT, which killed the stopped replica
    // (a test run from a detached shell: exit status "signal 1", metrics unreachable).
    ::setpgid(0, 0);
    // A test process that dies (a crash, a signal, ctest's timeout) takes its children along,
    // instead of leaving replicas that hold their ports and CPU for the next run.
    if (main_thread) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // it died before the line above
    }
    FILE* f = std::fopen(logf.c_str(), "a");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

void LocalCluster::start_all() {
  for (const auto& r : cfg_.replicas) start(r.id);
}

void LocalCluster::kill(uint32_t id, int sig) {
  auto it = pids_.find(id);
  if (it == pids_.end() || it->second <= 0) return;
  ::kill(it->second, sig);
  ::waitpid(it->second, nullptr, 0);
  it->second = -1;
}

void LocalCluster::signal(uint32_t id, int sig) {
  auto it = pids_.find(id);
  if (it != pids_.end() && it->second > 0) ::kill(it->second, sig);
}

void LocalCluster::kill_all(int sig) {
  for (auto& [id, pid] : pids_)
    if (pid > 0) ::kill(pid, sig);
  for (auto& [id, pid] : pids_) {
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
}

bool LocalCluster::running(uint32_t id) const {
  auto it = pids_.find(id);
  if (it == pids_.end() || it->second <= 0) return false;
  return ::waitpid(it->second, nullptr, WNOHANG) == 0;
}

pid_t LocalCluster::pid(uint32_t id) const {
  auto it = pids_.find(id);
  return it == pids_.end() ? -1 : it->second;
}

int LocalCluster::wait_exit(uint32_t id, std::chrono::milliseconds d) {
  auto it = pids_.find(id);
  if (it == pids_.end() || it->second <= 0) return -1;
  int st = 0;
  const pid_t pid = it->second;
  if (!wait_for([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, d)) return -1;
  it->second = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

double LocalCluster::metric(uint32_t id, const std::string& name) const {
  const auto* r = cfg_.replica(id);
  httplib::Client cli(r->host, r->metrics_port);
  cli.set_connection_timeout(1, 0);
  cli.set_read_timeout(1, 0);
  auto res = cli.Get("/metrics");
  if (!res || res->status != 200) return -1;
  std::istringstream in(res->body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

bool LocalCluster::wait_metric_at_least(uint32_t id, const std::string& name, double v, std::chrono::milliseconds d) const {
  return wait_for([&] { return metric(id, name) >= v; }, d);
}

bool LocalCluster::wait_up(std::chrono::milliseconds d) const {
  const bool up = wait_for(
      [&] {
        for (const auto& [id, pid] : pids_)
          if (pid > 0 && metric(id, "rampart_height") < 0) return false;
        return true;
      },
      d);
  if (!up) {
    // The test fails on this and the folder is removed with the cluster: say now which replica
    // did not answer and how its log ends.
    for (const auto& [id, pid] : pids_) {
      if (pid <= 0 || metric(id, "rampart_height") >= 0) continue;
      const bool alive = ::waitpid(pid, nullptr, WNOHANG) == 0;
      std::fprintf(stderr, "wait_up: replica %u (pid %d, %s) does not answer on its metrics port; its log ends:\n", id,
                   static_cast<int>(pid), alive ? "running" : "exited");
      std::ifstream in(log(id));
      std::deque<std::string> tail;
      for (std::string line; std::getline(in, line);) {
        tail.push_back(line);
        if (tail.size() > 15) tail.pop_front();
      }
      for (const auto& line : tail) std::fprintf(stderr, "  %s\n", line.c_str());
    }
  }
  return up;
}

}  // namespace rampart::test
