// `rampart bench wallet [--f 0,1] [--writes 10,50,90] [--threads 1,2,4,8] [--via direct|gateway|both]
// [--reads proven|ordered] [--duration S]`: the wallet workload of the BFT-SMaRt wallet evaluation
// (issue 18). For each f a fresh local cluster (f = 0: one replica; f = 1: four; real BLS, Ed25519
// client signatures), T closed-loop client threads, each with its own funded account: a write is
// a transfer of 1 to another account (directly: in a request signed with the account's own key,
// which vouches for the leg; through the gateway: the leg signed too), a read a balance read of the thread's own account:
// by default a proven read (a replica's read server answers from its latest final block at or
// above the block of the thread's last transfer, with a state proof: group signature and range
// proof, client/wallet_reads.hpp), or with --reads ordered a read through consensus (CART reply:
// group signature, Merkle proof, op hash). Every answer's proof is verified by the client,
// directly or through an in-process HTTPS gateway with keep-alive connections (which verifies it
// too). Prints one row per (f, via, writes, threads).
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <httplib.h>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "cli/bench.hpp"
#include "cli/bench_local.hpp"
#include "cli/commands.hpp"
#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "gateway/gateway_client.hpp"
#include "gateway/self_signed.hpp"
#include "gateway/server.hpp"
#include "keys/keygen.hpp"

