// `rampart bench broker-auth`: what it costs a server to authenticate a distilled batch of N
// messages through the broker code itself (decode the wire batch, broker::verify_distilled:
// Merkle tree of the payloads with raise, the non-stragglers' BLS keys summed, one pairing
// check, the stragglers patched into the amended tree and their Ed25519 signatures checked),
// per message, against one Ed25519 verification per message; N = 1,024 ... 65,536.
// docs/benchmarks.md ("Broker authentication") records the numbers and the command.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include "broker/replica_wire.hpp"
#include "broker/verify.hpp"
#include "cli/bench.hpp"
#include "cli/commands.hpp"
#include "crypto/merkle.hpp"

namespace rampart::cli::bench {
namespace {

using namespace rampart::broker;
namespace bls = rampart::crypto::bls;
namespace ed = rampart::crypto::ed25519;

struct Options {
  std::string json;
  std::string sizes = "1024,4096,16384,65536";
  double stragglers = 0.01;  // fraction of entries that did not reduce (besides a run with none)
  int reps = 5;
};

// Clients 0..n-1 with cheap keys: BLS sk_i = base + i, so pk_{i+1} = pk_i + G (set-up only;
// aggregation costs the same for any keys). Ed25519 keys from per-client seeds.
struct Clients {
  blst_fr base;
  std::vector<bls::PublicKey> bls_pks;
  std::vector<ed::KeyPair> ed_keys;
  MemoryDirectory dir;

