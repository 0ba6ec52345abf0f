// The primary sends its CERTIFY as soon as the SUPPORT shares are interpolated and checks the
// combination after (normal_case.cpp, try_certify): real BLS threshold keys, since the fake
// keyring's combination is always checked. A good combination leaves once; a bad share makes a
// CERTIFY that no backup takes, nothing here acts on it, and the good one follows once nf good
// shares are in.
#include <gtest/gtest.h>

#include "crypto/threshold.hpp"
#include "poe_harness.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;
using namespace rampart::consensus::test;

namespace {

struct BlsPrimary {
  crypto::FakeKeyring keys{4, 3, 11};  // the Ed25519-like signatures of the protocol
  crypto::threshold::Dealing dealing = *crypto::threshold::deal(4, 3, as_bytes("poe certify test"));
  crypto::threshold::BlsThresholdVerifier tv{dealing.pub};
  crypto::threshold::BlsThresholdSigner own{dealing.secrets[0]};
  std::unique_ptr<crypto::Signer> sg = keys.signer(0);
  FakeEnv env;
  std::unique_ptr<Protocol> p;

  BlsPrimary() {
    Config cfg;
    cfg.n = 4;
    cfg.f = 1;
    cfg.self = 0;
    cfg.window = 8;
    cfg.checkpoint_interval = 4;
    cfg.max_inflight = 8;
    p = make_poe(cfg, Crypto{sg.get(), &keys.verifier(), &own, &tv}, env);
    p->start();
    env.out.clear();
  }
  // Backup i's SUPPORT for (k, d); a bad one is its share over k + 100: a valid point, a wrong share.
  Bytes support(NodeId i, const Hash32& d, bool good = true, Seq k = 1) const {
    const Bytes stmt = support_statement(0, good ? k : k + 100, d);
    return encode(Support{0, k, d, crypto::threshold::sign_share(dealing.secrets[i], stmt)});
  }
  // Proposes batch `name` (at the next k) and hands in backup 1's good share: one more makes nf.
  Hash32 propose(const std::string& name = "A", Seq k = 1) {
    const Bytes a = batch(name);
    p->submit(a);
    const Hash32 d = batch_digest(a);
    p->on_message(1, support(1, d, true, k));
    return d;
  }
  // The CERTIFYs sent for slot k so far, and whether each one's group signature verifies.
  std::vector<bool> certifies(const Hash32& d, Seq k = 1) const {
    std::vector<bool> out;
    for (const auto& s : of_type(env, MsgType::certify)) {
      auto c = decode_certify(s.msg, Limits{});
      EXPECT_TRUE(c.ok());
      EXPECT_EQ(s.to, kBroadcast);
      if (c.ok() && c->k == k) out.push_back(tv.verify_group(support_statement(0, k, d), c->group_sig));
    }
    return out;
  }
};

TEST(PoeCertify, AGoodCombinationLeavesOnceAndIsExecuted) {
  BlsPrimary t;
  const Hash32 d = t.propose();
  EXPECT_TRUE(t.certifies(d).empty()) << "own + one share are not nf";
  t.p->on_message(2, t.support(2, d));
  EXPECT_EQ(t.certifies(d), std::vector<bool>{true});
  EXPECT_EQ(t.env.execs.size(), 1u);
  t.p->on_message(3, t.support(3, d));
  EXPECT_EQ(t.certifies(d), std::vector<bool>{true}) << "certified: a later share changes nothing";
}

TEST(PoeCertify, ABadShareSendsACertifyNobodyTakesThenTheGoodOne) {
  BlsPrimary t;
  const Hash32 d = t.propose();
  const uint64_t before = t.p->stats().rejected_messages;
  t.p->on_message(2, t.support(2, d, /*good=*/false));
  EXPECT_EQ(t.certifies(d), std::vector<bool>{false}) << "sent before its check: a backup refuses it";
  EXPECT_TRUE(t.env.execs.empty()) << "nothing here acts on an unchecked combination";
  EXPECT_EQ(t.p->stats().rejected_messages, before + 1) << "the bad share is found and dropped";
  t.p->on_message(3, t.support(3, d));
  EXPECT_EQ(t.certifies(d), (std::vector<bool>{false, true}));
  EXPECT_EQ(t.env.execs.size(), 1u);
}

// A backup caught with a bad share is left out of the primary's later unchecked combinations:
// its next bad share costs no dud CERTIFY (each one a wasted pairing check at every backup).
TEST(PoeCertify, ASenderCaughtWithABadShareIsLeftOutOfTheNextUncheckedCombination) {
  BlsPrimary t;
  const Hash32 d1 = t.propose();
  t.p->on_message(2, t.support(2, d1, /*good=*/false));
  t.p->on_message(3, t.support(3, d1));
  ASSERT_EQ(t.certifies(d1), (std::vector<bool>{false, true}));
  const Hash32 d2 = t.propose("B", 2);
  t.p->on_message(2, t.support(2, d2, /*good=*/false, 2));
  EXPECT_TRUE(t.certifies(d2, 2).empty()) << "own, 1 and the caught 2: no unchecked combination with 2 in it";
  t.p->on_message(3, t.support(3, d2, true, 2));
  EXPECT_EQ(t.certifies(d2, 2), std::vector<bool>{true});
  EXPECT_EQ(t.env.execs.size(), 2u);
}

}  // namespace
