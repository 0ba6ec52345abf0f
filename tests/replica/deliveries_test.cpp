// Delivery certificates for brokers' batches (replica/deliveries.hpp) with a fake host: shares
// for final blocks, from what was executed or else from what the ledger's block carries, nf
// shares combined at the replica holding the broker's connection, a bad share dropped, the codec
// exact.
#include "replica/deliveries.hpp"

#include <gtest/gtest.h>

#include "broker/entries.hpp"
#include "broker/replica_wire.hpp"
#include "crypto/fake.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {
namespace {

struct Host final : DeliveriesHost {
  void broadcast_peer(Bytes wire) override { out.push_back(std::move(wire)); }
  bool send_to_client(SinkId to, ByteView frame) override {
    frames.push_back({to, Bytes(frame.begin(), frame.end())});
    return true;
  }
  std::vector<Bytes> out;
  std::vector<std::pair<SinkId, Bytes>> frames;
};

class DeliveriesTest : public ::testing::Test {
 protected:
  DeliveriesTest() : keys(4, 3, 5) {
    for (uint32_t i = 0; i < 4; ++i) {
      signers.push_back(keys.threshold_signer(i));
      books.push_back(std::make_unique<Deliveries>(Deliveries::Params{i, 3}, *signers[i], keys.threshold_verifier(), hosts[i], reg[i]));
    }
  }
  static std::optional<Hash32> digest_is(const Hash32& d, uint64_t) { return d; }
  // What the ledger's final blocks carry when no test says otherwise: no broker batch.
  static std::vector<DistilledRef> no_batches(uint64_t) { return {}; }
  DeliveryShareMsg share_of(uint32_t i) {
    EXPECT_FALSE(hosts[i].out.empty());
    auto m = decode_delivery_share(ByteView(hosts[i].out.back()).subspan(1));
    EXPECT_TRUE(m.ok());
    return *m;
  }
  crypto::FakeKeyring keys;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> signers;
  Host hosts[4];
  metrics::Registry reg[4];
  std::vector<std::unique_ptr<Deliveries>> books;
  const Hash32 slot{1};
  const DistilledRef ref{2, 9, Hash32{7}};
};

TEST_F(DeliveriesTest, NfSharesOfFinalBlocksBecomeOneCertificateOnTheBrokersConnection) {
  books[0]->expect(2, 9, 55);
  for (uint32_t i = 0; i < 4; ++i) {
    books[i]->executed(12, slot, {ref});
    books[i]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); }, no_batches);
  }
  books[0]->on_share(1, share_of(1));
  EXPECT_TRUE(hosts[0].frames.empty()) << "two shares are not nf";
  books[0]->on_share(2, share_of(2));
  ASSERT_EQ(hosts[0].frames.size(), 1u);
  EXPECT_EQ(hosts[0].frames[0].first, 55u);
  auto m = broker::decode_replica_message(hosts[0].frames[0].second);
  ASSERT_TRUE(m.ok());
  const auto& c = std::get<broker::Delivered>(*m).cert;
  EXPECT_EQ(c.height, 12u);
  EXPECT_EQ(c.amended_root, ref.amended_root);
  EXPECT_TRUE(keys.threshold_verifier().verify_group(broker::delivery_statement(2, 9, 12, ref.amended_root), c.group_sig));
  // Others hold no connection for it: they keep the shares unverified and send nothing.
  books[1]->on_share(0, share_of(0));
  EXPECT_TRUE(hosts[1].frames.empty());
}

// A final block this replica did not execute as it stands (a state transfer or a replay put
// another slot at its height) is signed for the batches the ledger's block carries, never for
// the slot we executed there.
TEST_F(DeliveriesTest, AFinalBlockHoldingAnotherSlotIsSignedForWhatTheLedgerHolds) {
  const DistilledRef other{2, 10, Hash32{8}};
  books[0]->executed(12, slot, {ref});
  books[0]->final_upto(12, [&](uint64_t k) { return digest_is(Hash32{2}, k); },
                       [&](uint64_t k) { return k == 12 ? std::vector<DistilledRef>{other} : no_batches(k); });
  ASSERT_EQ(hosts[0].out.size(), 1u);
  EXPECT_EQ(share_of(0).number, other.number);
  EXPECT_EQ(share_of(0).amended_root, other.amended_root);
  books[1]->executed(12, slot, {ref});
  books[1]->rolled_back(11);
  books[1]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); }, no_batches);
  EXPECT_TRUE(hosts[1].out.empty()) << "rolled back, and the final block carries no batch";
}

