// The client's checks against a lying broker: the test plays the broker, building proposals
// by hand (wrong root, ids out of order, a duplicated id, a missing neighbour, an illegitimate
// raise, forged deliveries); the client must refuse each without sending a reduction.
#include <gtest/gtest.h>

#include "world.hpp"

namespace rampart::broker::testing {
namespace {

struct Sent : ClientHost {
  std::vector<Bytes> msgs;
  uint64_t timers = 0;
  void send_broker(uint32_t, Bytes m) override { msgs.push_back(std::move(m)); }
  uint64_t now_ms() override { return 0; }
  void set_timer(uint64_t, uint64_t) override { ++timers; }
  size_t reductions() const {
    size_t n = 0;
    for (const auto& m : msgs) n += !m.empty() && m[0] == uint8_t(ClientKind::reduction);
    return n;
  }
};

// A proposal made by hand: entries (id, payload) in the order given, raise in every leaf.
struct Proposal {
  Entries e;
  uint64_t raise = 0;
  std::unique_ptr<crypto::merkle::Tree> tree;
  Proposal(std::vector<std::pair<ClientId, std::string>> entries, uint64_t r) : raise(r) {
    for (auto& [id, p] : entries) e.push(id, as_bytes(p));
    tree = std::make_unique<crypto::merkle::Tree>(entry_leaves(e, raise));
  }
  Inclusion for_index(uint32_t i) const {
    Inclusion m;
    m.broker = 0;
    m.number = 1;
    m.root = tree->root();
    m.raise = raise;
    m.proof = *tree->proof(i);
    auto nb = [&](uint32_t j) {
      return Neighbour{e.ids[j], Bytes(e.payload(j).begin(), e.payload(j).end()), *tree->proof(j)};
    };
    if (i > 0) m.left = nb(i - 1);
    if (i + 1 < e.size()) m.right = nb(i + 1);
    return m;
  }
};

class LyingBroker : public ::testing::Test {
 protected:
  LyingBroker() : world_(World::Options{}) {}
  // Client 9 with `seq`, its message "mine" submitted.
  std::unique_ptr<Client> client(uint64_t seq) {
    ClientConfig cc;
    cc.id = 9;
    cc.first_seq = seq;
    auto c = std::make_unique<Client>(cc, ed_key(9), bls_key(9), &world_.group(), host_);
    EXPECT_TRUE(c->submit(as_bytes("mine")).ok());
    return c;
  }
  // Feeds m; returns the rejection reason ("" if accepted and answered with a reduction).
  std::string offer(Client& c, const Inclusion& m) {
    const size_t before = host_.reductions(), rejected = c.stats().rejected;
    c.on_message(0, encode(m));
    if (c.stats().rejected > rejected) {
      EXPECT_EQ(host_.reductions(), before);
      return c.stats().last_rejection;
    }
    EXPECT_EQ(host_.reductions(), before + 1);
    return "";
  }
  World world_;
  Sent host_;
};

TEST_F(LyingBroker, HonestProposalIsAnsweredWithAValidReduction) {
  auto c = client(0);
  Proposal p({{3, "aaaa"}, {9, "mine"}, {12, "bbbb"}}, 0);
  EXPECT_EQ(offer(*c, p.for_index(1)), "");
  auto r = decode_client_message(host_.msgs.back());
  ASSERT_TRUE(r.ok());
  const auto& red = std::get<Reduction>(*r);
  auto raw = crypto::bls::UncheckedSignature::from_raw(red.sig);  // sent uncompressed
  ASSERT_TRUE(raw.ok());
  const crypto::bls::UncheckedSignature* one[] = {&*raw};
  auto sig = crypto::bls::aggregate_checked(one);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::bls::verify(crypto::bls::public_key(bls_key(9)), reduce_statement(p.tree->root()), *sig));
  // First and last positions have one neighbour each.
  auto c2 = client(0);
  Proposal first({{9, "mine"}, {12, "bbbb"}}, 0);
  EXPECT_EQ(offer(*c2, first.for_index(0)), "");
}

TEST_F(LyingBroker, WrongRootIsCaught) {
  auto c = client(0);
  Proposal p({{3, "aaaa"}, {9, "mine"}, {12, "bbbb"}}, 0);
  Inclusion m = p.for_index(1);
  m.root[0] ^= 1;
  EXPECT_NE(offer(*c, m).find("our entry is not a leaf"), std::string::npos);
  // Another payload under our id is not our entry either.
  Proposal q({{3, "aaaa"}, {9, "evil"}, {12, "bbbb"}}, 0);
  EXPECT_NE(offer(*c, q.for_index(1)).find("our entry is not a leaf"), std::string::npos);
}

TEST_F(LyingBroker, IdsNotStrictlyIncreasingAreCaught) {
  auto c = client(0);
  Proposal p({{3, "aaaa"}, {9, "mine"}, {7, "bbbb"}}, 0);
  EXPECT_NE(offer(*c, p.for_index(1)).find("ids not strictly increasing"), std::string::npos);
  Proposal q({{10, "aaaa"}, {9, "mine"}, {12, "bbbb"}}, 0);
  EXPECT_NE(offer(*c, q.for_index(1)).find("ids not strictly increasing"), std::string::npos);
}

TEST_F(LyingBroker, DuplicatedIdIsCaught) {
  auto c = client(0);
  // A second entry under our id, with the broker's payload: our signature on this root would
  // vouch for it too.
  Proposal p({{3, "aaaa"}, {9, "mine"}, {9, "evil"}}, 0);
  EXPECT_NE(offer(*c, p.for_index(1)).find("duplicated id"), std::string::npos);
  Proposal q({{9, "evil"}, {9, "mine"}, {12, "bbbb"}}, 0);
  EXPECT_NE(offer(*c, q.for_index(1)).find("duplicated id"), std::string::npos);
}

TEST_F(LyingBroker, HiddenOrMisplacedNeighbourIsCaught) {
  auto c = client(0);
  Proposal p({{3, "aaaa"}, {9, "mine"}, {9, "evil"}}, 0);
  Inclusion m = p.for_index(1);
  m.right.reset();  // hide the duplicate
  EXPECT_NE(offer(*c, m).find("right neighbour missing"), std::string::npos);
  // Show a far entry as the neighbour instead.
  Proposal q({{3, "aaaa"}, {9, "mine"}, {9, "evil"}, {12, "bbbb"}}, 0);
  Inclusion n = q.for_index(1);
  n.right = Neighbour{12, to_bytes("bbbb"), *q.tree->proof(3)};
  EXPECT_NE(offer(*c, n).find("not next to us"), std::string::npos);
}

TEST_F(LyingBroker, IllegitimateRaiseIsRefusedAndACertifiedOneAccepted) {
  auto c = client(5);
  Proposal low({{3, "aaaa"}, {9, "mine"}}, 4);
  EXPECT_NE(offer(*c, low.for_index(1)).find("below our sequence number"), std::string::npos);
  Proposal high({{3, "aaaa"}, {9, "mine"}}, 1'000'000);
  Inclusion m = high.for_index(1);
  EXPECT_NE(offer(*c, m).find("not legitimate"), std::string::npos);
  Hash32 r{};
  m.legitimacy = world_.certify(0, 1, 999'999, r);  // a genuine certificate, but too low
  EXPECT_NE(offer(*c, m).find("not legitimate"), std::string::npos);
  m.legitimacy = world_.certify(0, 1, 1'000'000, r);
  m.legitimacy->group_sig[3] ^= 1;  // forged
  EXPECT_NE(offer(*c, m).find("not legitimate"), std::string::npos);
  m.legitimacy = world_.certify(0, 1, 1'000'000, r);
  EXPECT_EQ(offer(*c, m), "");
  EXPECT_EQ(c->certified_height(), 1'000'000u);
}

TEST_F(LyingBroker, DeliveryIsAcceptedOnlyWhenItVerifies) {
  auto c = client(0);
  Proposal p({{3, "aaaa"}, {9, "mine"}, {12, "bbbb"}}, 0);
  ASSERT_EQ(offer(*c, p.for_index(1)), "");
  Delivery d;
  d.cert = world_.certify(0, 1, 40, p.tree->root());
  d.seq = 0;
  d.proof = *p.tree->proof(1);

  Delivery forged = d;
  forged.cert.group_sig[0] ^= 1;
  c->on_message(0, encode(forged));
  EXPECT_NE(c->stats().last_rejection.find("does not verify"), std::string::npos);
  Delivery other_seq = d;
  other_seq.seq = 3;  // a seq we never signed for
  c->on_message(0, encode(other_seq));
  EXPECT_NE(c->stats().last_rejection.find("never signed"), std::string::npos);
  Delivery wrong_leaf = d;
  wrong_leaf.proof = *p.tree->proof(2);
  c->on_message(0, encode(wrong_leaf));
  EXPECT_NE(c->stats().last_rejection.find("not a leaf"), std::string::npos);
  EXPECT_TRUE(c->busy());
  EXPECT_FALSE(c->last_delivered().has_value());

  c->on_message(0, encode(d));
  ASSERT_TRUE(c->last_delivered().has_value());
  EXPECT_FALSE(c->busy());
  EXPECT_EQ(c->next_seq(), 40u);
}

}  // namespace
}  // namespace rampart::broker::testing
