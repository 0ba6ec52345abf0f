// `rampart bench broker`: the broker path end to end on this machine (issue 17's goals).
//
// Four local replica processes order distilled batches that a load broker in this process
// replays, the way Chop Chop's own evaluation loads its servers: the batches are generated
// before the run from every client's key (the aggregate is one signature by the sum of the
// clients' secret keys, which is exactly the aggregate of their individual signatures), and
// the replicas still check each batch in full (its entry replica and one more witness). Each
// batch goes to one entry replica, round robin, with a window of batches in flight; one is
// counted when a Delivered comes back whose certificate verifies under the group key.
//
// Beside that load, honest clients run the whole protocol over UDP through a real broker
// process (`rampart broker-client`), so their end-to-end latency is measured under it.
//
// `--app wallet` (cli/bench_broker_wallet.hpp): every entry is a wallet transfer out of the
// load client's own account instead of 8 bytes for the KV store.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <map>
#include <thread>

#include "cli/bench.hpp"
#include "cli/bench_local.hpp"
#include "cli/bench_broker_wallet.hpp"
#include "broker/client_keys.hpp"
#include "broker/entries.hpp"
#include "broker/replica_links.hpp"
#include "broker/replica_wire.hpp"
#include "broker/verify.hpp"
#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "client/wallet_keys.hpp"
#include "keys/keygen.hpp"
#include "keys/secrets.hpp"

namespace rampart::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Args {
  uint32_t clients = 16384;  // entries per distilled batch (every client once)
  uint32_t batches = 256;    // generated before the run
  uint32_t window = 8;       // batches in flight
  uint32_t honest = 8;       // clients through a real broker over UDP (0: none)
  double duration = 10;
  std::string protocol = "poe";
  std::string app = "kv";  // kv: 8-byte payloads; wallet: a transfer per entry
  std::string json;
  bool keep = false;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Load clients in all: a wallet transfer must execute before the same account's next one is
// sent (its nonce follows), so the wallet gives each batch of a window its own clients; a batch
// is sent only when the batch `window` before it was delivered (final, so executed).
uint32_t load_clients(const Args& a) { return a.app == "wallet" ? a.clients * a.window : a.clients; }

// The batches the load broker replays: batch i holds every load client once, at seq (raise) i,
// with an 8-byte payload (batch number, client id), so each is new and executes. For the
// wallet, batch i holds group (i - 1) mod window of the clients, each with its transfer of 1 to
// `sink` at nonce (i - 1) / window.
std::vector<Bytes> generate(const Args& a, const std::vector<broker::ClientSecrets>& secrets, const app::wallet::Account& sink) {
  const uint32_t groups = load_clients(a) / a.clients;
  std::vector<crypto::bls::SecretKey> sum;  // per group: the sum of its clients' secret keys
  for (uint32_t g = 0; g < groups; ++g) {
    std::vector<crypto::bls::SecretKey> sks;
    for (uint32_t i = 0; i < a.clients; ++i) sks.push_back(secrets[g * a.clients + i].bls);
    sum.push_back(crypto::bls::sum_secret_keys(sks).value());
  }
  std::vector<Bytes> out;
  for (uint32_t n = 1; n <= a.batches; ++n) {
    const uint32_t g = (n - 1) % groups, first = g * a.clients;
    broker::DistilledBatch b;
    b.broker = 0;
    b.number = n;
    b.raise = n;
    b.entries.ids.reserve(a.clients);
    for (uint32_t id = first; id < first + a.clients; ++id) {
      if (a.app == "wallet") {
        b.entries.push(id, bench::wallet_entry_payload(secrets[id].ed25519, sink, (n - 1) / groups));
        continue;
      }
      Writer w;
      w.u32(n);
      w.u32(id);
      b.entries.push(id, w.data());
    }
    b.has_aggregate = true;
    b.aggregate = crypto::bls::sign(sum[g], broker::reduce_statement(broker::batch_roots(b).root)).to_bytes();
    out.push_back(broker::encode(b));
  }
  return out;
}

// The load broker: the window of batches, their latencies, what was delivered.
class LoadBroker {
 public:
  LoadBroker(const ClusterConfig& cfg, client::SigningKey key, std::vector<Bytes> batches, uint64_t entries,
             uint32_t window, std::shared_ptr<const crypto::ThresholdVerifier> group)
      : cfg_(cfg), batches_(std::move(batches)), entries_(entries), window_(window), group_(std::move(group)),
        links_(io_, cfg, std::move(key), [this](uint32_t, ByteView m) { on_delivered(m); }) {}

