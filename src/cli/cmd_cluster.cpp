// `rampart cluster up [--replicas N] [--brokers B] [--dir DIR] [--app kv|wallet] [--gossip]`: a
// local cluster on loopback. Generates keys and DIR/cluster.toml when DIR has none, starts N
// replica processes of this same binary and B brokers (with new keys, also --broker-clients
// broker-path clients: DIR/clients.toml and DIR/keys/broker-clients.key) (with --gossip also a gossip module the replicas announce
// final blocks to, and an observer that keeps a verified copy of the ledger; for a wallet cluster
// also an HTTPS gateway with its dashboard, under a self-signed certificate made in DIR/gateway;
// a wallet cluster's replicas serve proven reads on the read_port keygen wrote into cluster.toml),
// prints where everything is, and stops every child on Ctrl-C / SIGTERM.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "broker/client_keys.hpp"
#include "cli/commands.hpp"
#include "client/wallet_keys.hpp"
#include "client/wallet_reads.hpp"
#include "common/config.hpp"
#include "gateway/self_signed.hpp"
#include "gossip/hostkey.hpp"
#include "keys/keygen.hpp"

namespace rampart::cli {
namespace fs = std::filesystem;

namespace {

struct Args {
  uint32_t replicas = 4, brokers = 0, broker_clients = 64;
  std::string dir = "cluster", protocol = "poe", crypto = "bls", auth = "ed25519", app = "kv";
  uint32_t admins = 1;
  uint16_t base_port = 7000;
  int gateway_port = -1;  // -1: replica 0's peer port + kGatewayOffset
  bool fresh = false, gossip = false, no_gateway = false, app_given = false;
};

// The gateway's default port follows the cluster's, inside keygen's block of ports (7343 for
// base port 7000: "...443"), so two clusters with different base ports do not collide.
constexpr int kGatewayOffset = 343;

// A child process of this binary with its output in `log`.
struct Child {
  pid_t pid = -1;
  std::string name;
  fs::path log;
};

pid_t spawn(const std::string& exe, std::vector<std::string> args, const fs::path& log, const sigset_t& old_mask) {
  args.insert(args.begin(), exe);
  std::vector<char*> argv;
  for (auto& x : args) argv.push_back(x.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  FILE* f = std::fopen(log.c_str(), "a");
  if (f) {
    ::dup2(fileno(f), STDOUT_FILENO);
    ::dup2(fileno(f), STDERR_FILENO);
  }
  ::execv(exe.c_str(), argv.data());
  std::perror("exec");
  ::_exit(127);
}

// --gossip: DIR/gossip/ holds the module's host key and INI; its API and P2P ports follow the
// cluster's (replica 0's peer port + 300 and + 301, inside keygen's block of ports).
struct GossipSetup {
  fs::path ini;
  std::string api;
};
Result<GossipSetup> gossip_setup(const fs::path& dir, const ClusterConfig& cfg) {
  fs::path g = dir / "gossip";
  std::error_code ec;
  fs::create_directories(g, ec);
  if (ec) return err("cannot create " + g.string() + ": " + ec.message());
  fs::path key = g / "hostkey.pem";
  if (!fs::exists(key)) {
    std::ofstream k(key);
    k << gossip::HostKey::generate_ed25519().private_pem();
    if (!k) return err("cannot write " + key.string());
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write, ec);
  }
  const auto& r0 = cfg.replicas.front();
  const std::string api = r0.host + ":" + std::to_string(r0.peer_port + 300);
  const std::string p2p = r0.host + ":" + std::to_string(r0.peer_port + 301);
  fs::path ini = g / "gossip.ini";
  std::ofstream f(ini);
  f << "hostkey = " << key.string() << "\n\n[gossip]\ncache_size = 10000\ndegree = 4\np2p_address = " << p2p
    << "\napi_address = " << api << "\n";
  if (!f) return err("cannot write " + ini.string());
  return GossipSetup{ini, api};
}

// Waits (bounded) until a child's log says it listens; that line, or nothing. Logs are appended
// to across runs: only what follows byte `from` counts.
std::optional<std::string> wait_for_line(const fs::path& log, const std::string& needle, std::chrono::milliseconds d,
                                         std::streamoff from = 0) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream in(log);
    in.seekg(from);
    std::string line;
    while (std::getline(in, line))
      if (line.find(needle) != std::string::npos) return line;
    ::usleep(20000);
  }
  return std::nullopt;
}

