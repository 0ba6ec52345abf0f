// `rampart bench cluster --replicas 4 --clients C --duration D --protocol poe|pbft --auth none|ed25519`
// Starts a local cluster (real processes, real BLS), drives it with C closed-loop clients
// (one outstanding request each, spread over the replicas' client ports from one load thread),
// and prints throughput and p50/p99 latency of verified replies. The load generator checks
// every reply's Merkle proof and each batch's group signature once (cached by (k, root)).
#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <bit>
#include <httplib.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "app/kv/op.hpp"
#include "cli/bench.hpp"
#include "cli/bench_cluster_load.hpp"
#include "cli/bench_cluster_timeline.hpp"
#include "cli/bench_local.hpp"
#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "replica/client_wire.hpp"
#include "common/config.hpp"
#include "crypto/merkle.hpp"
#include "ledger/block.hpp"
#include "net/frame.hpp"
#include "client/session.hpp"
#include "keys/keygen.hpp"

namespace rampart::cli {
namespace fs = std::filesystem;

namespace {

using namespace cluster_bench;

double self_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}


// Sum of one Prometheus counter over the replicas (-1 if a replica does not answer). The
// replicas refresh their metrics every 200 ms, so a value may lag by that much.
double sum_metric(const ClusterConfig& cfg, const std::string& name) {
  double sum = 0;
  for (const auto& r : cfg.replicas) {
    httplib::Client cli(r.host, r.metrics_port);
    cli.set_connection_timeout(1, 0);
    cli.set_read_timeout(1, 0);
    auto res = cli.Get("/metrics");
    if (!res || res->status != 200) return -1;
    std::istringstream in(res->body);
    bool found = false;
    for (std::string line; std::getline(in, line);)
      if (line.rfind(name + " ", 0) == 0) {
        sum += std::stod(line.substr(name.size() + 1));
        found = true;
      }
    if (!found) return -1;
  }
  return sum;
}

// ---- the replicas --------------------------------------------------------------------------

// Keys and cluster.toml in a fresh folder under TMPDIR.
Result<std::pair<fs::path, ClusterConfig>> make_cluster(const Args& a) {
  std::string tmpl = (fs::temp_directory_path() / "rampart-bench-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return err("cannot make a folder under " + fs::temp_directory_path().string());
  fs::path dir = tmpl;
  keys::KeygenOptions ko;
  ko.replicas = a.replicas;
  ko.protocol = a.protocol;
  ko.batch_size = a.batch;
  if (a.batch_timeout_ms >= 0) ko.batch_timeout_ms = static_cast<uint32_t>(a.batch_timeout_ms);
  ko.base_port = a.base_port ? a.base_port : bench::free_base_port(a.replicas);
  ko.relays = 1;  // the load generator carries all its clients' requests on one connection per replica
  auto cfg = keys::keygen(ko, dir);
  if (!cfg) return cfg.error();
  return std::make_pair(dir, std::move(*cfg));
}

// One `rampart replica` process per replica, logging into the cluster folder.
std::vector<pid_t> start_replicas(const Args& a, const fs::path& dir, const ClusterConfig& cfg) {
  // Replicas log warnings only, so logging costs nothing measurable; RAMPART_BENCH_LOG_LEVEL
  // (e.g. info, with --keep) shows what a run did.
  const char* level = std::getenv("RAMPART_BENCH_LOG_LEVEL");
  std::vector<pid_t> pids;
  for (const auto& r : cfg.replicas)
    pids.push_back(bench::spawn_self(dir / ("replica-" + std::to_string(r.id) + ".log"),
                                     {"replica", "--config", (dir / "cluster.toml").string(), "--id", std::to_string(r.id),
                                      "--client-auth", a.auth, "--log-level", level ? level : "warn"}));
  return pids;
}

void stop_replicas(const std::vector<pid_t>& pids, const fs::path& dir, bool keep) {
  for (pid_t p : pids) ::kill(p, SIGTERM);
  for (pid_t p : pids) ::waitpid(p, nullptr, 0);
  std::error_code ec;
  if (keep)
    std::fprintf(stderr, "kept %s\n", dir.c_str());
  else
    fs::remove_all(dir, ec);
}

// ---- the measured window -------------------------------------------------------------------

// Where the replicas' work went over the window: client signature checks, slots, bundles.
constexpr const char* kCounted[] = {"rampart_client_signatures_checked_total", "rampart_batches_executed_total",
                                    "rampart_forward_fallbacks_total", "rampart_client_signature_check_cpu_microseconds_total",
                                    "rampart_view_changes_total", "rampart_peer_dropped_frames_total"};
constexpr int kNumCounted = 6;

struct Window {
  std::chrono::steady_clock::time_point t0, t1;
  double rep_cpu0 = 0, rep_cpu1 = 0, gen_cpu0 = 0, gen_cpu1 = 0;
  double counted0[kNumCounted] = {}, counted1[kNumCounted] = {};
  // --pause-primary: replies counted before the pause and after it, to see whether the cluster
  // recovers (what a GC pause, a disk stall or a stopped VM does to the primary).
  std::chrono::steady_clock::time_point paused_at, resumed_at;
  uint64_t ops_at_pause = 0, ops_at_resume = 0;
  StepCounters steps0, steps1;  // --timeline

  double secs() const { return std::chrono::duration<double>(t1 - t0).count(); }
  // Summed over the replicas: a view change completed by all four counts 4.
  double delta(int i) const { return counted0[i] < 0 || counted1[i] < 0 ? -1.0 : counted1[i] - counted0[i]; }
};

// 1 s warm-up, then `duration` seconds measured: replicas' and our CPU, the counters, and the
// pause of the primary if asked for. Returns when the window ends.
Window run_window(const Args& a, const ClusterConfig& cfg, const std::vector<pid_t>& pids, Load& load) {
  Window w;
  auto replicas_cpu = [&] {
    double s = 0;
    for (pid_t p : pids) s += bench::process_cpu_seconds(p);
    return s;
  };
  asio::steady_timer pause_timer(load.io);
  auto schedule_pause = [&] {
    if (a.pause_ms == 0) return;
    pause_timer.expires_after(std::chrono::milliseconds(a.duration * 500));
    pause_timer.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      w.paused_at = std::chrono::steady_clock::now();
      w.ops_at_pause = load.done_ops;
      ::kill(pids[0], SIGSTOP);
      pause_timer.expires_after(std::chrono::milliseconds(a.pause_ms));
      pause_timer.async_wait([&](const asio::error_code&) {
        ::kill(pids[0], SIGCONT);
        w.resumed_at = std::chrono::steady_clock::now();
        w.ops_at_resume = load.done_ops;
      });
    });
  };
  asio::steady_timer t(load.io);
  t.expires_after(std::chrono::seconds(1));
  t.async_wait([&](const asio::error_code&) {
    load.measuring = true;
    w.t0 = std::chrono::steady_clock::now();
    schedule_pause();
    for (int i = 0; i < kNumCounted; ++i) w.counted0[i] = sum_metric(cfg, kCounted[i]);
    if (a.timeline) w.steps0 = read_steps(cfg);
    w.rep_cpu0 = replicas_cpu();
    w.gen_cpu0 = self_cpu_seconds();
    t.expires_after(std::chrono::seconds(a.duration));
    t.async_wait([&](const asio::error_code&) {
      w.t1 = std::chrono::steady_clock::now();
      w.rep_cpu1 = replicas_cpu();
      w.gen_cpu1 = self_cpu_seconds();
      for (int i = 0; i < kNumCounted; ++i) w.counted1[i] = sum_metric(cfg, kCounted[i]);
      if (a.timeline) w.steps1 = read_steps(cfg);
      load.measuring = false;
      load.stop();
      load.io.stop();
    });
  });
  load.io.run();
  if (a.pause_ms && w.resumed_at == std::chrono::steady_clock::time_point{}) ::kill(pids[0], SIGCONT);
  return w;
}