  void start() {
    asio::post(io_, [this] {
      for (uint32_t i = 0; i < window_; ++i) send_next();
    });
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  uint64_t delivered_ops() const { return ops_.load(); }
  uint64_t delivered_batches() const { return batches_done_.load(); }
  uint64_t bad_certificates() const { return bad_.load(); }
  bool exhausted() const { return next_.load() > batches_.size() && batches_done_.load() == sent_.load(); }
  // Delivery latencies (ms) of batches delivered after `from` (seconds since start()).
  std::vector<double> latencies_after(double from) {
    std::lock_guard lk(mu_);
    std::vector<double> v;
    for (auto& [at, ms] : lat_)
      if (at >= from) v.push_back(ms);
    return v;
  }
  Clock::time_point started = Clock::now();

 private:
  void send_next() {
    const uint64_t n = next_++;
    if (n > batches_.size()) return;
    sent_at_[n] = Clock::now();
    sent_++;
    links_.send(static_cast<uint32_t>(n % cfg_.n()), batches_[n - 1]);
  }
  void on_delivered(ByteView m) {
    auto msg = broker::decode_replica_message(m);
    auto* d = msg ? std::get_if<broker::Delivered>(&*msg) : nullptr;
    if (!d || !sent_at_.count(d->cert.number)) return;
    const auto& c = d->cert;
    if (!group_->verify_group(broker::delivery_statement(c.broker, c.number, c.height, c.amended_root), c.group_sig)) {
      bad_++;
      return;
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at_[c.number]).count();
    sent_at_.erase(c.number);
    {
      std::lock_guard lk(mu_);
      lat_.emplace_back(seconds_since(started), ms);
    }
    ops_ += entries_;  // every generated batch holds each load client once
    batches_done_++;
    send_next();
  }
  const ClusterConfig& cfg_;
  std::vector<Bytes> batches_;
  uint64_t entries_;
  uint32_t window_;
  std::shared_ptr<const crypto::ThresholdVerifier> group_;
  asio::io_context io_;
  broker::ReplicaLinks links_;
  std::thread thread_;
  std::map<uint64_t, Clock::time_point> sent_at_;  // io thread only
  std::atomic<uint64_t> next_{1}, sent_{0}, ops_{0}, batches_done_{0}, bad_{0};
  std::mutex mu_;
  std::vector<std::pair<double, double>> lat_;
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

int bench_broker(const Args& a) {
  // A transfer is 145 bytes: a batch must stay within a replica's 1 MiB client frame.
  if (a.app == "wallet" && a.clients > 6000) {
    std::fprintf(stderr, "error: --app wallet takes at most --clients 6000 (a batch must fit a 1 MiB client frame)\n");
    return 2;
  }
  std::string tmpl = (fs::temp_directory_path() / "rampart-bench-broker-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return 1;
  const fs::path dir = tmpl;
  keys::KeygenOptions ko;
  ko.replicas = 4;
  ko.brokers = 2;  // 0: the load broker (this process), 1: the honest clients' broker
  ko.protocol = a.protocol;
  ko.batch_size = 4000;
  ko.base_port = bench::free_base_port(4);
  auto cfg = keys::keygen(ko, dir);
  if (cfg && a.app == "wallet") {
    if (auto st = client::make_wallet_cluster(*cfg, dir, 1); !st) cfg = st.error();
  }
  if (!cfg) {
    std::fprintf(stderr, "error: %s\n", cfg.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "bench broker: generating %u load clients and %u honest ones (keys, proofs of possession)...\n",
               load_clients(a), a.honest);
  if (auto st = broker::add_client_set_to_cluster(dir, load_clients(a) + a.honest); !st) {
    std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
    return 1;
  }
  auto loaded = load_config(dir / "cluster.toml");
  auto secrets = broker::load_client_secrets(dir / broker::kClientSecretsFile);
  auto group = client::make_group_verifier(*loaded);
  auto bkeys = keys::load_secrets(loaded->resolve(loaded->brokers[0].key_file));
  if (!loaded || !secrets || !group || !bkeys) {
    std::fprintf(stderr, "error: cluster files\n");
    return 1;
  }
  // The honest clients' own key file: ids after the load clients'.
  std::vector<broker::ClientSecrets> honest(secrets->begin() + load_clients(a), secrets->end());
  const fs::path honest_keys = dir / "keys" / "honest-clients.key";
  if (auto st = broker::save_client_secrets(honest_keys, honest); !st) return 1;
  // The honest broker's directory holds only its own clients: it checks every proof of
  // possession at start (~1.6 ms each), which for the load clients would take longer than the run.
  const fs::path honest_dir = dir / "honest-clients.toml";
  if (auto st = broker::save_directory(honest_dir, broker::public_records(honest)); !st) return 1;

  const app::wallet::Account sink = crypto::ed25519::KeyPair::generate().public_key();
  const auto t_gen = Clock::now();
  std::vector<Bytes> batches = generate(a, *secrets, sink);
  std::fprintf(stderr, "bench broker: %u batches of %u entries generated in %.1f s; starting 4 replicas...\n", a.batches,
               a.clients, seconds_since(t_gen));

  std::vector<pid_t> replicas;
  const std::string cf = (dir / "cluster.toml").string();
  for (uint32_t i = 0; i < 4; ++i)
    replicas.push_back(bench::spawn_self(dir / ("replica-" + std::to_string(i) + ".log"),
                             {"replica", "--config", cf, "--id", std::to_string(i), "--trusted-directory", "--log-level", "warn"}));
  pid_t honest_broker = 0;
  if (a.honest)
    honest_broker = bench::spawn_self(dir / "broker-1.log", {"broker", "--config", cf, "--id", "1", "--clients", honest_dir.string(), "--close-ms", "20", "--reduction-ms", "100",
                                                  "--log-level", "warn"});

  if (a.app == "wallet") {  // fund every load account with one unit per generated batch
    std::fprintf(stderr, "bench broker: funding %u wallet accounts...\n", load_clients(a));
    std::vector<app::wallet::Account> accounts;
    for (uint32_t i = 0; i < load_clients(a); ++i) accounts.push_back((*secrets)[i].ed25519.public_key());
    if (auto st = bench::fund_wallet_accounts(*loaded, dir, accounts, a.batches / a.window + 1); !st) {
      std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
      for (pid_t p : replicas) ::kill(p, SIGTERM);
      return 1;
    }
  }
  client::SigningKey key{Bytes(bkeys->ed25519_secret.begin() + 32, bkeys->ed25519_secret.end()), bkeys->ed25519_secret};
  LoadBroker load(*loaded, std::move(key), std::move(batches), a.clients, a.window, *group);
  load.start();
  pid_t driver = 0;
  if (a.honest)
    driver = bench::spawn_self(dir / "honest-clients.log", {"broker-client", "--config", cf, "--broker", "1", "--clients", std::to_string(a.honest),
                                                "--messages", "1000000", "--keys", honest_keys.string(), "--timeout-s",
                                                std::to_string(static_cast<int>(a.duration + 1.5))});
  // The replicas are ready once the first batch is delivered (they load the directory first);
  // then a warm-up second, then the window, with a progress line each second.
  const auto t_ready = Clock::now();
  while (load.delivered_batches() == 0 && seconds_since(t_ready) < 120) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  double cpu0 = 0;
  for (pid_t p : replicas) cpu0 += bench::process_cpu_seconds(p);
  const uint64_t ops0 = load.delivered_ops(), b0 = load.delivered_batches();
  const double from = seconds_since(load.started);
  const auto w0 = Clock::now();
  while (seconds_since(w0) < a.duration && !load.exhausted()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::fprintf(stderr, "  %.0f s: %llu ops delivered (%llu batches)\n", seconds_since(w0),
                 static_cast<unsigned long long>(load.delivered_ops() - ops0),
                 static_cast<unsigned long long>(load.delivered_batches() - b0));
  }
  const double window_s = seconds_since(w0);
  const uint64_t ops = load.delivered_ops() - ops0, nb = load.delivered_batches() - b0;
  double cpu1 = 0;
  for (pid_t p : replicas) cpu1 += bench::process_cpu_seconds(p);
  auto lat = load.latencies_after(from);
  // The driver stops by itself at its timeout (the window's end) and prints its summary.
  if (driver) ::waitpid(driver, nullptr, 0);
  load.stop();
  // Every delivered transfer moved one unit to the sink (more may have executed whose
  // certificates were still on their way).
  std::optional<uint64_t> moved;
  if (a.app == "wallet") {
    auto bal = bench::wallet_balance(*loaded, sink);
    if (bal) moved = *bal;
    else std::fprintf(stderr, "error: reading the sink's balance: %s\n", bal.error().message.c_str());
  }
  for (pid_t p : replicas) ::kill(p, SIGTERM);
  if (honest_broker) ::kill(honest_broker, SIGTERM);
  for (pid_t p : replicas) ::waitpid(p, nullptr, 0);
  if (honest_broker) ::waitpid(honest_broker, nullptr, 0);

  const double tput = window_s > 0 ? static_cast<double>(ops) / window_s : 0;
  std::printf("bench broker: replicas=4 protocol=%s app=%s entries/batch=%u window=%u duration=%.1fs%s\n", a.protocol.c_str(),
              a.app.c_str(), a.clients, a.window, window_s, load.exhausted() ? " (ran out of generated batches: raise --batches)" : "");
  std::printf("  delivered   %.0f ops/s of %s (%llu batches, certificates verified; %llu bad)\n", tput,
              a.app == "wallet" ? "wallet transfers" : "8-byte payloads", static_cast<unsigned long long>(nb),
              static_cast<unsigned long long>(load.bad_certificates()));
  bool books_ok = true;
  if (a.app == "wallet") {
    const uint64_t all = load.delivered_ops();
    books_ok = moved && *moved >= all;
    std::printf("  wallet      sink balance %llu after %llu delivered transfers: %s\n",
                static_cast<unsigned long long>(moved.value_or(0)), static_cast<unsigned long long>(all),
                books_ok ? "every delivered transfer moved money" : "DELIVERED TRANSFERS MISSING");
  }
  std::printf("  batch       delivery latency p50 %.1f ms  p99 %.1f ms (sent -> certificate)\n", quantile(lat, 0.5),
              quantile(lat, 0.99));
  std::printf("  cpu         %.2f us/op in the 4 replicas\n", ops ? (cpu1 - cpu0) * 1e6 / static_cast<double>(ops) : 0.0);
  std::string honest_line = "not run";
  if (a.honest) {
    std::ifstream in(dir / "honest-clients.log");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("delivered", 0) == 0) honest_line = line;
  }
  std::printf("  honest      %u clients through a broker over UDP: %s\n", a.honest, honest_line.c_str());
  bench::Report rep("broker");
  rep.param("entries_per_batch", a.clients);
  rep.param("window", a.window);
  rep.param("wallet", a.app == "wallet");
  rep.metric("ops_per_s", tput);
  rep.metric("batch_latency_p50_ms", quantile(lat, 0.5));
  rep.metric("batch_latency_p99_ms", quantile(lat, 0.99));
  rep.metric("replica_cpu_us_per_op", ops ? (cpu1 - cpu0) * 1e6 / static_cast<double>(ops) : 0.0);
  if (!a.json.empty()) rep.write_json(a.json);
  std::error_code ec;
  if (a.keep) std::fprintf(stderr, "kept %s\n", dir.c_str());
  else fs::remove_all(dir, ec);
  return ops > 0 && books_ok ? 0 : 1;
}

}  // namespace

static bench::Registration reg("broker", [](CLI::App& bench) {
  auto* cmd = bench.add_subcommand("broker", "the broker path: distilled batches ordered by a local 4-replica cluster");
  auto a = std::make_shared<Args>();
  cmd->add_option("--clients", a->clients, "load clients = entries per distilled batch")->default_val(a->clients);
  cmd->add_option("--batches", a->batches, "distilled batches generated before the run")->default_val(a->batches);
  cmd->add_option("--window", a->window, "batches in flight")->default_val(a->window);
  cmd->add_option("--honest", a->honest, "honest clients through a real broker over UDP (0: none)")->default_val(a->honest);
  cmd->add_option("--duration", a->duration, "measured seconds (after 1 s warm-up)")->default_val(a->duration);
  cmd->add_option("--protocol", a->protocol, "poe | poe-mac | pbft")->default_val(a->protocol)->check(CLI::IsMember({"poe", "poe-mac", "pbft"}));
  cmd->add_option("--app", a->app, "kv: 8-byte payloads | wallet: a transfer out of the client's account per entry (use --clients <= 6000: a batch must fit a 1 MiB client frame)")
      ->default_val(a->app)->check(CLI::IsMember({"kv", "wallet"}));
  cmd->add_option("--json", a->json, "also write the results as JSON");
  cmd->add_flag("--keep", a->keep, "keep the cluster folder (keys, logs)");
  cmd->callback([a] { exit_code = bench_broker(*a); });
});

}  // namespace rampart::cli
