// `rampart bench crypto`: the median cost of each crypto primitive, and the per-message server
// cost of authenticating a distilled batch (DESIGN §3.1) versus one Ed25519 check per message.
#include <cstdio>
#include <chrono>
#include <cstring>
#include <thread>

#include "cli/bench.hpp"
#include "cli/commands.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/merkle.hpp"
#include "crypto/threshold.hpp"

namespace rampart::cli::bench {
namespace {

using namespace rampart::crypto;

struct Options {
  std::string json;
  uint32_t clients = 65536;
  int reps = 7;
  uint32_t ed_sample = 4096;
};

// Volatile sink so the optimiser cannot drop measured work.
volatile uint64_t g_sink = 0;
void sink(const uint8_t* p) { g_sink = g_sink + p[0]; }

// A batch entry as distillation hashes it: (id, raise, payload); 8-byte payloads as in Chop
// Chop's evaluation.
Bytes entry(uint64_t id, uint64_t raise) {
  Bytes e(24);
  std::memcpy(e.data(), &id, 8);
  std::memcpy(e.data() + 8, &raise, 8);
  uint64_t payload = id * 0x9e3779b97f4a7c15ULL;
  std::memcpy(e.data() + 16, &payload, 8);
  return e;
}

// n client BLS keys, cheaply: sk_i = base + i, so pk_{i+1} = pk_i + G (one addition per key,
// then one batched affine conversion). Setup only; returns the sum of the secret keys too, so
// the generator can produce the aggregate signature with one signing (DESIGN §3.1).
std::vector<bls::PublicKey> client_keys(uint32_t n, blst_scalar* sum_out) {
  bls::SecretKey base = *bls::SecretKey::from_seed(as_bytes("rampart bench crypto client keys!"));
  std::vector<blst_p1> jac(n);
  blst_sk_to_pk_in_g1(&jac[0], &base.scalar());
  for (uint32_t i = 1; i < n; ++i) blst_p1_add_or_double(&jac[i], &jac[i - 1], blst_p1_generator());
  std::vector<const blst_p1*> ptrs(n);
  for (uint32_t i = 0; i < n; ++i) ptrs[i] = &jac[i];
  std::vector<bls::PublicKey> pks(n);
  static_assert(sizeof(bls::PublicKey) == sizeof(blst_p1_affine));
  blst_p1s_to_affine(reinterpret_cast<blst_p1_affine*>(pks.data()), ptrs.data(), n);
  // sum = n * base + n (n - 1) / 2
  blst_fr b, nn, tri, sum;
  blst_fr_from_scalar(&b, &base.scalar());
  uint64_t nv[4] = {n, 0, 0, 0}, tv[4] = {uint64_t(n) * (n - 1) / 2, 0, 0, 0};
  blst_fr_from_uint64(&nn, nv);
  blst_fr_from_uint64(&tri, tv);
  blst_fr_mul(&sum, &b, &nn);
  blst_fr_add(&sum, &sum, &tri);
  blst_scalar_from_fr(sum_out, &sum);
  return pks;
}

int run(const Options& o) {
  Report rep("crypto");
  rep.param("clients", o.clients);
  rep.param("reps", o.reps);
  rep.param("ed25519_sample", o.ed_sample);
  const Bytes msg = to_bytes("rampart bench: a 32-byte message.");

  // ---- Ed25519 ----
  auto kp = ed25519::KeyPair::generate();
  auto sig = kp.sign(msg);
  const int inner = 200;
  rep.add("ed25519 sign", median(o.reps, [&] {
            for (int i = 0; i < inner; ++i) sink(kp.sign(msg).data());
          }) / inner, "op");
  rep.add("ed25519 verify", median(o.reps, [&] {
            for (int i = 0; i < inner; ++i) g_sink = g_sink + ed25519::verify(kp.public_key(), msg, sig);
          }) / inner, "op");

  // Both vCPUs busy at once, distinct signatures (bench_verify_cost.cpp).
  rep.add("ed25519 verify, distinct signatures, 2 threads at once", ed25519_verify_two_threads(2000, o.reps), "op",
          "wall = 2 x wall time / verifications; cpu = both threads' CPU / verifications");

  // ---- BLS min_pk (client keys) ----
  auto sk = bls::SecretKey::random();
  auto pk = bls::public_key(sk);
  auto bsig = bls::sign(sk, msg);
  const int binner = 20;
  rep.add("bls min_pk sign (sig in G2)", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) sink(bls::sign(sk, msg).to_bytes().data());
          }) / binner, "op");
  rep.add("bls min_pk verify", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) g_sink = g_sink + bls::verify(pk, msg, bsig);
          }) / binner, "op");
  auto sig_bytes = bsig.to_bytes();
  rep.add("bls signature decode + subgroup check (G2)", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) g_sink = g_sink + bls::Signature::from_bytes(sig_bytes).ok();
          }) / binner, "op");

  // ---- BLS min_sig (threshold shares) ----
  // crypto/threshold.cpp keeps H(msg) of the last 16 statements: a replica hashes each statement
  // when it signs its share and again when it combines or verifies the group signature. "new
  // message" rows rotate through 64 messages, so every call hashes; "hashed before" rows repeat
  // one message, the replica's case.
  std::vector<Bytes> msgs;
  for (int i = 0; i < 64; ++i) msgs.push_back(to_bytes("rampart bench: message " + std::to_string(1000 + i) + "..."));
  size_t turn = 0;
  auto next_msg = [&]() -> const Bytes& { return msgs[turn++ % msgs.size()]; };
  auto dealing = threshold::deal(16, 11, as_bytes("bench"));
  const auto& d16 = *dealing;
  Bytes share = threshold::sign_share(d16.secrets[0], msg);
  rep.add("bls min_sig share sign (sig in G1), new message", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) sink(threshold::sign_share(d16.secrets[0], next_msg()).data());
          }) / binner, "op");
  rep.add("bls min_sig share sign, message hashed before", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) sink(threshold::sign_share(d16.secrets[0], msg).data());
          }) / binner, "op");
  rep.add("bls min_sig share verify", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) g_sink = g_sink + threshold::verify_share(d16.pub, 0, msg, share);
          }) / binner, "op", "free function: blst_core_verify");
  // What replicas use: BlsThresholdVerifier, Miller-loop lines of the G2 keys precomputed.
  const threshold::BlsThresholdVerifier v16(d16.pub);
  rep.add("bls min_sig share verify (BlsThresholdVerifier)", median(o.reps, [&] {
            for (int i = 0; i < binner; ++i) g_sink = g_sink + v16.verify_share(0, msg, share);
          }) / binner, "op", "precomputed G2 lines, message hashed before");
  {
    auto group_sig_of = [&](const Bytes& m) {
      std::vector<Share> ss;
      for (NodeId i = 0; i < d16.pub.t; ++i) ss.push_back({i, threshold::sign_share(d16.secrets[i], m)});
      return *threshold::interpolate(d16.pub, ss);
    };
    std::vector<Bytes> sigs;
    for (const auto& m : msgs) sigs.push_back(group_sig_of(m));
    const Bytes group_sig = group_sig_of(msg);
    rep.add("bls min_sig group sig verify (BlsThresholdVerifier), new message", median(o.reps, [&] {
              for (int i = 0; i < binner; ++i) {
                const size_t j = turn++ % msgs.size();
                g_sink = g_sink + v16.verify_group(msgs[j], sigs[j]);
              }
            }) / binner, "op", "precomputed G2 lines");
    rep.add("bls min_sig group sig verify, message hashed before", median(o.reps, [&] {
              for (int i = 0; i < binner; ++i) g_sink = g_sink + v16.verify_group(msg, group_sig);
            }) / binner, "op", "precomputed G2 lines");
  }

  // ---- threshold combine of nf shares ----
  for (uint32_t n : {4u, 16u}) {
    const uint32_t f = (n - 1) / 3, nf = n - f;
    auto d = *threshold::deal(n, nf, as_bytes("bench combine"));
    std::vector<Share> shares;
    for (NodeId i = 0; i < nf; ++i) shares.push_back({i, threshold::sign_share(d.secrets[i], msg)});
    threshold::BlsThresholdVerifier v(d.pub);
    const std::string tag = "n=" + std::to_string(n) + ", nf=" + std::to_string(nf);
    rep.add("threshold interpolate nf shares (" + tag + ")", median(o.reps, [&] {
              g_sink = g_sink + threshold::interpolate(d.pub, shares)->at(0);
            }), "combine", "Lagrange at 0 + G1 multi-scalar mult, shares decoded incl.");
    rep.add("threshold combine + verify group sig (" + tag + ")", median(o.reps, [&] {
              g_sink = g_sink + v.combine(msg, shares)->at(0);
            }), "combine", "optimistic path: interpolate, one pairing check; message hashed before (own share)");
  }

  // ---- distillation batch: keys, Merkle root, aggregate verification ----
  const uint32_t N = o.clients;
  std::printf("setting up %u client BLS keys and the batch (not measured)...\n", N);
  std::fflush(stdout);
  blst_scalar sk_sum;
  auto pks = client_keys(N, &sk_sum);
  std::vector<Bytes> entries;
  entries.reserve(N);
  for (uint32_t i = 0; i < N; ++i) entries.push_back(entry(i, 1));
  std::vector<ByteView> views(entries.begin(), entries.end());
  const Hash32 root = merkle::root(merkle::hash_leaves(views));
  // Every client signs the root; the generator holds all keys and signs once with their sum.
  const bls::Signature agg_sig = bls::sign(bls::SecretKey::from_scalar(sk_sum), root);
  if (!bls::fast_aggregate_verify(pks, root, agg_sig)) {
    std::fprintf(stderr, "bench: aggregate signature does not verify (bug)\n");
    return 1;
  }

  const Timing agg_bulk = median(o.reps, [&] { sink(bls::aggregate_public_keys(pks)->to_bytes().data()); });
  const Timing agg_one = median(o.reps, [&] {
    sink(bls::aggregate_public_keys_one_by_one(pks)->to_bytes().data());
  });
  const std::string nstr = std::to_string(N);
  rep.add("aggregate " + nstr + " BLS public keys, bulk blst_p1s_add", agg_bulk / N, "key");
  rep.add("aggregate " + nstr + " BLS public keys, one by one", agg_one / N, "key");
  rep.metric("pk aggregation speed-up bulk vs one-by-one (CPU)", agg_one.cpu_ns / agg_bulk.cpu_ns);

  const Timing mroot1 = median(o.reps, [&] { sink(merkle::root(merkle::hash_leaves(views)).data()); });
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const Timing mroot_mt = median(o.reps, [&] {
    sink(merkle::root(merkle::hash_leaves(views, hw), hw).data());
  });
  const auto leaf_hashes = merkle::hash_leaves(views);
  const Timing mleaves = median(o.reps, [&] { sink(merkle::hash_leaves(views)[0].data()); });
  const Timing minner = median(o.reps, [&] { sink(merkle::root(leaf_hashes).data()); });
  rep.add("merkle root over " + nstr + " entries (1 thread)", mroot1, "root", "24-byte entries, leaf hashing included");
  rep.add("  of which: leaf hashing", mleaves, "root");
  rep.add("  of which: inner levels (SIMD blake3_hash_many)", minner, "root");
  rep.add("merkle root over " + nstr + " entries (" + std::to_string(hw) + " threads)", mroot_mt, "root",
          "CPU column counts the calling thread only: read wall");

  // (b) one aggregate BLS verification for the whole batch: rebuild the root from the entries,
  // aggregate the public keys (bulk), one pairing check. Single-threaded.
  const Timing distilled = median(o.reps, [&] {
    Hash32 r = merkle::root(merkle::hash_leaves(views));
    auto apk = bls::aggregate_public_keys(pks);
    if (!apk || !bls::verify(*apk, r, agg_sig)) std::abort();
  });
  // (a) one Ed25519 verification per message, measured on a sample of distinct keys/messages.
  const uint32_t S = std::min(o.ed_sample, N);
  std::vector<ed25519::KeyPair> ekeys;
  std::vector<ed25519::Signature> esigs;
  ekeys.reserve(S);
  for (uint32_t i = 0; i < S; ++i) {
    Bytes seed(32, 0);
    std::memcpy(seed.data(), &i, 4);
    ekeys.push_back(*ed25519::KeyPair::from_seed(seed));
    esigs.push_back(ekeys.back().sign(entries[i]));
  }
  std::vector<ed25519::BatchItem> items;
  for (uint32_t i = 0; i < S; ++i) items.push_back({&ekeys[i].public_key(), entries[i], esigs[i]});
  const Timing ed_batch = median(o.reps, [&] {
    if (ed25519::verify_batch(items) != S) std::abort();
  });
  const Timing a = ed_batch / S, b = distilled / N;
  rep.add("(a) authenticate batch: ed25519 verify per message", a, "message",
          "measured on " + std::to_string(S) + " distinct signatures");
  rep.add("(b) authenticate batch: aggregate BLS + merkle root", b, "message",
          "whole batch of " + nstr + ": " + human_ns(distilled.cpu_ns) + " CPU");
  rep.metric("ratio a/b, thread CPU time (goal >= 50)", a.cpu_ns / b.cpu_ns);
  rep.metric("ratio a/b, wall time", a.wall_ns / b.wall_ns);

  rep.print();
  if (!o.json.empty() && !rep.write_json(o.json)) return 1;
  return 0;
}

Registration reg("crypto", [](CLI::App& bench) {
  auto opts = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand("crypto", "median cost of the crypto primitives and of batch authentication");
  cmd->add_option("--json", opts->json, "also write the results as JSON to this file");
  cmd->add_option("--clients", opts->clients, "batch size / number of client keys (default 65536)")
      ->check(CLI::Range(2u, 1u << 20));
  cmd->add_option("--reps", opts->reps, "repetitions per measurement; the median is reported (default 7)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--ed25519-sample", opts->ed_sample,
                  "signatures verified to price (a) per message (default 4096)")
      ->check(CLI::Range(1u, 1u << 20));
  cmd->callback([opts] { exit_code = run(*opts); });
});

}  // namespace
}  // namespace rampart::cli::bench
