// Delivery certificates for brokers' batches (replica/deliveries.hpp) with a fake host: shares
// only for final blocks that hold the slot executed, nf shares combined at the replica holding
// the broker's connection, a bad share dropped, the codec exact.
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
    books[i]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); });
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
  // Others hold no connection for it: they drop shares unverified and send nothing.
  books[1]->on_share(0, share_of(0));
  EXPECT_TRUE(hosts[1].frames.empty());
}

TEST_F(DeliveriesTest, NoShareForAFinalBlockThatHoldsAnotherSlot) {
  books[0]->executed(12, slot, {ref});
  books[0]->final_upto(12, [&](uint64_t k) { return digest_is(Hash32{2}, k); });  // a state transfer put another block there
  EXPECT_TRUE(hosts[0].out.empty());
  books[1]->executed(12, slot, {ref});
  books[1]->rolled_back(11);
  books[1]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); });
  EXPECT_TRUE(hosts[1].out.empty()) << "rolled back";
}

TEST_F(DeliveriesTest, ABadShareIsDroppedAndTheNextGoodOneCompletesTheCertificate) {
  books[0]->expect(2, 9, 55);
  for (uint32_t i = 0; i < 4; ++i) {
    books[i]->executed(12, slot, {ref});
    books[i]->final_upto(12, [&](uint64_t k) { return digest_is(slot, k); });
  }
  auto bad = share_of(1);
  bad.share[0] ^= 1;
  books[0]->on_share(1, bad);
  books[0]->on_share(2, share_of(2));
  EXPECT_TRUE(hosts[0].frames.empty());
  books[0]->on_share(3, share_of(3));
  ASSERT_EQ(hosts[0].frames.size(), 1u);
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