  explicit Clients(uint32_t n) {
    bls::SecretKey b = *bls::SecretKey::from_seed(as_bytes("rampart bench broker-auth client keys"));
    blst_fr_from_scalar(&base, &b.scalar());
    std::vector<blst_p1> jac(n);
    blst_sk_to_pk_in_g1(&jac[0], &b.scalar());
    for (uint32_t i = 1; i < n; ++i) blst_p1_add_or_double(&jac[i], &jac[i - 1], blst_p1_generator());
    std::vector<const blst_p1*> ptrs(n);
    for (uint32_t i = 0; i < n; ++i) ptrs[i] = &jac[i];
    bls_pks.resize(n);
    blst_p1s_to_affine(reinterpret_cast<blst_p1_affine*>(bls_pks.data()), ptrs.data(), n);
    ed_keys.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      Bytes seed(32, 0x5e);
      std::memcpy(seed.data(), &i, 4);
      ed_keys.push_back(*ed::KeyPair::from_seed(seed));
      dir.add_trusted(i, {ed_keys.back().public_key(), bls_pks[i]});
    }
  }
  // Sum of the secret keys of clients `ids` (what signs the aggregate in one go).
  bls::SecretKey sum(const std::vector<uint32_t>& ids) const {
    blst_fr acc{}, i_fr;  // zero-initialised: the additive identity
    for (uint32_t i : ids) {
      uint64_t v[4] = {i, 0, 0, 0};
      blst_fr_from_uint64(&i_fr, v);
      blst_fr_add(&acc, &acc, &base);
      blst_fr_add(&acc, &acc, &i_fr);
    }
    blst_scalar s;
    blst_scalar_from_fr(&s, &acc);
    return bls::SecretKey::from_scalar(s);
  }
};

Bytes payload_of(uint32_t i) {
  uint64_t p = uint64_t(i) * 0x9e3779b97f4a7c15ULL;
  Bytes b(8);
  std::memcpy(b.data(), &p, 8);
  return b;
}
uint64_t seq_of(uint32_t i) { return i % 997; }

// A distilled batch of clients 0..n-1 (8-byte payloads) in which every `every`-th client is a
// straggler (every = 0: none), as a broker would put it on the wire.
Bytes make_batch(const Clients& c, uint32_t n, uint32_t every) {
  DistilledBatch b;
  b.broker = 0;
  b.number = 1;
  b.raise = 1000;
  std::vector<uint32_t> reducers;
  for (uint32_t i = 0; i < n; ++i) {
    b.entries.push(i, payload_of(i));
    if (every && i % every == every - 1) {
      const Bytes p = payload_of(i);
      b.stragglers.push_back({i, seq_of(i), c.ed_keys[i].sign(submit_statement(i, seq_of(i), p))});
    } else {
      reducers.push_back(i);
    }
  }
  const Hash32 root = crypto::merkle::root(entry_leaves(b.entries, b.raise));
  b.has_aggregate = !reducers.empty();
  if (b.has_aggregate) b.aggregate = bls::sign(c.sum(reducers), reduce_statement(root)).to_bytes();
  return encode(b);
}

Timing verify_wire(const Clients& c, const Bytes& wire, int reps) {
  return median(reps, [&] {
    auto m = decode_replica_message(wire);
    if (!m) std::abort();
    auto v = verify_distilled(std::get<DistilledBatch>(*m), c.dir);
    if (!v) {
      std::fprintf(stderr, "bench broker-auth: %s\n", v.error().message.c_str());
      std::abort();
    }
  });
}

Timing ed25519_each(const Clients& c, uint32_t n, int reps) {
  std::vector<Bytes> msgs;
  std::vector<ed::Signature> sigs;
  for (uint32_t i = 0; i < n; ++i) {
    msgs.push_back(submit_statement(i, seq_of(i), payload_of(i)));
    sigs.push_back(c.ed_keys[i].sign(msgs.back()));
  }
  std::vector<ed::BatchItem> items;
  for (uint32_t i = 0; i < n; ++i) items.push_back({&c.ed_keys[i].public_key(), msgs[i], sigs[i]});
  return median(reps, [&] {
    if (ed::verify_batch(items) != n) std::abort();
  });
}

int run(const Options& o) {
  std::vector<uint32_t> sizes;
  std::stringstream ss(o.sizes);
  for (std::string t; std::getline(ss, t, ',');) sizes.push_back(static_cast<uint32_t>(std::stoul(t)));
  uint32_t max_n = 0;
  for (uint32_t n : sizes) max_n = std::max(max_n, n);
  if (max_n == 0 || max_n > kMaxBatchEntries) {
    std::fprintf(stderr, "bench broker-auth: sizes must be 1..%u\n", kMaxBatchEntries);
    return 2;
  }
  const uint32_t every = o.stragglers > 0 ? static_cast<uint32_t>(1.0 / o.stragglers + 0.5) : 0;
  std::fprintf(stderr, "bench broker-auth: keys for %u clients ...\n", max_n);
  Clients c(max_n);
  Report rep("broker-auth");
  rep.param("reps", o.reps);
  rep.param("straggler_fraction", o.stragglers);
  struct Line {
    uint32_t n;
    Timing none, some, ed;
  };
  std::vector<Line> lines;
  for (uint32_t n : sizes) {
    std::fprintf(stderr, "bench broker-auth: N = %u ...\n", n);
    const std::string ns = std::to_string(n);
    Line l{n, verify_wire(c, make_batch(c, n, 0), o.reps) / n, {}, ed25519_each(c, n, o.reps) / n};
    if (every) l.some = verify_wire(c, make_batch(c, n, every), o.reps) / n;
    rep.add("distilled, N = " + ns + ", no stragglers", l.none, "message");
    if (every) rep.add("distilled, N = " + ns + ", 1 straggler in " + std::to_string(every), l.some, "message");
    rep.add("ed25519 verify each, N = " + ns, l.ed, "message");
    rep.metric("ratio ed25519/distilled N=" + ns + " (CPU)", l.ed.cpu_ns / l.none.cpu_ns);
    if (every) rep.metric("ratio ed25519/distilled N=" + ns + " with stragglers (CPU)", l.ed.cpu_ns / l.some.cpu_ns);
    lines.push_back(l);
  }
  // Where the time of the largest batch goes (no stragglers), each step alone.
  {
    const uint32_t n = max_n;
    const Bytes wire = make_batch(c, n, 0);
    const DistilledBatch b = std::get<DistilledBatch>(*decode_replica_message(wire));
    const std::string ns = std::to_string(n);
    rep.add("  N = " + ns + ": decode the wire batch", median(o.reps, [&] {
              if (!decode_replica_message(wire)) std::abort();
            }) / n, "message");
    Hash32 root{};
    rep.add("  N = " + ns + ": leaves + Merkle root", median(o.reps, [&] {
              root = crypto::merkle::root(entry_leaves(b.entries, b.raise));
            }) / n, "message");
    std::vector<const bls::PublicKey*> pks;
    for (uint32_t i = 0; i < n; ++i) pks.push_back(&c.dir.find(i)->bls);
    rep.add("  N = " + ns + ": sum of the BLS keys (blst_p1s_add)", median(o.reps, [&] {
              if (!bls::aggregate_public_key_refs(pks)) std::abort();
            }) / n, "message");
    const auto apk = *bls::aggregate_public_key_refs(pks);
    const auto sig = *bls::Signature::from_bytes(b.aggregate);
    rep.add("  N = " + ns + ": aggregate decode + hash to G2 + pairing check", median(o.reps, [&] {
              auto s2 = bls::Signature::from_bytes(b.aggregate);
              if (!s2 || !bls::verify(apk, reduce_statement(root), sig)) std::abort();
            }) / n, "message");
  }
  rep.print();
  std::printf("\n%8s %16s %16s %16s %10s %10s   (thread CPU per message)\n", "N", "distilled", "distilled+strag",
              "ed25519 each", "ratio", "ratio+strag");
  for (const auto& l : lines)
    std::printf("%8u %16s %16s %16s %9.0fx %9.0fx\n", l.n, human_ns(l.none.cpu_ns).c_str(),
                every ? human_ns(l.some.cpu_ns).c_str() : "-", human_ns(l.ed.cpu_ns).c_str(),
                l.ed.cpu_ns / l.none.cpu_ns, every ? l.ed.cpu_ns / l.some.cpu_ns : 0.0);
  if (!o.json.empty() && !rep.write_json(o.json)) return 1;
  return 0;
}

Registration reg("broker-auth", [](CLI::App& bench) {
  auto o = std::make_shared<Options>();
  auto* cmd = bench.add_subcommand("broker-auth",
                                   "server cost of authenticating a distilled batch vs Ed25519 per message");
  cmd->add_option("--sizes", o->sizes, "batch sizes N, comma-separated")->default_val(o->sizes);
  cmd->add_option("--stragglers", o->stragglers, "fraction of stragglers in the second run per N (0: skip)")
      ->default_val(o->stragglers);
  cmd->add_option("--reps", o->reps, "repetitions per measurement (median reported)")->default_val(o->reps);
  cmd->add_option("--json", o->json, "also write the results as JSON");
  cmd->callback([o] { exit_code = run(*o); });
});

}  // namespace
}  // namespace rampart::cli::bench