// ---- the report ----------------------------------------------------------------------------

void report(const Args& a, Load& load, const Window& w, double verify_before_us) {
  const double secs = w.secs();
  auto& lat_us = load.lat_us;
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) { return lat_us.empty() ? 0.0 : lat_us[std::min(lat_us.size() - 1, static_cast<size_t>(p * lat_us.size()))]; };
  const uint64_t done_ops = load.done_ops;
  double tput = done_ops / secs;
  std::printf("bench cluster: replicas=%u protocol=%s auth=%s clients=%u batch=%u duration=%us\n", a.replicas,
              a.protocol.c_str(), a.auth.c_str(), a.clients, a.batch, a.duration);
  std::printf("  throughput  %.0f ops/s  (%llu verified replies, %llu rejected)\n", tput,
              static_cast<unsigned long long>(done_ops), static_cast<unsigned long long>(load.bad));
  std::printf("  latency     p50 %.2f ms  p99 %.2f ms\n", pct(0.50) / 1000, pct(0.99) / 1000);
  if (a.pause_ms && w.resumed_at > w.paused_at) {
    const double before = std::chrono::duration<double>(w.paused_at - w.t0).count();
    const double after = std::chrono::duration<double>(w.t1 - w.resumed_at).count();
    std::printf("  pause       replica 0 stopped %u ms at %.1f s: %.0f ops/s before it, %.0f ops/s in the %.1f s after it"
                " (%.2f of before)\n",
                a.pause_ms, before, w.ops_at_pause / before, (done_ops - w.ops_at_resume) / after, after,
                w.ops_at_pause > 0 ? ((done_ops - w.ops_at_resume) / after) / (w.ops_at_pause / before) : 0.0);
  }
  std::printf("  faults      %.0f view changes installed (summed over replicas), %.0f peer frames dropped (queue full or too big)\n",
              w.delta(4), w.delta(5));
  // CPU per operation, and the throughput that CPU cost allows on this machine's cores if the
  // benchmark had them to itself (the machine may be shared; ops/s above is what we got).
  double ops = static_cast<double>(std::max<uint64_t>(done_ops, 1));
  double rep_us = (w.rep_cpu1 - w.rep_cpu0) * 1e6 / ops, gen_us = (w.gen_cpu1 - w.gen_cpu0) * 1e6 / ops;
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  double cpu_bound = (rep_us + gen_us) > 0 ? cores * 1e6 / (rep_us + gen_us) : 0;
  std::printf("  cpu         %.1f us/op in the %u replicas + %.1f us/op in the load generator"
              " (%.1f cores busy; %ld cores would allow %.0f ops/s)\n",
              rep_us, a.replicas, gen_us, (w.rep_cpu1 - w.rep_cpu0 + w.gen_cpu1 - w.gen_cpu0) / secs, cores, cpu_bound);
  // Per verified reply; executed batches are counted once per replica, so divide by n for slots.
  auto per_op = [&](int i) { return w.delta(i) < 0 ? -1.0 : w.delta(i) / ops; };
  const double slots = w.delta(1) < 0 ? -1.0 : w.delta(1) / a.replicas;
  std::printf("  work        %.2f client signature checks/op, %.0f slots (%.0f ops/slot), %.0f forward fallbacks\n",
              per_op(0), slots, slots > 0 ? ops / slots : 0.0, w.counted1[2] - w.counted0[2]);
  // The signature checks' share of the replicas' CPU (their own clock, counted by the replicas).
  const double check_us = per_op(3), checks = per_op(0);
  if (a.auth != "none" && check_us >= 0 && checks > 0)
    std::printf("  checks      %.1f us/op verifying client signatures (%.1f us each) + %.1f us/op everything else\n",
                check_us, check_us / checks, rep_us - check_us);
  // The bound the Ed25519 cost sets, measured now (the machine's other load affects it and the
  // run above alike): f + 1 witnesses check every request once (replica/witness.hpp), the cores
  // do nothing else; beside it the bound when all n replicas check, as before witnesses.
  double bound = 0, verify_us = 0;
  if (a.auth == "ed25519") {
    const double verify_after_us = bench::ed25519_verify_two_threads(1000, 3).cpu_ns / 1000;
    verify_us = (verify_before_us + verify_after_us) / 2;
    const uint32_t witnesses = (a.replicas - 1) / 3 + 1;
    bound = cores * 1e6 / (witnesses * verify_us);
    std::printf("  bound       Ed25519 verify %.2f us (distinct signatures, 2 threads at once; %.2f before the run, %.2f after):"
                " %ld cores / (%u checks x %.2f us) = %.0f ops/s with f + 1 witnesses, %.0f ops/s if all %u replicas"
                " checked; this run %.1f%% of the first\n",
                verify_us, verify_before_us, verify_after_us, cores, witnesses, verify_us, bound,
                cores * 1e6 / (a.replicas * verify_us), a.replicas, 100 * tput / bound);
  }
  if (a.timeline && !lat_us.empty()) {
    double sum = 0;
    for (auto v : lat_us) sum += v;
    print_timeline(w.steps0, w.steps1, 0, sum / lat_us.size() / 1000);
  }
  if (a.json.empty()) return;
  bench::Report rep("cluster");
  rep.param("replicas", a.replicas);
  rep.param("clients", a.clients);
  rep.param("duration_s", a.duration);
  rep.param("batch", a.batch);
  if (a.pause_ms) rep.param("pause_primary_ms", a.pause_ms);
  rep.metric("ops_per_s", tput);
  rep.metric("p50_ms", pct(0.50) / 1000);
  rep.metric("p99_ms", pct(0.99) / 1000);
  rep.metric("replica_cpu_us_per_op", rep_us);
  rep.metric("loadgen_cpu_us_per_op", gen_us);
  rep.metric("signature_checks_per_op", per_op(0));
  rep.metric("ops_per_slot", slots > 0 ? ops / slots : 0.0);
  if (check_us >= 0) rep.metric("signature_check_cpu_us_per_op", check_us);
  if (bound > 0) {
    rep.metric("ed25519_verify_us_two_threads", verify_us);
    rep.metric("ed25519_bound_ops_per_s", bound);
    rep.metric("fraction_of_bound", tput / bound);
  }
  rep.write_json(a.json);
}

