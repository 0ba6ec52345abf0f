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
  Bytes support(NodeId i, const Hash32& d, bool good = true) const {
    const Bytes stmt = good ? support_statement(0, 1, d) : support_statement(0, 2, d);  // another k: a valid point, a wrong share
    return encode(Support{0, 1, d, crypto::threshold::sign_share(dealing.secrets[i], stmt)});
  }
  // Proposes batch "A" at k = 1 and hands in backup 1's good share: one more makes nf.
  Hash32 propose() {
    const Bytes a = batch("A");
    p->submit(a);
    const Hash32 d = batch_digest(a);
    p->on_message(1, support(1, d));
    return d;
  }
  // The CERTIFYs sent so far, and whether each one's group signature verifies.
  std::vector<bool> certifies(const Hash32& d) const {
    std::vector<bool> out;
    for (const auto& s : of_type(env, MsgType::certify)) {
      auto c = decode_certify(s.msg, Limits{});
      EXPECT_TRUE(c.ok());
      EXPECT_EQ(s.to, kBroadcast);
      out.push_back(c.ok() && tv.verify_group(support_statement(0, 1, d), c->group_sig));
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

}  // namespace
