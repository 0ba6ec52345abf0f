// `rampart bench execute`: what one replica spends per request once a batch is ordered, in one
// process and on one thread -- check its requests, decode the batch, execute it (KV store, reply cache, results
// tree, state digest), append it to the ledger, hash it, and write the reply frames a replica
// sends its clients. The same code the replica runs (Executor, KvStore behind PrincipalApp,
// ledger::Store, replica::reply_frame), fed batches shaped like `bench cluster --auth none` ones.
//
// Why: `bench cluster` runs five processes on two cores and its numbers move 10-20% with the
// machine's other load; this one isolates the per-request path, reports thread CPU time, and
// runs under `valgrind --tool=callgrind` for instruction counts that do not move at all.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sodium.h>
#include <unistd.h>

#include "app/kv/kv_store.hpp"
#include "app/kv/op.hpp"
#include "cli/bench.hpp"
#include "cli/commands.hpp"
#include "replica/client_wire.hpp"
#include "ledger/block.hpp"
#include "ledger/store.hpp"
#include "replica/principal_app.hpp"
#include "replica/client_auth.hpp"
#include "replica/reply_frame.hpp"
#include "replica/batch.hpp"
#include "replica/executor.hpp"

namespace rampart::cli::bench {
namespace {

struct Options {
  uint32_t clients = 12000;
  uint32_t batch = 2500;
  uint32_t batches = 40;
  uint32_t keys = 1000;
  int reps = 3;
  std::string auth = "none";
  std::string json;
};

// Stage totals over one pass of all batches: thread CPU and wall ns.
struct Pass {
  Timing check, decode, execute, ledger, hashes, replies;
  Timing total() const {
    return {check.cpu_ns + decode.cpu_ns + execute.cpu_ns + ledger.cpu_ns + hashes.cpu_ns + replies.cpu_ns,
            check.wall_ns + decode.wall_ns + execute.wall_ns + ledger.wall_ns + hashes.wall_ns + replies.wall_ns};
  }
};

Timing now() {
  return {thread_cpu_now_ns(), std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count()};
}
void add(Timing& acc, const Timing& from, const Timing& to) {
  acc.cpu_ns += to.cpu_ns - from.cpu_ns;
  acc.wall_ns += to.wall_ns - from.wall_ns;
}

std::vector<Bytes> make_batches(const Options& o) {
  std::mt19937_64 rng(7);
  const bool sign = o.auth == "ed25519";
  std::vector<Bytes> pks(o.clients), sks(o.clients);
  std::vector<replica::ClientId> ids(o.clients);
  for (uint32_t c = 0; c < o.clients; ++c) {
    pks[c].resize(client::kPubkeyBytes);
    if (sign) {
      sks[c].resize(crypto_sign_SECRETKEYBYTES);
      crypto_sign_keypair(pks[c].data(), sks[c].data());
    } else {
      for (auto& b : pks[c]) b = static_cast<uint8_t>(rng());
    }
    ids[c] = client::client_id_of(pks[c]);
  }
  std::vector<Bytes> out;
  uint64_t next = 0;
  for (uint32_t b = 0; b < o.batches; ++b) {
    replica::Batch batch;
    for (uint32_t i = 0; i < o.batch; ++i, ++next) {
      const uint32_t c = static_cast<uint32_t>(next % o.clients);
      const uint64_t seq = next / o.clients + 1;
      replica::Request r;
      r.client = ids[c];
      r.seq = seq;
      r.payload = pks[c];
      Bytes op = app::kv::encode_op(app::kv::put("key" + std::to_string(rng() % o.keys), "value-" + std::to_string(seq)));
      r.payload.insert(r.payload.end(), op.begin(), op.end());
      if (sign) {
        Bytes msg = replica::request_signing_bytes(r.client, r.seq, r.payload);
        r.sig.resize(crypto_sign_BYTES);
        crypto_sign_detached(r.sig.data(), nullptr, msg.data(), msg.size(), sks[c].data());
      }
      batch.requests.push_back(std::move(r));
    }
    out.push_back(replica::encode_batch(batch));
  }
  return out;
}

// One pass: a fresh store and ledger, every batch through every stage.
Pass run_pass(const std::vector<Bytes>& batches, const std::filesystem::path& dir, replica::ClientAuth auth) {
  std::filesystem::remove_all(dir);
  auto store = ledger::Store::open(dir.string(), as_bytes("bench execute"));
  if (!store) {
    std::fprintf(stderr, "bench execute: %s\n", store.error().message.c_str());
    std::exit(1);
  }
  app::kv::KvStore kv;
  replica::PrincipalApp app(kv);
  replica::Executor exec(app);
  Pass p;
  size_t frames_bytes = 0;
  const Bytes group_sig(48, 0x11);  // a min_sig group signature's size
  uint64_t k = 0;
  for (const Bytes& enc : batches) {
    ++k;
    Timing tc = now();
    // What a replica does before supporting a batch it has not seen: every request's id
    // binding and (with --auth ed25519) its signature (replica::check_batch).
    if (!replica::check_batch(enc, auth)) std::abort();
    Timing t0 = now();
    add(p.check, tc, t0);
    const Hash32 d = batch_digest(enc);  // executor, batcher and ledger block share it
    Timing t1 = now();
    auto b = replica::decode_batch(enc);
    if (!b) std::abort();
    Timing t2 = now();
    auto out = exec.execute(k, *b, d);
    Timing t3 = now();
    ledger::Block blk;
    blk.k = k;
    blk.batch_digest = d;
    blk.prev_hash = (*store)->last_hash();
    blk.state_digest = out.state_digest;
    blk.results_root = out.results_root;
    if (!(*store)->append_speculative(blk, enc, false)) std::abort();
    Timing t4 = now();
    for (size_t i = 0; i < out.replies.size(); ++i)
      frames_bytes += replica::reply_frame(0, blk, out.replies[i], static_cast<uint32_t>(i), *out.tree, group_sig).size();
    Timing t5 = now();
    exec.make_final(k);  // as a replica does once k is proven: undo information goes
    add(p.hashes, t0, t1);
    add(p.decode, t1, t2);
    add(p.execute, t2, t3);
    add(p.ledger, t3, t4);
    add(p.replies, t4, t5);
  }
  if (frames_bytes == 0) std::abort();
  return p;
}

int run(const Options& o) {
  const auto batches = make_batches(o);
  const auto dir = std::filesystem::temp_directory_path() / ("rampart-bench-execute-" + std::to_string(::getpid()));
  std::vector<Pass> passes;
  const auto auth = o.auth == "ed25519" ? replica::ClientAuth::ed25519 : replica::ClientAuth::none;
  run_pass(batches, dir, auth);  // warm-up
  for (int r = 0; r < o.reps; ++r) passes.push_back(run_pass(batches, dir, auth));
  std::filesystem::remove_all(dir);
  // Median pass by total; its stages are reported (stages of one pass add up).
  std::sort(passes.begin(), passes.end(), [](const Pass& a, const Pass& b) { return a.total().cpu_ns < b.total().cpu_ns; });
  const Pass& m = passes[passes.size() / 2];
  const double ops = double(o.batch) * o.batches;
  Report rep("execute");
  rep.param("clients", o.clients);
  rep.param("batch", o.batch);
  rep.param("batches", o.batches);
  rep.param("keys", o.keys);
  rep.param("ed25519", o.auth == "ed25519");
  auto row = [&](const char* name, const Timing& t) { rep.add(name, t / ops, "op"); };
  row(o.auth == "ed25519" ? "check requests (id binding + Ed25519 signature)" : "check requests (id binding only)", m.check);
  row("whole-batch digest", m.hashes);
  row("decode batch", m.decode);
  row("execute (KV, reply cache, results tree, state digest)", m.execute);
  row("ledger append (RocksDB, no fsync)", m.ledger);
  row("reply frames (result + Merkle proof)", m.replies);
  row("total", m.total());
  rep.metric("ops/s one core could sustain on this path (thread CPU)", 1e9 / (m.total().cpu_ns / ops));
  rep.print();
  if (!o.json.empty() && !rep.write_json(o.json)) return 1;
  return 0;
}

Registration reg("execute", [](CLI::App& bench) {
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand("execute", "CPU per request of one replica's execute path (decode, execute, ledger, replies)");
  cmd->add_option("--clients", o->clients, "distinct clients (reply cache size)")->check(CLI::Range(1u, 1u << 22));
  cmd->add_option("--batch", o->batch, "requests per batch")->check(CLI::Range(1u, 65536u));
  cmd->add_option("--batches", o->batches, "batches per pass")->check(CLI::Range(1u, 100000u));
  cmd->add_option("--keys", o->keys, "distinct keys written")->check(CLI::Range(1u, 1u << 24));
  cmd->add_option("--reps", o->reps, "passes; the median pass is reported")->check(CLI::Range(1, 100));
  cmd->add_option("--auth", o->auth, "client signatures: none | ed25519 (signs every request first: use fewer --batches)")
      ->check(CLI::IsMember({"none", "ed25519"}));
  cmd->add_option("--json", o->json, "also write the results as JSON");
  cmd->callback([o] { exit_code = run(*o); });
});

}  // namespace
}  // namespace rampart::cli::bench