// Replica 2 state-transferred past height 12, so it never executed the batch, and replica 3
// (Byzantine) is silent. Signing only what it executed, replica 2 sent nothing and the batch
// had two shares for ever; signing from the ledger it completes the certificate.
TEST_F(DeliveriesTest, AReplicaThatNeverExecutedTheBlockSignsFromTheLedger) {
  books[0]->expect(2, 9, 55);
  for (uint32_t i = 0; i < 2; ++i) {
    books[i]->executed(12, slot, {ref});
    books[i]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); }, no_batches);
  }
  std::vector<uint64_t> read;
  books[2]->final_upto(16, [&](uint64_t k) { return digest_is(slot, k); }, [&](uint64_t k) {
    read.push_back(k);
    return k == 12 ? std::vector<DistilledRef>{ref} : no_batches(k);
  });
  EXPECT_EQ(read.size(), 16u) << "every final height it did not execute is read off the ledger";
  books[0]->on_share(1, share_of(1));
  books[0]->on_share(2, share_of(2));
  ASSERT_EQ(hosts[0].frames.size(), 1u);
  auto m = broker::decode_replica_message(hosts[0].frames[0].second);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<broker::Delivered>(*m).cert.height, 12u);
}

// Each height is signed once; heights at or below signed_upto are skipped (a restart signs again
// only above its stable checkpoint); a rewind (a fork abandoned) signs them again once final.
TEST_F(DeliveriesTest, EachFinalHeightIsSignedOnceUntilRewound) {
  const DistilledRef low{2, 8, Hash32{5}};
  size_t reads = 0;
  auto ledger = [&](uint64_t k) {
    ++reads;
    return k == 8 ? std::vector<DistilledRef>{low} : k == 12 ? std::vector<DistilledRef>{ref} : no_batches(k);
  };
  auto digest = [&](uint64_t k) { return digest_is(slot, k); };
  books[0]->signed_upto(10);
  books[0]->final_upto(12, digest, ledger);
  EXPECT_EQ(reads, 2u);
  ASSERT_EQ(hosts[0].out.size(), 1u);
  EXPECT_EQ(share_of(0).height, 12u);
  books[0]->final_upto(12, digest, ledger);
  books[0]->final_upto(11, digest, ledger);
  EXPECT_EQ(reads, 2u);
  EXPECT_EQ(hosts[0].out.size(), 1u);
  books[0]->rewind(7);
  books[0]->final_upto(12, digest, ledger);
  EXPECT_EQ(reads, 7u);
  EXPECT_EQ(hosts[0].out.size(), 3u);
}

TEST_F(DeliveriesTest, ABadShareIsDroppedAndTheNextGoodOneCompletesTheCertificate) {
  books[0]->expect(2, 9, 55);
  for (uint32_t i = 0; i < 4; ++i) {
    books[i]->executed(12, slot, {ref});
    books[i]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); }, no_batches);
  }
  auto bad = share_of(1);
  bad.share[0] ^= 1;
  books[0]->on_share(1, bad);
  books[0]->on_share(2, share_of(2));
  EXPECT_TRUE(hosts[0].frames.empty());
  books[0]->on_share(3, share_of(3));
  ASSERT_EQ(hosts[0].frames.size(), 1u);
}

// The broker's first replica never answered; it resubmits to replica 1 once the batch is final
// everywhere (and is not ordered again): replica 1 combines the shares it kept meanwhile. A
// later resubmission, on another connection, gets the same certificate again.
TEST_F(DeliveriesTest, AReplicaHandedTheBatchAfterItWasFinalCombinesTheSharesItKept) {
  for (uint32_t i = 0; i < 4; ++i) {
    books[i]->executed(12, slot, {ref});
    books[i]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); }, no_batches);
  }
  books[1]->on_share(0, share_of(0));
  books[1]->on_share(2, share_of(2));
  EXPECT_TRUE(hosts[1].frames.empty());
  books[1]->expect(2, 9, 77);
  ASSERT_EQ(hosts[1].frames.size(), 1u);
  EXPECT_EQ(hosts[1].frames[0].first, 77u);
  auto m = broker::decode_replica_message(hosts[1].frames[0].second);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<broker::Delivered>(*m).cert.height, 12u);
  books[1]->expect(2, 9, 78);
  ASSERT_EQ(hosts[1].frames.size(), 2u);
  EXPECT_EQ(hosts[1].frames[1].first, 78u);
  EXPECT_EQ(hosts[1].frames[1].second, hosts[1].frames[0].second);
  // A replica that neither executed the batch nor was handed it keeps nothing.
  Host other;
  metrics::Registry r;
  Deliveries stranger(Deliveries::Params{3, 3}, *signers[3], keys.threshold_verifier(), other, r);
  stranger.on_share(0, share_of(0));
  EXPECT_EQ(stranger.kept(), 0u);
}

