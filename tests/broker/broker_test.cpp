// The broker path end to end over the fake I/O (world.hpp): brokers, clients and a replica
// stand-in that verifies every distilled batch in full before it certifies a delivery.
#include <gtest/gtest.h>

#include "broker/token_bucket.hpp"
#include "world.hpp"

namespace rampart::broker::testing {
namespace {

World::Options options(uint32_t clients, uint32_t batch_size) {
  World::Options o;
  o.clients = clients;
  o.broker.batch_size = batch_size;
  o.broker.close_timeout_ms = 1000;
  o.broker.reduction_timeout_ms = 2000;
  o.client.retransmit_ms = 500;
  o.client.attempts_per_broker = 3;
  return o;
}

Bytes payload(uint32_t i) { return to_bytes("pay" + std::to_string(i) + "!!!!"); }

bool from_client(const Packet& p, uint32_t client, ClientKind k) {
  return p.to == Packet::To::broker && p.client == client && p.is(uint8_t(k));
}
bool to_client(const Packet& p, uint32_t client, ClientKind k) {
  return p.to == Packet::To::client && p.client == client && p.is(uint8_t(k));
}

std::string why(const World& w) { return w.replica_rejections.empty() ? "" : w.replica_rejections[0]; }

TEST(Broker, FullBatchDistilsToOneAggregate) {
  World w(options(64, 64));
  for (uint32_t i = 0; i < 64; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();  // no clock needed: the batch closes when full and distils once all reduced

  ASSERT_EQ(w.ordered.size(), 1u) << why(w);
  const DistilledBatch& b = w.ordered[0];
  EXPECT_EQ(b.entries.size(), 64u);
  EXPECT_TRUE(b.has_aggregate);
  EXPECT_TRUE(b.stragglers.empty());
  EXPECT_EQ(w.broker(0).stats().reduction_checks, 1u);  // one pairing check for the whole batch
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 1u);
  for (uint32_t i = 0; i < 64; ++i) {
    ASSERT_TRUE(w.client(i).last_delivered().has_value()) << i;
    EXPECT_EQ(w.client(i).last_delivered()->seq, b.raise);
    EXPECT_FALSE(w.client(i).busy());
  }
}

TEST(Broker, BatchClosesOnItsTimeout) {
  World w(options(3, 64));
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.advance(999);
  EXPECT_EQ(w.broker(0).building(), 3u);
  w.advance(1);
  EXPECT_EQ(w.broker(0).building(), 0u);
  ASSERT_EQ(w.ordered.size(), 1u) << why(w);
  EXPECT_EQ(w.ordered[0].entries.size(), 3u);
}

TEST(Broker, NonReducingClientBecomesStragglerIncludedByItsSignature) {
  auto o = options(8, 8);
  o.first_seq = {3, 9, 4, 5, 2, 7, 1, 6};  // raise = 9; client 3 keeps its own 5
  World w(o);
  w.announce_height(100);  // makes a raise up to 100 legitimate
  w.filter = [](Packet& p) { return from_client(p, 3, ClientKind::reduction); };
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  EXPECT_TRUE(w.ordered.empty());  // waiting for client 3's reduction
  w.advance(2000);                 // the reduction timeout

  ASSERT_EQ(w.ordered.size(), 1u) << why(w);  // the stand-in checked client 3's Ed25519 signature
  const DistilledBatch& b = w.ordered[0];
  EXPECT_EQ(b.raise, 9u);
  ASSERT_EQ(b.stragglers.size(), 1u);
  EXPECT_EQ(b.stragglers[0].id, 3u);
  EXPECT_EQ(b.stragglers[0].seq, 5u);
  EXPECT_TRUE(b.has_aggregate);
  for (uint32_t i = 0; i < 8; ++i) ASSERT_TRUE(w.client(i).last_delivered().has_value()) << i;
  EXPECT_EQ(w.client(3).last_delivered()->seq, 5u);  // delivered at its own seq
  EXPECT_EQ(w.client(0).last_delivered()->seq, 9u);  // the others at raise
  EXPECT_EQ(w.broker(0).stats().invalid_reductions, 0u);

  // The replicas reject the batch if the straggler's signature is forged.
  DistilledBatch forged = b;
  forged.stragglers[0].sig[5] ^= 1;
  EXPECT_FALSE(verify_distilled(forged, w.directory()).ok());
}

TEST(Broker, ForgedReductionIsIsolatedBySplittingAndTheHonestOnesDistil) {
  World w(options(16, 16));
  auto other = crypto::bls::SecretKey::from_seed(Bytes(32, 7));
  // Clients 5 and 11 answer with a signature by a key that is not theirs.
  w.filter = [&](Packet& p) {
    if (from_client(p, 5, ClientKind::reduction) || from_client(p, 11, ClientKind::reduction)) {
      auto m = decode_client_message(p.data);
      auto r = std::get<Reduction>(*m);
      r.sig = crypto::bls::sign(*other, reduce_statement(r.root)).to_raw();
      p.data = encode(r);
    }
    return false;
  };
  for (uint32_t i = 0; i < 16; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();

  ASSERT_EQ(w.ordered.size(), 1u) << why(w);
  const DistilledBatch& b = w.ordered[0];
  ASSERT_EQ(b.stragglers.size(), 2u);
  EXPECT_EQ(b.stragglers[0].id, 5u);
  EXPECT_EQ(b.stragglers[1].id, 11u);
  const auto& st = w.broker(0).stats();
  EXPECT_EQ(st.invalid_reductions, 2u);
  EXPECT_GT(st.reduction_checks, 1u);
  EXPECT_LT(st.reduction_checks, 16u);  // fewer checks than one per share
  for (uint32_t i = 0; i < 16; ++i) ASSERT_TRUE(w.client(i).last_delivered().has_value()) << i;
}

TEST(Broker, DroppedInclusionAndDeliveryAreRecoveredByRetransmission) {
  World w(options(4, 4));
  int inclusions_dropped = 0, deliveries_dropped = 0;
  w.filter = [&](Packet& p) {
    if (to_client(p, 2, ClientKind::inclusion) && inclusions_dropped == 0) return ++inclusions_dropped, true;
    if (to_client(p, 1, ClientKind::delivery) && deliveries_dropped == 0) return ++deliveries_dropped, true;
    return false;
  };
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  EXPECT_TRUE(w.ordered.empty());  // client 2 never saw its proof, so never reduced
  w.advance(500);                  // client 2 retransmits; the broker answers again
  ASSERT_EQ(w.ordered.size(), 1u) << why(w);
  EXPECT_TRUE(w.ordered[0].stragglers.empty());  // client 2 reduced in time after all
  EXPECT_TRUE(w.client(2).last_delivered().has_value());
  EXPECT_FALSE(w.client(1).last_delivered().has_value());  // its delivery was lost
  w.advance(1000);                                           // its retransmission fetches it again
  ASSERT_TRUE(w.client(1).last_delivered().has_value());
  EXPECT_EQ(inclusions_dropped, 1);
  EXPECT_EQ(deliveries_dropped, 1);
  EXPECT_GE(w.client(2).stats().retransmits, 1u);
  EXPECT_EQ(w.client(1).stats().retransmits, 2u);  // at 500 ms (proposal), at 1500 ms (delivery)
  EXPECT_EQ(w.ordered.size(), 1u);  // nothing was proposed twice
}

TEST(Broker, ALateCopyOfAnEarlierMessagesDeliveryIsStaleNotARejection) {
  World w(options(4, 4));
  std::optional<Bytes> copy;
  w.filter = [&](Packet& p) {
    if (to_client(p, 0, ClientKind::delivery) && !copy) copy = p.data;
    return false;
  };
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  w.advance(1000);
  ASSERT_TRUE(copy.has_value() && w.client(0).last_delivered().has_value()) << why(w);
  ASSERT_TRUE(w.client(0).submit(payload(9)).ok());  // the next message is outstanding now
  const auto before = w.client(0).stats();
  w.client(0).on_message(0, *copy);                 // e.g. the first one's delivery through another broker
  EXPECT_EQ(w.client(0).stats().stale, before.stale + 1);
  EXPECT_EQ(w.client(0).stats().rejected, before.rejected);
  EXPECT_TRUE(w.client(0).busy()) << "the outstanding message is not taken for delivered";
}

TEST(Broker, ClientMovesToAnotherBrokerWhenItsBrokerIsSilent) {
  auto o = options(1, 1);
  o.brokers = 2;
  World w(o);
  w.filter = [](Packet& p) { return p.to == Packet::To::broker && p.broker == 0; };  // broker 0 is down
  ASSERT_TRUE(w.client(0).submit(payload(0)).ok());
  w.advance(500 + 1000);  // two retransmissions to broker 0
  EXPECT_EQ(w.client(0).stats().broker_switches, 0u);
  w.advance(2000);        // the third: move on to broker 1
  EXPECT_EQ(w.client(0).stats().broker_switches, 1u);
  EXPECT_EQ(w.client(0).broker(), 1u);
  ASSERT_TRUE(w.client(0).last_delivered().has_value());
  EXPECT_EQ(w.client(0).last_delivered()->cert.broker, 1u);
}

TEST(Broker, ForgedDeliveryCertificateIsIgnored) {
  World w(options(2, 2));
  w.replicas_answer = false;
  for (uint32_t i = 0; i < 2; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  ASSERT_EQ(w.ordered.size(), 1u);
  const Batch* b = w.broker(0).batch(w.ordered[0].number);
  ASSERT_NE(b, nullptr);
  DeliveryCert c = w.certify(0, b->number(), 7, b->amended_root());
  DeliveryCert forged = c;
  forged.height = 8;  // signature no longer matches
  w.broker(0).on_replica(0, encode(Delivered{forged}));
  w.run();
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 0u);
  EXPECT_FALSE(w.client(0).last_delivered().has_value());
  w.broker(0).on_replica(0, encode(Delivered{c}));
  w.run();
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 1u);
  ASSERT_TRUE(w.client(0).last_delivered().has_value());
  EXPECT_EQ(w.client(0).last_delivered()->cert.height, 7u);
  EXPECT_EQ(w.client(0).next_seq(), 7u);  // the next message's seq: the certified height
}


TEST(Broker, ReductionFromAnotherAddressCannotTakeAClientsSlot) {
  World w(options(3, 3));
  // Client 0's reduction arrives first as a copy "from" client 2's address, carrying junk; the
  // broker must ignore it and still take client 0's own.
  bool injected = false;
  w.filter = [&](Packet& p) {
    if (!injected && from_client(p, 0, ClientKind::reduction)) {
      injected = true;
      auto r = std::get<Reduction>(*decode_client_message(p.data));
      r.sig = crypto::bls::sign(bls_key(77), reduce_statement(r.root)).to_raw();
      Packet fake{Packet::To::broker, p.broker, 2, encode(r)};
      w.broker(0).on_client(2, fake.data);  // a stranger (client 2's address) speaks first
    }
    return false;
  };
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  ASSERT_TRUE(injected);
  ASSERT_EQ(w.ordered.size(), 1u) << why(w);
  EXPECT_TRUE(w.ordered[0].stragglers.empty());  // client 0's genuine share counted
  EXPECT_EQ(w.broker(0).stats().invalid_reductions, 0u);
}


TEST(Broker, NextBatchRaiseIsLegitimisedByAnEarlierDelivery) {
  auto o = options(4, 2);
  o.first_height = 5;
  World w(o);
  // Batch 1: clients 0 and 1, delivered at height 5; their next seq is that height.
  ASSERT_TRUE(w.client(0).submit(payload(0)).ok());
  ASSERT_TRUE(w.client(1).submit(payload(1)).ok());
  w.run();
  ASSERT_TRUE(w.client(0).last_delivered().has_value());
  EXPECT_EQ(w.client(0).next_seq(), 5u);
  // Batch 2: clients 0 (seq 5) and 2 (seq 0): raise 5 is above anything client 2 has seen
  // certified; the broker's proposal carries batch 1's certificate, which makes it legitimate.
  ASSERT_TRUE(w.client(0).submit(payload(10)).ok());
  ASSERT_TRUE(w.client(2).submit(payload(2)).ok());
  w.run();
  ASSERT_EQ(w.ordered.size(), 2u) << why(w);
  EXPECT_EQ(w.ordered[1].raise, 5u);
  EXPECT_TRUE(w.ordered[1].stragglers.empty());
  EXPECT_EQ(w.client(2).stats().rejected, 0u) << w.client(2).stats().last_rejection;
  EXPECT_EQ(w.client(2).certified_height(), 6u);  // batch 2 itself was delivered at height 6
  ASSERT_TRUE(w.client(2).last_delivered().has_value());
  EXPECT_EQ(w.client(2).last_delivered()->seq, 5u);  // recorded at raise
  EXPECT_EQ(w.client(2).next_seq(), 6u);
}

}  // namespace
}  // namespace rampart::broker::testing

namespace rampart::broker {
namespace {

TEST(TokenBucket, GrantsTheBurstAtOnceThenTheRate) {
  TokenBucket b(1000, 64);  // 1,000 a second, 64 saved up
  EXPECT_EQ(b.take(0, 100), 64u);        // the burst
  EXPECT_EQ(b.take(0, 1), 0u);           // nothing left
  EXPECT_EQ(b.wait_us(0, 10), 10001u);   // 10 tokens take 10 ms
  EXPECT_EQ(b.take(10'000, 100), 10u);   // 10 ms later: 10 more
  EXPECT_EQ(b.take(1'000'000, 1000), 64u) << "never more than the burst, however long it waited";
}

}  // namespace
}  // namespace rampart::broker