// DIR/gateway/{cert,key}.pem: made once (a restart keeps the certificate a browser or curl was
// told to trust), for localhost, 127.0.0.1, ::1 and the replicas' host.
struct GatewayTls {
  fs::path cert, key;
};
Result<GatewayTls> gateway_tls(const fs::path& dir, const std::string& host) {
  GatewayTls t{dir / "gateway" / "cert.pem", dir / "gateway" / "key.pem"};
  if (fs::exists(t.cert) && fs::exists(t.key)) return t;
  if (fs::exists(t.cert) || fs::exists(t.key))
    return err("one of " + t.cert.string() + " and " + t.key.string() + " is missing; remove the other to make a new pair");
  std::error_code ec;
  fs::create_directories(t.cert.parent_path(), ec);
  if (ec) return err("cannot create " + t.cert.parent_path().string() + ": " + ec.message());
  gateway::SelfSignedOptions o;
  unsigned char buf[16];
  const bool is_ip = ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
  auto& names = is_ip ? o.ip_addresses : o.dns_names;
  if (std::find(names.begin(), names.end(), host) == names.end()) names.push_back(host);
  if (auto st = gateway::write_self_signed_certificate(t.cert, t.key, o); !st) return st.error();
  return t;
}

int cluster_up(const Args& a) {
  fs::path dir = fs::absolute(a.dir);
  fs::path config = dir / "cluster.toml";
  if (!fs::exists(config)) {
    keys::KeygenOptions ko;
    ko.replicas = a.replicas;
    ko.brokers = a.brokers;
    ko.protocol = a.protocol;
    ko.crypto = a.crypto;
    ko.base_port = a.base_port;
    auto r = keys::keygen(ko, dir);
    if (r && a.app == "wallet") {
      if (auto st = client::make_wallet_cluster(*r, dir, a.admins); !st) r = st.error();
    }
    // Brokers need a client directory (the replicas check batches against it), so their clients
    // come with the keys: `rampart broker-client` plays them.
    if (r && a.brokers > 0 && a.broker_clients > 0) {
      if (auto st = broker::add_client_set_to_cluster(dir, a.broker_clients); !st) r = st.error();
    }
    if (!r) {
      std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
      return 1;
    }
    std::printf("generated keys for %u replicas in %s (app %s)\n", a.replicas, dir.c_str(), a.app.c_str());
  } else if (a.app_given) {
    std::printf("note: %s exists; --app applies to new keys only\n", config.c_str());
  }
  auto cfg = load_config(config);
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
    return 1;
  }
  // A wallet cluster's replicas serve proven reads on their read_port; a cluster.toml written
  // before read ports existed gets them now (ports are operational, not part of the genesis).
  if (cfg->app == "wallet" && client::replica_read_servers(*cfg).empty()) {
    Status st = client::assign_read_ports(*cfg);
    if (st) st = save_config(*cfg, config);
    if (!st) {
      std::fprintf(stderr, "error: read ports: %s\n", st.error().message.c_str());
      return 1;
    }
    std::printf("note: added a read_port per replica to %s (proven wallet reads)\n", config.c_str());
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

  std::vector<Child> kids;
  std::optional<GossipSetup> gs;
  if (a.gossip) {
    auto g = gossip_setup(dir, *cfg);
    if (!g) {
      std::fprintf(stderr, "error: %s\n", g.error().message.c_str());
      return 1;
    }
    gs = *g;
    Child m{-1, "gossip module", dir / "logs" / "gossip.log"};
    m.pid = spawn(exe, {"gossip", "-c", gs->ini.string(), "--log-level", "warn"}, m.log, old);
    kids.push_back(m);
    if (!wait_for_line(m.log, "gossip api=", std::chrono::seconds(10)))
      std::fprintf(stderr, "warning: the gossip module did not report its address; see %s\n", m.log.c_str());
  }
  for (const auto& r : cfg->replicas) {
    Child c{-1, "replica " + std::to_string(r.id), dir / "logs" / ("replica-" + std::to_string(r.id) + ".log")};
    // A local cluster made with --crypto fake is a developer's toy: say so to every replica,
    // which otherwise refuses fake crypto (node/node.hpp, NodeOptions::allow_fake_crypto).
    std::vector<std::string> args = {"replica", "--config", config.string(), "--id", std::to_string(r.id),
                                     "--client-auth", a.auth, "--insecure-fake-crypto"};
    if (gs) {
      args.push_back("--gossip");
      args.push_back(gs->api);
    }
    c.pid = spawn(exe, args, c.log, old);
    kids.push_back(c);
  }
  // Brokers load the genesis directory if there is one; without it they learn every client from
  // its sign-up certificate (`rampart client signup`, docs/brokers.md "Sign-up").
  const size_t first_broker = kids.size();
  for (const auto& b : cfg->brokers) {
    Child c{-1, "broker " + std::to_string(b.id), dir / "logs" / ("broker-" + std::to_string(b.id) + ".log")};
    c.pid = spawn(exe, {"broker", "--config", config.string(), "--id", std::to_string(b.id)}, c.log, old);
    kids.push_back(c);
  }
  const size_t brokers_started = kids.size() - first_broker;
  if (gs) {
    Child o{-1, "observer", dir / "logs" / "observer.log"};
    o.pid = spawn(exe, {"observer", "--config", config.string(), "--gossip", gs->api, "--data", (dir / "data" / "observer").string()},
                  o.log, old);
    kids.push_back(o);
  }
  // A wallet cluster gets its gateway: the REST API and the dashboard, over HTTPS.
  std::string gateway_url;
  if (cfg->app == "wallet" && !a.no_gateway) {
    const auto& r0 = cfg->replicas.front();
    auto tls = gateway_tls(dir, r0.host);
    if (!tls) {
      std::fprintf(stderr, "error: gateway certificate: %s\n", tls.error().message.c_str());
    } else {
      const int port = a.gateway_port >= 0 ? a.gateway_port : r0.peer_port + kGatewayOffset;
      Child g{-1, "gateway", dir / "logs" / "gateway.log"};
      std::error_code ec;
      const auto log_start = fs::exists(g.log) ? static_cast<std::streamoff>(fs::file_size(g.log, ec)) : 0;
      g.pid = spawn(exe,
                    {"gateway", "--config", config.string(), "--listen", r0.host + ":" + std::to_string(port), "--tls-cert",
                     tls->cert.string(), "--tls-key", tls->key.string()},
                    g.log, old);
      kids.push_back(g);
      // It prints "rampart gateway: https://HOST:PORT/ ..." once it listens (port 0: the one it got).
      const std::string tag = "rampart gateway: ";
      if (auto line = wait_for_line(g.log, tag, std::chrono::seconds(10), log_start)) {
        const std::string rest = line->substr(line->find(tag) + tag.size());
        gateway_url = rest.substr(0, rest.find(' '));
      } else {
        std::fprintf(stderr, "warning: the gateway did not report its address; see %s\n", g.log.c_str());
      }
    }
  }
  std::printf("rampart cluster: %u replicas, f = %u, protocol %s, crypto %s, app %s\n", cfg->n(), cfg->f, cfg->protocol.c_str(),
              cfg->crypto.c_str(), cfg->app.c_str());
  std::printf("  config   %s\n  keys     %s/keys (0600)\n", config.c_str(), dir.c_str());
  const size_t first_replica = gs ? 1 : 0;
  for (size_t i = 0; i < cfg->replicas.size(); ++i) {
    const auto& r = cfg->replicas[i];
    std::printf("  replica %u  pid %d  peer %s:%u  client %s:%u  metrics http://%s:%u/metrics\n", r.id, kids[first_replica + i].pid,
                r.host.c_str(), r.peer_port, r.host.c_str(), r.client_port, r.host.c_str(), r.metrics_port);
    if (r.read_port != 0)  // proven wallet reads (cluster.toml read_port: where clients find them)
      std::printf("             reads %s:%u  data %s  log %s/logs/replica-%u.log\n", r.host.c_str(), r.read_port,
                  cfg->resolve(r.data_dir).c_str(), dir.c_str(), r.id);
    else
      std::printf("             data %s  log %s/logs/replica-%u.log\n", cfg->resolve(r.data_dir).c_str(), dir.c_str(), r.id);
  }
  for (size_t i = 0; i < brokers_started; ++i) {
    const auto& b = cfg->brokers[i];
    std::printf("  broker %u   pid %d  udp %s:%u  clients %s  log %s/logs/broker-%u.log\n", b.id, kids[first_broker + i].pid,
                b.host.c_str(), b.port, cfg->clients.empty() ? "(sign-ups only)" : cfg->resolve(cfg->clients).c_str(),
                dir.c_str(), b.id);
  }
  if (brokers_started > 0 && !cfg->clients.empty())
    std::printf("try:  rampart broker-client --config %s --broker 0 --clients 8 --messages 10\n", config.c_str());
  else if (brokers_started > 0)
    std::printf("try:  rampart client signup --config %s --key K && rampart broker-client --config %s --broker 0 "
                "--clients 1 --messages 10 --keys K.clients --signup-certs K.cert\n",
                config.c_str(), config.c_str());
  if (gs) {
    std::printf("  gossip   module api %s (%s), log %s/logs/gossip.log\n", gs->api.c_str(), gs->ini.c_str(), dir.c_str());
    std::printf("  observer data %s/data/observer (rampart ledger verify --config %s --data %s/data/observer), log %s/logs/observer.log\n",
                dir.c_str(), config.c_str(), dir.c_str(), dir.c_str());
  }
  if (!gateway_url.empty()) {
    std::printf("  gateway  %s  (dashboard; API %sv1, OpenAPI %sv1/openapi.json)\n", gateway_url.c_str(), gateway_url.c_str(),
                gateway_url.c_str());
    std::printf("           certificate %s/gateway/cert.pem (self-signed: curl --cacert it), log %s/logs/gateway.log\n", dir.c_str(),
                dir.c_str());
  }
  if (cfg->app == "wallet") {
    std::printf("try:  rampart wallet balance --config %s $(rampart wallet keygen --out alice.key)\n", config.c_str());
    if (!gateway_url.empty())
      std::printf("      curl --cacert %s/gateway/cert.pem %sv1/status\n", dir.c_str(), gateway_url.c_str());
  } else {
    std::printf("try:  rampart kv put --config %s hello world && rampart kv get --config %s hello\n", config.c_str(),
                config.c_str());
  }
  std::printf("Ctrl-C stops the cluster.\n");
  std::fflush(stdout);

  size_t alive = kids.size();
  while (alive > 0) {
    siginfo_t info;
    timespec ts{1, 0};
    int sig = ::sigtimedwait(&mask, &info, &ts);
    if (sig == SIGINT || sig == SIGTERM) break;
    int status = 0;
    pid_t p;
    while ((p = ::waitpid(-1, &status, WNOHANG)) > 0) {
      for (auto& k : kids) {
        if (k.pid != p) continue;
        std::fprintf(stderr, "%s (pid %d) exited (%s %d); see its log\n", k.name.c_str(), p,
                     WIFEXITED(status) ? "status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        // Its last words (e.g. a data folder it refused) belong on this screen too.
        std::ifstream in(k.log);
        std::string line, last;
        while (std::getline(in, line))
          if (!line.empty()) last = line;
        if (!last.empty()) std::fprintf(stderr, "  %s\n", last.c_str());
        k.pid = -1;
        --alive;
      }
    }
  }
  std::printf("stopping the cluster...\n");
  for (const auto& k : kids)
    if (k.pid > 0) ::kill(k.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto& k : kids) {
    pid_t& p = k.pid;
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
  up->add_option("--brokers", a->brokers, "number of brokers (for new keys); every broker in cluster.toml is started")->default_val(0);
  up->add_option("--broker-clients", a->broker_clients, "broker-path clients to create with new keys when there are brokers")
      ->default_val(a->broker_clients);
  up->add_option("--dir", a->dir, "cluster folder")->default_val("cluster");
  up->add_option("--protocol", a->protocol, "poe | poe-mac | pbft (for new keys)")->default_val("poe")->check(CLI::IsMember({"poe", "poe-mac", "pbft"}));
  up->add_option("--crypto", a->crypto, "bls | fake (for new keys)")->default_val(a->crypto)->check(CLI::IsMember({"bls", "fake"}));
  up->add_option("--base-port", a->base_port, "first port (for new keys)")->default_val(7000);
  up->add_option("--client-auth", a->auth, "ed25519 | none")->default_val("ed25519")->check(CLI::IsMember({"ed25519", "none"}));
  up->add_flag("--gossip", a->gossip,
               "also start a gossip module the replicas announce final blocks to, and an observer that keeps a verified ledger");
  auto* app_opt = up->add_option("--app", a->app, "kv | wallet: the state machine (for new keys); a wallet cluster also gets an HTTPS gateway")
      ->default_val(a->app)
      ->check(CLI::IsMember({"kv", "wallet"}));
  up->add_option("--admins", a->admins, "wallet: admin accounts to create (for new keys; keys/admin-I.key)")->default_val(a->admins);
  up->add_option("--gateway-port", a->gateway_port, "wallet: the gateway's HTTPS port (default replica 0's peer port + 343; 0: any free port)");
  up->add_flag("--no-gateway", a->no_gateway, "wallet: do not start the gateway");
  up->add_flag("--fresh", a->fresh, "move the ledgers of an earlier run aside and start from genesis (default: resume them)");
  up->callback([a, app_opt] {
    a->app_given = app_opt->count() > 0;
    exit_code = cluster_up(*a);
  });
});

}  // namespace rampart::cli
