// Who checks a CART proof (docs/decisions/008-proof-checks.md), four replica cores in one
// process: each block's proof is checked by its f + 1 checkers only, every replica still makes
// it final; a checker that never says it checked costs the others their own check, not
// finality; a bad reply share spoils a combination that clients refuse, and every client still
// gets a valid proof and every final block holds one.
#include <gtest/gtest.h>

#include "app/kv/op.hpp"
#include "broker_cluster.hpp"
#include "client/verify.hpp"
#include "ledger/verify.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {
namespace {
using namespace testing_cluster;

constexpr SinkId kSink = 40;

struct Cluster {
  MiniCluster w{nullptr};
  Clients c{8};
  std::map<uint32_t, uint64_t> seq;  // per client, the last sent

  // Client i puts a key through replica i mod n.
  void put(uint32_t i) {
    const auto& ed = c.ed[i];
    Bytes payload(ed.public_key().begin(), ed.public_key().end());
    const Bytes op = app::kv::encode_op(app::kv::put("k" + std::to_string(i), "v" + std::to_string(seq[i] + 1)));
    payload.insert(payload.end(), op.begin(), op.end());
    const Request req = make_request(c.principal(i), ++seq[i], std::move(payload), Ed25519Signer(ed));
    ASSERT_TRUE(w.core(i % kN).on_client_frame(kSink + i, Principal{c.principal(i), false, std::nullopt},
                                               client::encode_request_frame(req)));
  }
  // Every client's last request answered with a proof that verifies; counts the ones refused.
  bool answered(size_t* refused = nullptr) {
    size_t bad = 0;
    std::set<uint32_t> ok;
    for (const auto& f : w.frames) {
      auto m = client::decode_message(f.bytes);
      if (!m || m->tag != client::kTagReply) continue;
      const uint32_t i = static_cast<uint32_t>(f.sink - kSink);
      if (!seq.count(i) || m->reply.seq != seq[i]) continue;
      if (client::verify_reply(m->reply, c.principal(i), seq[i], w.group())) ok.insert(i);
      else ++bad;
    }
    if (refused) *refused = bad;
    return ok.size() == seq.size();
  }
  bool all_final_at(uint64_t k) {
    for (uint32_t r = 0; r < kN; ++r)
      if (w.host(r).store->last_final() < k) return false;
    return true;
  }
  uint64_t height() { return w.core(0).executor().last_executed(); }
  uint64_t checks() {
    uint64_t n = 0;
    for (uint32_t r = 0; r < kN; ++r) n += w.host(r).background_jobs;
    return n;
  }
};

bool is_checked_durable(const Bytes& wire) {
  if (wire.empty() || wire[0] != static_cast<uint8_t>(PeerTag::durable)) return false;
  auto d = decode_durable(ByteView(wire).subspan(1));
  return d && d->checked;
}

TEST(ProofChecks, FPlusOneReplicasCheckEachProofAndEveryReplicaMakesItFinal) {
  Cluster r;
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 8; ++i) r.put(i);
    ASSERT_TRUE(r.w.run_until([&] { return r.answered() && r.all_final_at(r.height()); }));
  }
  const uint64_t blocks = r.height();
  ASSERT_GE(blocks, 3u);
  EXPECT_EQ(r.checks(), 2 * blocks) << "f + 1 = 2 pairings a block, not n = 4";
  for (uint32_t k = 1; k <= blocks; ++k) {
    auto b = r.w.host(0).store->block(k);
    ASSERT_TRUE(b);
    EXPECT_TRUE(ledger::verify_proof(*b, r.w.group()));
  }
}

// Replica 1 checks its share of the blocks but never says so: the two replicas it should vouch
// to check those blocks themselves after kCheckAfterMs; nothing stalls.
TEST(ProofChecks, ACheckerThatNeverSaysItCheckedCostsTheOthersTheirOwnCheckNotFinality) {
  Cluster r;
  r.w.drop = [](uint32_t from, uint32_t, const Bytes& wire) { return from == 1 && is_checked_durable(wire); };
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 8; ++i) r.put(i);
    ASSERT_TRUE(r.w.run_until([&] { return r.answered() && r.all_final_at(r.height()); }));
  }
  const uint64_t blocks = r.height();
  EXPECT_GT(r.checks(), 2 * blocks) << "the blocks replica 1 checks cost the others a pairing each";
  EXPECT_LE(r.checks(), 4 * blocks);
}

// Replica 1 sends bad reply shares (the simulated network delivers its shares first): a
// combination with one is garbage. It reaches a client only if nf replicas combined the very
// same set (the client refuses it); it fails its check, is made again without replica 1, and
// every client gets a valid proof. No final block anywhere holds a bad proof.
TEST(ProofChecks, ABadShareSpoilsCombinationsWhichAreMadeAgainAndEveryClientGetsAValidProof) {
  Cluster r;
  r.w.tamper = [](uint32_t from, uint32_t, Bytes& wire) {
    if (from == 1 && !wire.empty() && wire[0] == static_cast<uint8_t>(PeerTag::share)) wire.back() ^= 0x5a;
  };
  size_t refused = 0;
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 8; ++i) r.put(i);
    ASSERT_TRUE(r.w.run_until([&] { return r.answered(&refused) && r.all_final_at(r.height()); }));
  }
  RecordProperty("replies_refused_by_clients", static_cast<int>(refused));
  uint64_t bad_proofs = 0;
  for (uint32_t rep = 0; rep < kN; ++rep) {
    bad_proofs += testing::metric_value(r.w.host(rep).reg, "rampart_bad_proofs_combined_total");
    for (uint64_t k = 1; k <= r.w.host(rep).store->last_final(); ++k) {
      auto b = r.w.host(rep).store->block(k);
      ASSERT_TRUE(b);
      EXPECT_TRUE(ledger::verify_proof(*b, r.w.group())) << "replica " << rep << " block " << k;
    }
  }
  EXPECT_GT(bad_proofs, 0u) << "spoilt combinations were made and caught (else this test tests nothing)";
}

}  // namespace
}  // namespace rampart::replica
