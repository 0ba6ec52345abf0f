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
#include "cli/commands.hpp"
#include "client/group_key.hpp"
#include "client/wire.hpp"
#include "common/config.hpp"
#include "crypto/merkle.hpp"
#include "ledger/block.hpp"
#include "net/frame.hpp"
#include "keys/keygen.hpp"

namespace rampart::cli {
namespace fs = std::filesystem;

namespace {

struct Args {
  uint32_t replicas = 4, clients = 200, duration = 10, batch = 4000, keys = 1000;
  std::string protocol = "poe", auth = "ed25519", json;
  uint16_t base_port = 0;
  bool keep = false;
  uint64_t presign = 0;
  uint32_t pause_ms = 0;  // SIGSTOP replica 0 (view 0's primary) this long, in the middle of the window
};

struct VClient {
  Bytes pk, sk;
  replica::ClientId id = 0;
  uint64_t seq = 0;
  uint32_t conn = 0;
  std::chrono::steady_clock::time_point sent;
  std::deque<Bytes> ready;  // pre-signed request frames for seq + 1, seq + 2, ...
};

// Client index by id, open addressing. Ids are hash outputs (client_id_of), so their low bits
// spread evenly; one probe usually lands on the slot. An unordered_map's bucket array and node
// were two cache misses per reply and ~17% of the load generator's time with 12,000 clients.
class ClientIndex {
 public:
  static constexpr size_t kNone = SIZE_MAX;
  explicit ClientIndex(size_t n) : slots_(std::bit_ceil(2 * n + 2)), mask_(slots_.size() - 1) {}
  void add(replica::ClientId id, size_t i) {
    size_t h = id & mask_;
    while (slots_[h].i != kNone) h = (h + 1) & mask_;
    slots_[h] = {id, i};
  }
  size_t find(replica::ClientId id) const {
    for (size_t h = id & mask_;; h = (h + 1) & mask_) {
      if (slots_[h].i == kNone) return kNone;
      if (slots_[h].id == id) return slots_[h].i;
    }
  }