namespace rampart::cli {
namespace fs = std::filesystem;
namespace w = app::wallet;
using crypto::ed25519::KeyPair;

namespace {

struct Args {
  std::vector<uint32_t> fs = {0, 1}, writes = {10, 50, 90}, threads = {1, 2, 4, 8};
  std::string via = "both";
  std::string reads = "proven";  // or "ordered"
  double duration = 5;
  bool keep = false;
  bool byzantine = false;  // also run each f >= 1 with its last replica Byzantine
};

// One wallet cluster of 3f+1 replica processes in a temporary folder, stopped and removed with it.
struct Cluster {
  fs::path dir;
  ClusterConfig cfg;
  std::vector<pid_t> pids;
  bool keep = false;
  ~Cluster() {
    for (pid_t p : pids) ::kill(p, SIGTERM);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
    std::error_code ec;
    if (keep)
      std::fprintf(stderr, "kept %s\n", dir.c_str());
    else if (!dir.empty())
      fs::remove_all(dir, ec);
  }
};

// byzantine: the last replica runs with --misbehave bad-shares,lie-results (node/misbehave.hpp).
Result<std::unique_ptr<Cluster>> start_cluster(uint32_t f, bool keep, bool byzantine) {
  auto c = std::make_unique<Cluster>();
  c->keep = keep;
  std::string tmpl = (fs::temp_directory_path() / "rampart-bench-wallet-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return err("cannot make a folder under " + fs::temp_directory_path().string());
  c->dir = tmpl;
  keys::KeygenOptions ko;
  ko.replicas = 3 * f + 1;
  ko.f = f;
  ko.base_port = bench::free_base_port(ko.replicas);
  auto cfg = keys::keygen(ko, c->dir);
  if (!cfg) return cfg.error();
  RAMPART_TRY(client::make_wallet_cluster(*cfg, c->dir, 1));
  c->cfg = *cfg;
  const std::string conf = (c->dir / "cluster.toml").string();
  for (const auto& r : c->cfg.replicas) {
    const bool liar = byzantine && r.id + 1 == c->cfg.n();
    c->pids.push_back(bench::spawn_self(c->dir / ("replica-" + std::to_string(r.id) + ".log"),
                                        {"replica", "--config", conf, "--id", std::to_string(r.id), "--client-auth", "ed25519",
                                         "--log-level", "warn", "--misbehave", liar ? "bad-shares,lie-results" : "none"}));
  }
  // Up when every replica answers on its metrics port (its client port opens with it).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const auto& r : c->cfg.replicas) {
    while (true) {
      httplib::Client h(r.host, r.metrics_port);
      h.set_connection_timeout(1, 0);
      if (auto res = h.Get("/metrics"); res && res->status == 200) break;
      if (std::chrono::steady_clock::now() > until) return err("replica " + std::to_string(r.id) + " did not come up; see " + c->dir.string());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return c;
}

// Submits an operation and returns its verified outcome: a direct client or one through a gateway.
using Submit = std::function<Result<client::WalletOutcome>(const Bytes&)>;
// A proven balance read at min_k or above, verified: from the replicas' read servers or a gateway.
using ProvenRead = std::function<Result<client::ProvenRead>(const w::Account&, uint64_t min_k)>;

struct Cell {
  uint64_t ops = 0, failed = 0;
  double secs = 0, p50_ms = 0, p99_ms = 0;
  double cpu_rep_s = 0, cpu_self_s = 0;  // the replicas; this process (clients, and the in-process gateway), over the window
};

// T threads, closed loop, for warm-up + duration; counts what completed inside the window.
// reads: one per client for proven reads; empty for ordered reads (through `clients`).
// own_keys: each direct client signs its requests with its account's key, so its transfers go
// without a leg signature (Wallet::vouched); through the gateway every leg is signed.
Cell run_cell(const std::vector<Submit>& clients, const std::vector<ProvenRead>& reads, const std::vector<pid_t>& replicas,
              std::vector<KeyPair>& accounts, std::vector<uint64_t>& nonces, const w::Account& sink, uint32_t write_pct,
              double duration, bool own_keys) {
  using Clock = std::chrono::steady_clock;
  const auto w0 = Clock::now() + std::chrono::milliseconds(500);
  const auto w1 = w0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  std::mutex mu;
  std::vector<uint32_t> lat_us;
  Cell cell;
  auto rep_cpu = [&] {
    double s = 0;
    for (pid_t p : replicas) s += bench::process_cpu_seconds(p);
    return s;
  };
  std::thread cpu_meter([&] {  // CPU over exactly the measured window
    std::this_thread::sleep_until(w0);
    const double r0 = rep_cpu(), s0 = bench::process_cpu_seconds(0);
    std::this_thread::sleep_until(w1);
    cell.cpu_rep_s = rep_cpu() - r0;
    cell.cpu_self_s = bench::process_cpu_seconds(0) - s0;
  });
  std::vector<std::thread> ts;
  for (size_t t = 0; t < clients.size(); ++t) {
    ts.emplace_back([&, t] {
      std::mt19937 rng(static_cast<uint32_t>(t) * 7919u + write_pct);
      std::vector<uint32_t> mine;
      uint64_t ok = 0, bad = 0;
      uint64_t last_k = 0;  // the block of this thread's last transfer: its reads may not be older
      while (Clock::now() < w1) {
        const bool write = rng() % 100 < write_pct;
        if (!write && !reads.empty()) {
          const auto a = Clock::now();
          auto r = reads[t](accounts[t].public_key(), last_k);
          const auto b = Clock::now();
          if (a < w0 || b > w1) continue;
          if (!r) {
            bad++;
            continue;
          }
          ok++;
          mine.push_back(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(b - a).count()));
          continue;
        }
        const w::Account self = accounts[t].public_key();
        Bytes op = write ? client::make_transfer_op({{&accounts[t], sink, 1, nonces[t]}}, false,
                                                    own_keys ? ByteView(self.data(), self.size()) : ByteView{})
                         : client::make_balance_op(accounts[t].public_key());
        const auto a = Clock::now();
        auto out = clients[t](op);
        const auto b = Clock::now();
        const bool good = out && out->result.code == w::Code::ok;
        if (good) last_k = std::max(last_k, out->answer.k);
        if (write && good) nonces[t]++;
        if (write && out && out->result.code != w::Code::ok) {  // a nonce out of step: read it back
          auto bal = clients[t](client::make_balance_op(accounts[t].public_key()));
          if (bal && !bal->result.entries.empty()) nonces[t] = bal->result.entries[0].nonce;
        }
        if (a < w0 || b > w1) continue;
        if (!good) {
          bad++;
          continue;
        }
        ok++;
        mine.push_back(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(b - a).count()));
      }
      std::lock_guard lk(mu);
      cell.ops += ok;
      cell.failed += bad;
      lat_us.insert(lat_us.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : ts) t.join();
  cpu_meter.join();
  cell.secs = std::chrono::duration<double>(w1 - w0).count();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double q) { return lat_us.empty() ? 0.0 : lat_us[std::min(lat_us.size() - 1, static_cast<size_t>(q * lat_us.size()))] / 1000.0; };
  cell.p50_ms = pct(0.5);
  cell.p99_ms = pct(0.99);
  return cell;
}

int bench_wallet(const Args& a) {
  if (sodium_init() < 0) return 1;
  const uint32_t max_threads = *std::max_element(a.threads.begin(), a.threads.end());
  if (a.reads == "proven")
    std::printf("bench wallet: T closed-loop clients, each its own account; a write is a signed transfer (CART reply), a read a\n"
                "proven balance read (a replica's read server, no consensus round: state proof against its latest final block,\n"
                "at or above the client's last transfer); every proof verified by the client. %.0f s per row after 0.5 s warm-up.\n\n",
                a.duration);
  else
    std::printf("bench wallet: T closed-loop clients, each its own account; a write is a signed transfer, a read an ordered\n"
                "balance read (through consensus); every reply's proof verified by the client. %.0f s per row after 0.5 s warm-up.\n\n",
                a.duration);
  const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  double load1 = 0;
  if (FILE* la = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(la, "%lf", &load1) != 1) load1 = 0;
    std::fclose(la);
  }
  std::printf("CPU per verified answer, microseconds: rep = the replica processes, cli = this process (the client\n"
              "threads%s); allow = %ld cores / (rep + cli): what the cores would give this run alone (the machine is\n"
              "shared: load average %.1f at the start; ops/s is what this run got of it).\n\n",
              a.via == "direct" ? "" : ", and the gateway, which runs in this process", cores, load1);
  std::printf("%3s %4s %8s %7s %8s %10s %9s %9s %7s %8s %8s %8s\n", "f", "byz", "via", "writes", "threads", "ops/s", "p50 ms", "p99 ms",
              "failed", "rep", "cli", "allow");
  std::fflush(stdout);
  int rc = 0;
  std::vector<std::pair<uint32_t, bool>> runs;
  for (uint32_t f : a.fs) {
    runs.emplace_back(f, false);
    if (a.byzantine && f >= 1) runs.emplace_back(f, true);
  }
  for (const auto& [f, byz] : runs) {
    auto cl = start_cluster(f, a.keep, byz);
    if (!cl) {
      std::fprintf(stderr, "error: %s\n", cl.error().message.c_str());
      return 1;
    }
    const ClusterConfig& cfg = (*cl)->cfg;
    auto admin = client::load_wallet_key((*cl)->dir / "keys" / "admin-0.key");
    if (!admin) return 1;
    // Accounts, funded by the admin (this also waits for the cluster to answer).
    std::vector<KeyPair> accounts;
    std::vector<uint64_t> nonces(max_threads, 0);
    for (uint32_t t = 0; t < max_threads; ++t) accounts.push_back(KeyPair::generate());
    const w::Account sink = KeyPair::generate().public_key();
    {
      client::ClientOptions co;
      co.attempts = 30;
      auto setup = client::WalletClient::create(cfg, co);
      if (!setup) return 1;
      for (uint32_t t = 0; t < max_threads; ++t) {
        auto r = (*setup)->transfer(*admin, accounts[t].public_key(), 1'000'000'000, t);
        if (!r || r->result.code != w::Code::ok) {
          std::fprintf(stderr, "error: funding account %u: %s\n", t, r ? r->result.reason.c_str() : r.error().message.c_str());
          return 1;
        }
      }
    }
    for (const std::string via : {"direct", "gateway"}) {
      if (a.via != "both" && a.via != via) continue;
      std::unique_ptr<gateway::Gateway> gw;
      std::thread gw_thread;
      std::string url;
      const fs::path cert = (*cl)->dir / ("gw-cert.pem"), key = (*cl)->dir / ("gw-key.pem");
      if (via == "gateway") {
        if (!fs::exists(cert)) {
          if (auto st = gateway::write_self_signed_certificate(cert, key); !st) return 1;
        }
        gateway::GatewayOptions go;
        go.cfg = cfg;
        go.tls_cert = cert.string();
        go.tls_key = key.string();
        go.clients = max_threads;
        go.queue_wait = std::chrono::milliseconds(5000);
        auto g = gateway::Gateway::create(go);
        if (!g) {
          std::fprintf(stderr, "error: %s\n", g.error().message.c_str());
          return 1;
        }
        gw = std::move(*g);
        gw_thread = std::thread([&] { gw->run(); });
        url = "https://127.0.0.1:" + std::to_string(gw->port());
      }
      for (uint32_t writes : a.writes) {
        for (uint32_t threads : a.threads) {
          std::vector<Submit> clients;
          std::vector<ProvenRead> reads;
          std::vector<std::shared_ptr<void>> owners;
          const bool proven = a.reads == "proven";
          for (uint32_t t = 0; t < threads; ++t) {
            if (via == "direct") {
              client::ClientOptions co;
              co.first_replica = t % cfg.n();
              co.key = client::SigningKey::of(accounts[t]);
              auto c = client::WalletClient::create(cfg, co);
              if (!c) return 1;
              std::shared_ptr<client::WalletClient> sp = std::move(*c);
              owners.push_back(sp);
              clients.push_back([sp](const Bytes& op) { return sp->submit(op); });
              if (proven)
                reads.push_back([sp](const w::Account& acc, uint64_t min_k) -> Result<client::ProvenRead> {
                  auto r = sp->read_balance(acc, min_k);
                  if (!r) return r.error();
                  return std::move(r->read);
                });
            } else {
              gateway::GatewayClientOptions o;
              o.url = url;
              o.ca_cert = cert.string();
              auto c = gateway::GatewayClient::create(cfg, o);
              if (!c) return 1;
              std::shared_ptr<gateway::GatewayClient> sp = std::move(*c);
              owners.push_back(sp);
              clients.push_back([sp](const Bytes& op) { return sp->submit(op); });
              if (proven)
                reads.push_back([sp](const w::Account& acc, uint64_t min_k) { return sp->read(client::balance_read(acc, min_k)); });
            }
          }
          Cell c = run_cell(clients, reads, (*cl)->pids, accounts, nonces, sink, writes, a.duration, via == "direct");
          const double ops = static_cast<double>(std::max<uint64_t>(c.ops, 1));
          const double rep_us = c.cpu_rep_s * 1e6 / ops, cli_us = c.cpu_self_s * 1e6 / ops;
          std::printf("%3u %4s %8s %6u%% %8u %10.0f %9.2f %9.2f %7llu %8.0f %8.0f %8.0f\n", f, byz ? "1" : "0", via.c_str(), writes, threads, c.ops / c.secs,
                      c.p50_ms, c.p99_ms, static_cast<unsigned long long>(c.failed), rep_us, cli_us,
                      rep_us + cli_us > 0 ? static_cast<double>(cores) * 1e6 / (rep_us + cli_us) : 0.0);
          std::fflush(stdout);
          if (c.ops == 0) rc = 1;
        }
      }
      if (gw) {
        gw->stop();
        gw_thread.join();
      }
    }
  }
  return rc;
}

std::vector<uint32_t> parse_list(const std::string& s) {
  std::vector<uint32_t> out;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) out.push_back(static_cast<uint32_t>(std::stoul(x)));
  return out;
}

}  // namespace

static bench::Registration reg("wallet", [](CLI::App& bench) {
  auto* cmd = bench.add_subcommand("wallet", "wallet throughput and latency by write ratio and client threads (f = 0 and 1; direct and via the HTTPS gateway)");
  auto a = std::make_shared<Args>();
  auto fs_s = std::make_shared<std::string>("0,1"), writes_s = std::make_shared<std::string>("10,50,90"),
       threads_s = std::make_shared<std::string>("1,2,4,8");
  cmd->add_option("--f", *fs_s, "fault thresholds to run (3f+1 replicas each), comma-separated")->default_val(*fs_s);
  cmd->add_option("--writes", *writes_s, "write ratios in percent, comma-separated")->default_val(*writes_s);
  cmd->add_option("--threads", *threads_s, "client threads, comma-separated")->default_val(*threads_s);
  cmd->add_option("--via", a->via, "direct | gateway | both")->default_val(a->via)->check(CLI::IsMember({"direct", "gateway", "both"}));
  cmd->add_option("--reads", a->reads, "proven (a replica's read server, state proof) | ordered (through consensus)")
      ->default_val(a->reads)
      ->check(CLI::IsMember({"proven", "ordered"}));
  cmd->add_option("--duration", a->duration, "measured seconds per row")->default_val(a->duration);
  cmd->add_flag("--keep", a->keep, "keep the cluster folders (keys, ledgers, replica logs)");
  cmd->add_flag("--byzantine", a->byzantine,
                "also run each f >= 1 with one Byzantine replica (the last: bad CART shares, every reply a lie)");
  cmd->callback([a, fs_s, writes_s, threads_s] {
    try {
      a->fs = parse_list(*fs_s);
      a->writes = parse_list(*writes_s);
      a->threads = parse_list(*threads_s);
    } catch (const std::exception&) {
      std::fprintf(stderr, "error: --f, --writes and --threads take comma-separated integers\n");
      exit_code = 2;
      return;
    }
    if (a->fs.empty() || a->writes.empty() || a->threads.empty()) {
      exit_code = 2;
      return;
    }
    exit_code = bench_wallet(*a);
  });
});

}  // namespace rampart::cli