int bench_cluster(const Args& a) {
  if (sodium_init() < 0) return 1;
  auto made = make_cluster(a);
  if (!made) {
    std::fprintf(stderr, "error: %s\n", made.error().message.c_str());
    return 1;
  }
  const auto& [dir, cfg] = *made;
  auto group = client::make_group_verifier(cfg);
  if (!group) return 1;
  const std::vector<pid_t> pids = start_replicas(a, dir, cfg);
  auto relay = client::load_signing_key((dir / keys::relay_key_file(0)).string());
  if (!relay) {
    std::fprintf(stderr, "error: %s\n", relay.error().message.c_str());
    stop_replicas(pids, dir, a.keep);
    return 1;
  }
  Load load(a, cfg, **group, *relay);
  if (!load.connect()) {
    stop_replicas(pids, dir, a.keep);
    return 1;
  }
  double verify_before_us = 0;
  if (a.auth != "none") {
    // The bound's verification cost, measured before the run and again after it (report).
    verify_before_us = bench::ed25519_verify_two_threads(1000, 3).cpu_ns / 1000;
    load.presign();
  }
  load.start();
  const Window w = run_window(a, cfg, pids, load);
  stop_replicas(pids, dir, a.keep);
  report(a, load, w, verify_before_us);
  return load.done_ops > 0 ? 0 : 1;
}

}  // namespace