 private:
  struct Slot {
    replica::ClientId id = 0;
    size_t i = kNone;
  };
  std::vector<Slot> slots_;
  size_t mask_;
};

// CPU seconds (user + system) a process has used so far; 0 if it cannot be read. Lets the
// benchmark report CPU per operation, which a shared, noisy machine does not distort the way it
// distorts ops/s.
double process_cpu_seconds(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may contain spaces
  if (!p) return 0;
  unsigned long long utime = 0, stime = 0;
  // Fields after the name: state(3) ... utime(14) stime(15).
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return 0;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Conn {
  std::unique_ptr<asio::ip::tcp::socket> sock;
  net::FrameDecoder dec{1u << 20};
  std::array<uint8_t, 256 * 1024> buf{};
  Bytes out, inflight;
  bool writing = false;
};

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

// Listen ports for the replicas (peer, client and metrics ranges of `n` ports each, 100 apart)
// that are free now and below Linux's ephemeral range (32768+), where an outgoing connection
// could take one of them between this check and the replica's bind.
uint16_t free_base_port(uint32_t n) {
  auto free = [](uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::acceptor acc(io);
    asio::error_code ec;
    acc.open(asio::ip::tcp::v4(), ec);
    if (!ec) acc.bind({asio::ip::address_v4::loopback(), port}, ec);
    return !ec;
  };
  std::mt19937 rng(static_cast<uint32_t>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const uint16_t base = static_cast<uint16_t>(20000 + (rng() % 120) * 100);
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; ++i)
      ok = free(static_cast<uint16_t>(base + i)) && free(static_cast<uint16_t>(base + 100 + i)) &&
           free(static_cast<uint16_t>(base + 200 + i));
    if (ok) return base;
  }
  return 20000;
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
  ko.base_port = a.base_port ? a.base_port : free_base_port(a.replicas);
  auto cfg = keys::keygen(ko, dir);
  if (!cfg) return cfg.error();
  return std::make_pair(dir, std::move(*cfg));
}

// One `rampart replica` process per replica, logging into the cluster folder.
std::vector<pid_t> start_replicas(const Args& a, const fs::path& dir, const ClusterConfig& cfg) {
  std::string exe = fs::read_symlink("/proc/self/exe");
  std::vector<pid_t> pids;
  for (const auto& r : cfg.replicas) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string log = (dir / ("replica-" + std::to_string(r.id) + ".log")).string();
      FILE* f = std::fopen(log.c_str(), "a");
      if (f) {
        ::dup2(fileno(f), 1);
        ::dup2(fileno(f), 2);
      }
      std::string cf = (dir / "cluster.toml").string(), id = std::to_string(r.id);
      // Replicas log warnings only, so logging costs nothing measurable; RAMPART_BENCH_LOG_LEVEL
      // (e.g. info, with --keep) shows what a run did.
      const char* level = std::getenv("RAMPART_BENCH_LOG_LEVEL");
      ::execl(exe.c_str(), exe.c_str(), "replica", "--config", cf.c_str(), "--id", id.c_str(), "--client-auth",
              a.auth.c_str(), "--log-level", level ? level : "warn", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    pids.push_back(pid);
  }
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

// ---- the load generator --------------------------------------------------------------------

// C closed-loop clients over one connection per replica, on one io thread: each sends its next
// request when its reply (Merkle proof and, once per batch, group signature) checked out.
class Load {
 public:
  Load(const Args& a, const ClusterConfig& cfg, const crypto::ThresholdVerifier& group)
      : a_(a), cfg_(cfg), group_(group), conns_(cfg.n()), vc_(a.clients), by_id_(vc_.size()) {
    lat_us.reserve(1 << 20);
  }

  asio::io_context io;
  std::vector<double> lat_us;  // of replies in the measured window
  uint64_t done_ops = 0, bad = 0;
  bool measuring = false;

  // Connect (retrying while the replicas start).
  bool connect() {
    for (uint32_t i = 0; i < cfg_.n(); ++i) {
      const auto* r = cfg_.replica(i);
      for (int attempt = 0;; ++attempt) {
        conns_[i].sock = std::make_unique<asio::ip::tcp::socket>(io);
        asio::error_code ec;
        conns_[i].sock->connect({asio::ip::make_address(r->host), r->client_port}, ec);
        if (!ec) break;
        if (attempt > 200) {
          std::fprintf(stderr, "error: replica %u did not come up\n", i);
          return false;
        }
        ::usleep(50000);
      }
      conns_[i].sock->set_option(asio::ip::tcp::no_delay(true));
    }
    for (size_t i = 0; i < vc_.size(); ++i) {
      vc_[i].pk.resize(32);
      vc_[i].sk.resize(64);
      crypto_sign_keypair(vc_[i].pk.data(), vc_[i].sk.data());
      vc_[i].id = client::client_id_of(vc_[i].pk);
      vc_[i].conn = static_cast<uint32_t>(i % cfg_.n());
      by_id_.add(vc_[i].id, i);
    }
    return true;
  }

  // Requests are signed before the measurement starts, so the load generator's Ed25519 signing
  // (~20 us each) does not compete with the replicas for this machine's cores.
  void presign() {
    uint64_t per_client = a_.presign ? a_.presign : (20000ull * (a_.duration + 2)) / std::max<uint32_t>(a_.clients, 1) + 2;
    for (auto& v : vc_)
      for (uint64_t s = 1; s <= per_client; ++s) v.ready.push_back(make_frame(v, s));
  }

  void start() {
    for (uint32_t c = 0; c < cfg_.n(); ++c) read(c);
    for (size_t i = 0; i < vc_.size(); ++i) send(i);
  }
  void stop() { stopping_ = true; }

 private:
  Bytes make_frame(VClient& v, uint64_t seq) {
    std::string key = "key" + std::to_string(rng_() % a_.keys);
    Bytes payload = v.pk;
    Bytes op = app::kv::encode_op(app::kv::put(key, "value-" + std::to_string(seq)));
    payload.insert(payload.end(), op.begin(), op.end());
    replica::Request r;
    r.client = v.id;
    r.seq = seq;
    r.payload = std::move(payload);
    if (a_.auth != "none") {
      Bytes msg = replica::request_signing_bytes(r.client, r.seq, r.payload);
      r.sig.resize(crypto_sign_BYTES);
      crypto_sign_detached(r.sig.data(), nullptr, msg.data(), msg.size(), v.sk.data());
    }
    return client::encode_request_frame(r);
  }

  void flush(uint32_t c) {
    Conn& k = conns_[c];
    if (k.writing || k.out.empty()) return;
    std::swap(k.out, k.inflight);
    k.out.clear();
    k.writing = true;
    asio::async_write(*k.sock, asio::buffer(k.inflight), [this, c](const asio::error_code& ec, size_t) {
      conns_[c].writing = false;
      if (!ec) flush(c);
    });
  }

  void send(size_t i) {
    VClient& v = vc_[i];
    v.seq++;
    Bytes frame;
    if (!v.ready.empty()) {
      frame = std::move(v.ready.front());
      v.ready.pop_front();
    } else {
      frame = make_frame(v, v.seq);
    }
    net::append_frame(conns_[v.conn].out, frame);
    v.sent = std::chrono::steady_clock::now();
    flush(v.conn);
  }

  // Per read: every reply first (read in place, no copies), then their Merkle proofs together
  // (merkle::verify_many hashes one tree level of all of them per SIMD call). Buffers are
  // reused from read to read.
  void on_frame(ByteView f) {
    auto rp = client::decode_reply_view(f);
    if (!rp) return;
    const size_t i = by_id_.find(rp->client);
    if (i == ClientIndex::kNone || vc_[i].seq != rp->seq) return;
    auto proof = crypto::merkle::Proof::decode(rp->proof);
    if (!proof) {
      bad++;
      return;
    }
    // The group signature now, while the frame's bytes are still valid (the view may point into
    // the decoder's buffer); once per batch (replies come in runs of one batch).
    const std::pair<uint64_t, Hash32> batch{rp->k, client::reply_block_hash(*rp)};
    if (batch != last_verified_ && !verified_batches_.count(batch)) {
      if (!group_.verify_group(ledger::proof_message(rp->view, rp->k, client::reply_block_hash(*rp)), rp->group_sig)) {
        bad++;
        return;
      }
      verified_batches_.insert(batch);
    }
    last_verified_ = batch;
    client::append_reply_leaf(leaf_bytes_, rp->client, rp->seq, rp->kind, rp->result);
    leaf_at_.push_back(leaf_bytes_.size());
    got_.push_back({i, rp->results_root, std::move(*proof)});
  }

  void read(uint32_t c) {
    conns_[c].sock->async_read_some(asio::buffer(conns_[c].buf), [this, c](const asio::error_code& ec, size_t n) {
      if (ec) return;
      got_.clear();
      leaf_bytes_.clear();
      leaf_at_.assign(1, 0);
      if (!conns_[c].dec.feed(ByteView(conns_[c].buf.data(), n), [this](ByteView f) { on_frame(f); })) return;
      auto now = std::chrono::steady_clock::now();
      const std::vector<Hash32> leaves = crypto::merkle::hash_packed_leaves(leaf_bytes_.data(), leaf_at_);
      roots_.clear();
      proofs_.clear();
      for (const auto& g : got_) {
        roots_.push_back(&g.root);
        proofs_.push_back(&g.proof);
      }
      crypto::merkle::verify_many(roots_, leaves, proofs_, proof_ok_);
      for (size_t j = 0; j < got_.size(); ++j) {
        if (!proof_ok_[j]) {
          bad++;
          continue;
        }
        if (measuring) {
          done_ops++;
          lat_us.push_back(std::chrono::duration<double, std::micro>(now - vc_[got_[j].client].sent).count());
        }
        if (!stopping_) send(got_[j].client);
      }
      read(c);
    });
  }

  const Args& a_;
  const ClusterConfig& cfg_;
  const crypto::ThresholdVerifier& group_;
  std::vector<Conn> conns_;
  std::vector<VClient> vc_;
  ClientIndex by_id_;
  std::mt19937_64 rng_{42};
  bool stopping_ = false;
  std::set<std::pair<uint64_t, Hash32>> verified_batches_;
  std::pair<uint64_t, Hash32> last_verified_{0, Hash32{}};
  struct Got {
    size_t client;
    Hash32 root;
    crypto::merkle::Proof proof;
  };
  std::vector<Got> got_;
  Writer leaf_bytes_;  // the replies' leaves back to back, hashed together
  std::vector<size_t> leaf_at_;
  std::vector<const Hash32*> roots_;
  std::vector<const crypto::merkle::Proof*> proofs_;
  std::vector<uint8_t> proof_ok_;
};

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
    for (pid_t p : pids) s += process_cpu_seconds(p);
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
    w.rep_cpu0 = replicas_cpu();
    w.gen_cpu0 = self_cpu_seconds();
    t.expires_after(std::chrono::seconds(a.duration));
    t.async_wait([&](const asio::error_code&) {
      w.t1 = std::chrono::steady_clock::now();
      w.rep_cpu1 = replicas_cpu();
      w.gen_cpu1 = self_cpu_seconds();
      for (int i = 0; i < kNumCounted; ++i) w.counted1[i] = sum_metric(cfg, kCounted[i]);
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
  // run above alike): every replica checks every request once, the cores do nothing else.
  double bound = 0, verify_us = 0;
  if (a.auth == "ed25519") {
    const double verify_after_us = bench::ed25519_verify_two_threads(1000, 3).cpu_ns / 1000;
    verify_us = (verify_before_us + verify_after_us) / 2;
    bound = cores * 1e6 / (a.replicas * verify_us);
    std::printf("  bound       Ed25519 verify %.2f us (distinct signatures, 2 threads at once; %.2f before the run, %.2f after):"
                " %ld cores / (%u checks x %.2f us) = %.0f ops/s; this run %.1f%% of it\n",
                verify_us, verify_before_us, verify_after_us, cores, a.replicas, verify_us, bound, 100 * tput / bound);
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
  Load load(a, cfg, **group);
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
  cmd->add_option("--protocol", a->protocol, "poe | pbft")->default_val("poe")->check(CLI::IsMember({"poe", "pbft"}));
  cmd->add_option("--auth", a->auth, "client signatures: none | ed25519")->default_val("ed25519")->check(CLI::IsMember({"none", "ed25519"}));
  cmd->add_option("--batch-size", a->batch, "largest batch (replicas batch adaptively: a batch closes when full or when the previous one executed)")->default_val(4000);
  cmd->add_option("--keys", a->keys, "distinct keys written")->default_val(1000);
  cmd->add_option("--base-port", a->base_port, "first port (default: a free range below 32768)");
  cmd->add_option("--presign", a->presign, "signed requests prepared per client before the run (default: enough for ~20,000 ops/s)");
  cmd->add_flag("--keep", a->keep, "keep the cluster folder (keys, ledgers, replica logs)");
  cmd->add_option("--pause-primary", a->pause_ms,
                  "stop replica 0 (the first primary) for this many ms in the middle of the window (SIGSTOP/SIGCONT)");
  cmd->add_option("--json", a->json, "also write the results as JSON");
  cmd->callback([a] { exit_code = bench_cluster(*a); });
});

}  // namespace rampart::cli
