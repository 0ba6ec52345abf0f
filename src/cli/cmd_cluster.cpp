// `rampart cluster up [--replicas N] [--brokers B] [--dir DIR]`: a local cluster on loopback.
// Generates keys and DIR/cluster.toml when DIR has none, starts N replica processes of this
// same binary, prints where everything is, and stops every child on Ctrl-C / SIGTERM.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "cli/commands.hpp"
#include "common/config.hpp"
#include "node/keygen.hpp"

namespace rampart::cli {
namespace fs = std::filesystem;

namespace {

struct Args {
  uint32_t replicas = 4, brokers = 0;
  std::string dir = "cluster", protocol = "poe", crypto = "bls", auth = "ed25519";
  uint16_t base_port = 7000;
  bool fresh = false;
};

pid_t spawn_replica(const std::string& exe, const fs::path& config, uint32_t id, const fs::path& log,
                    const std::string& auth, const sigset_t& old_mask) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  FILE* f = std::fopen(log.c_str(), "a");
  if (f) {
    ::dup2(fileno(f), STDOUT_FILENO);
    ::dup2(fileno(f), STDERR_FILENO);
  }
  std::string ids = std::to_string(id);
  // A local cluster made with --crypto fake is a developer's toy: say so to every replica, which
  // otherwise refuses fake crypto (node/node.hpp, NodeOptions::allow_fake_crypto).
  ::execl(exe.c_str(), exe.c_str(), "replica", "--config", config.c_str(), "--id", ids.c_str(), "--client-auth",
          auth.c_str(), "--insecure-fake-crypto", static_cast<char*>(nullptr));
  std::perror("exec");
  ::_exit(127);
}

int cluster_up(const Args& a) {
  fs::path dir = fs::absolute(a.dir);
  fs::path config = dir / "cluster.toml";
  if (!fs::exists(config)) {
    node::KeygenOptions ko;
    ko.replicas = a.replicas;
    ko.brokers = a.brokers;
    ko.protocol = a.protocol;
    ko.crypto = a.crypto;
    ko.base_port = a.base_port;
    auto r = node::keygen(ko, dir);
    if (!r) {
      std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
      return 1;
    }
    std::printf("generated keys for %u replicas in %s\n", a.replicas, dir.c_str());
  }
  auto cfg = load_config(config);
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
    return 1;
  }
  // A second run resumes the ledgers of the first (a whole-cluster restart, docs/operations.md):
  // losing acknowledged data by default would be the wrong surprise. --fresh moves them aside.
  if (a.fresh && fs::exists(dir / "data") && !fs::is_empty(dir / "data")) {
    fs::path old = dir / ("data.old-" + std::to_string(::time(nullptr)));
    std::error_code ec;
    fs::rename(dir / "data", old, ec);
    if (ec) {
      std::fprintf(stderr, "error: cannot move %s aside: %s\n", (dir / "data").c_str(), ec.message().c_str());
      return 1;
    }
    std::printf("previous ledgers moved to %s\n", old.c_str());
  }
  fs::create_directories(dir / "logs");
  std::string exe = fs::read_symlink("/proc/self/exe");

  sigset_t mask, old;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &mask, &old);

  std::vector<pid_t> pids;
  for (const auto& r : cfg->replicas) {
    fs::path log = dir / "logs" / ("replica-" + std::to_string(r.id) + ".log");
    pids.push_back(spawn_replica(exe, config, r.id, log, a.auth, old));
  }
  std::printf("rampart cluster: %u replicas, f = %u, protocol %s, crypto %s\n", cfg->n(), cfg->f, cfg->protocol.c_str(),
              cfg->crypto.c_str());
  std::printf("  config   %s\n  keys     %s/keys (0600)\n", config.c_str(), dir.c_str());
  for (size_t i = 0; i < cfg->replicas.size(); ++i) {
    const auto& r = cfg->replicas[i];
    std::printf("  replica %u  pid %d  peer %s:%u  client %s:%u  metrics http://%s:%u/metrics\n", r.id, pids[i],
                r.host.c_str(), r.peer_port, r.host.c_str(), r.client_port, r.host.c_str(), r.metrics_port);
    std::printf("             data %s  log %s/logs/replica-%u.log\n", cfg->resolve(r.data_dir).c_str(), dir.c_str(), r.id);
  }
  std::printf("try:  rampart kv put --config %s hello world && rampart kv get --config %s hello\n", config.c_str(),
              config.c_str());
  std::printf("Ctrl-C stops the cluster.\n");
  std::fflush(stdout);

  size_t alive = pids.size();
  while (alive > 0) {
    siginfo_t info;
    timespec ts{1, 0};
    int sig = ::sigtimedwait(&mask, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM) break;
    int status = 0;
    pid_t p;
    while ((p = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (pids[i] != p) continue;
        std::fprintf(stderr, "replica %zu (pid %d) exited (%s %d); see its log\n", i, p,
                     WIFEXITED(status) ? "status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        // Its last words (e.g. a data folder it refused) belong on this screen too.
        std::ifstream in(dir / "logs" / ("replica-" + std::to_string(i) + ".log"));
        std::string line, last;
        while (std::getline(in, line))
          if (!line.empty()) last = line;
        if (!last.empty()) std::fprintf(stderr, "  %s\n", last.c_str());
        pids[i] = -1;
        --alive;
      }
    }
  }
  std::printf("stopping the cluster...\n");
  for (pid_t p : pids)
    if (p > 0) ::kill(p, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (pid_t& p : pids) {
    while (p > 0) {
      int status;
      pid_t r = ::waitpid(p, &status, WNOHANG);
      if (r == p || r < 0) {
        p = -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(p, SIGKILL);
        ::waitpid(p, &status, 0);
        p = -1;
        break;
      }
      ::usleep(20000);
    }
  }
  std::printf("stopped.\n");
  return 0;
}

}  // namespace

static Command reg("cluster", [](CLI::App& app) {
  auto* cl = app.add_subcommand("cluster", "local clusters");
  cl->require_subcommand(1);
  auto a = std::make_shared<Args>();
  auto* up = cl->add_subcommand("up", "start a local cluster on loopback (generates keys if needed)");
  up->add_option("--replicas", a->replicas, "number of replicas")->default_val(4);
  up->add_option("--brokers", a->brokers, "number of brokers (keys only for now)")->default_val(0);
  up->add_option("--dir", a->dir, "cluster folder")->default_val("cluster");
  up->add_option("--protocol", a->protocol, "poe | pbft (for new keys)")->default_val("poe")->check(CLI::IsMember({"poe", "pbft"}));
  up->add_option("--crypto", a->crypto, "bls | fake (for new keys)")->default_val(a->crypto)->check(CLI::IsMember({"bls", "fake"}));
  up->add_option("--base-port", a->base_port, "first port (for new keys)")->default_val(7000);
  up->add_option("--client-auth", a->auth, "ed25519 | none")->default_val("ed25519")->check(CLI::IsMember({"ed25519", "none"}));
  up->add_flag("--fresh", a->fresh, "move the ledgers of an earlier run aside and start from genesis (default: resume them)");
  up->callback([a] { exit_code = cluster_up(*a); });
});

}  // namespace rampart::cli