static bench::Registration reg("cluster", [](CLI::App& bench) {
  auto* cmd = bench.add_subcommand("cluster", "throughput and latency of a local cluster (direct path)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--replicas", a->replicas, "replicas")->default_val(4);
  cmd->add_option("--clients", a->clients, "closed-loop clients (one outstanding request each)")->default_val(200);
  cmd->add_option("--duration", a->duration, "measured seconds (after 1 s warm-up)")->default_val(10);
  cmd->add_option("--protocol", a->protocol, "poe | poe-mac | pbft")->default_val("poe")->check(CLI::IsMember({"poe", "poe-mac", "pbft"}));
  cmd->add_option("--auth", a->auth, "client signatures: none | ed25519")->default_val("ed25519")->check(CLI::IsMember({"none", "ed25519"}));
  cmd->add_option("--batch-size", a->batch, "largest batch (replicas batch adaptively: a batch closes when full or when the previous one executed)")->default_val(4000);
  cmd->add_option("--batch-timeout-ms", a->batch_timeout_ms,
                  "how long an idle replica holds a partial batch for more requests (default: keygen's)");
  cmd->add_option("--keys", a->keys, "distinct keys written")->default_val(1000);
  cmd->add_option("--base-port", a->base_port, "first port (default: a free range below 32768)");
  cmd->add_option("--presign", a->presign, "signed requests prepared per client before the run (default: enough for ~20,000 ops/s)");
  cmd->add_flag("--keep", a->keep, "keep the cluster folder (keys, ledgers, replica logs)");
  cmd->add_option("--pause-primary", a->pause_ms,
                  "stop replica 0 (the first primary) for this many ms in the middle of the window (SIGSTOP/SIGCONT)");
  cmd->add_option("--json", a->json, "also write the results as JSON");
  cmd->add_flag("--timeline", a->timeline,
                "print where a request's time goes: each step's mean at the primary and the backups, beside the clients' mean latency");
  cmd->callback([a] { exit_code = bench_cluster(*a); });
});

}  // namespace rampart::cli