// A batch ordered twice (resubmitted during a view change) is final at two heights; each signer
// shares both, and they arrive in any order. Each signer's shares for its highest heights are
// kept, so the shares meet on a height nf replicas signed (each signer's latest arrival alone
// sat on different heights: sim poe f=1 seed 3718571820).
class DeliveriesAtTwoHeights : public DeliveriesTest {
 protected:
  void SetUp() override {
    books[0]->expect(2, 9, 55);
    sent.resize(4);
    for (uint32_t i = 0; i < 4; ++i) {
      books[i]->executed(12, slot, {ref});
      books[i]->executed(20, Hash32{3}, {ref});
      books[i]->final_upto(20, [&](uint64_t k) {
        return k == 12 ? std::optional<Hash32>(slot) : std::optional<Hash32>(Hash32{3});
      }, no_batches);
      for (const auto& w : hosts[i].out)
        sent[i].push_back(*decode_delivery_share(ByteView(w).subspan(1)));
      ASSERT_EQ(sent[i].size(), 2u);
      ASSERT_EQ(sent[i][0].height, 12u);
    }
  }
  uint64_t delivered_height() {
    EXPECT_EQ(hosts[0].frames.size(), 1u);
    if (hosts[0].frames.empty()) return 0;
    auto m = broker::decode_replica_message(hosts[0].frames[0].second);
    EXPECT_TRUE(m.ok());
    return m.ok() ? std::get<broker::Delivered>(*m).cert.height : 0;
  }
  std::vector<std::vector<DeliveryShareMsg>> sent;
};

TEST_F(DeliveriesAtTwoHeights, SharesMeetOnTheHighest) {
  books[0]->on_share(1, sent[1][1]);  // replica 1: height 20
  EXPECT_TRUE(hosts[0].frames.empty());
  books[0]->on_share(2, sent[2][1]);  // replica 2: height 20
  EXPECT_EQ(delivered_height(), 20u);
}

TEST_F(DeliveriesAtTwoHeights, SharesArrivingInAnyOrderMeetOnOneHeight) {
  books[0]->on_share(1, sent[1][1]);  // replica 1: height 20, then 12
  books[0]->on_share(1, sent[1][0]);
  EXPECT_TRUE(hosts[0].frames.empty()) << "two signers are not nf";
  books[0]->on_share(2, sent[2][0]);  // replica 2: 12; with ours and replica 1's 12, three
  EXPECT_EQ(delivered_height(), 12u);
  books[0]->on_share(2, sent[2][1]);
  EXPECT_EQ(hosts[0].frames.size(), 1u) << "one certificate per batch";
}

// Replica 2 state-transferred past height 20, so it signed only 12, and replica 3 (Byzantine)
// signs nothing: only height 12 has nf signers. Kept by the highest height alone, our share and
// replica 1's sat on 20 and the broker waited for ever.
TEST_F(DeliveriesAtTwoHeights, AReplicaThatSignedOnlyALowerHeightStillCompletesACertificate) {
  books[0]->on_share(1, sent[1][0]);
  books[0]->on_share(1, sent[1][1]);
  books[0]->on_share(2, sent[2][0]);
  EXPECT_EQ(delivered_height(), 12u);
}

// A Byzantine signer sending shares for many heights keeps only its few highest: the book stays
// bounded, and the correct replicas' shares still meet.
TEST_F(DeliveriesAtTwoHeights, ASignerKeepsOnlyItsHighestFewHeights) {
  for (uint64_t h = 100; h < 100 + 10 * Deliveries::kHeightsPerSigner; ++h) {
    DeliveryShareMsg m = sent[3][1];
    m.height = h;
    books[0]->on_share(3, m);  // bad shares: their heights never reach nf
  }
  EXPECT_TRUE(hosts[0].frames.empty());
  books[0]->on_share(1, sent[1][1]);
  books[0]->on_share(2, sent[2][1]);
  EXPECT_EQ(delivered_height(), 20u);
}

TEST(DeliveryShareCodec, RoundTripsExactlyAndRefusesTrailingBytes) {
  DeliveryShareMsg m{3, 4, 5, Hash32{6}, Bytes(48, 7)};
  const Bytes wire = encode_delivery_share(m);
  ASSERT_EQ(wire[0], static_cast<uint8_t>(PeerTag::delivery));
  auto d = decode_delivery_share(ByteView(wire).subspan(1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, m);
  Bytes longer = wire;
  longer.push_back(0);
  EXPECT_FALSE(decode_delivery_share(ByteView(longer).subspan(1)).ok());
}

}  // namespace
}  // namespace rampart::replica
