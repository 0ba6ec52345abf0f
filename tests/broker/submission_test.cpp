// The broker's submission policy towards the replicas, over the fake I/O (world.hpp): one
// replica per attempt, the entry replica (broker + number) mod n first, then the next one after
// resubmit_ms, the wait doubling up to max_resubmit_ms, until a valid Delivered arrives.
#include <gtest/gtest.h>

#include "world.hpp"

namespace rampart::broker::testing {
namespace {

struct Sent {
  uint32_t broker, replica;
  uint64_t number, at;
};

World::Options options(uint32_t clients, uint32_t brokers = 1) {
  World::Options o;
  o.clients = clients;
  o.brokers = brokers;
  o.broker.replicas = 4;
  o.broker.batch_size = clients;  // every test batch closes as soon as its clients submitted
  o.broker.resubmit_ms = 1000;
  o.broker.max_resubmit_ms = 8000;
  o.client.retransmit_ms = 100000;  // keep the clients quiet: only the broker's timers matter here
  return o;
}

Bytes payload(uint32_t i) { return to_bytes("msg" + std::to_string(i)); }

// Records every batch sent to a replica; drops those `down` says are lost.
void watch(World& w, std::vector<Sent>& log, std::function<bool(const Sent&)> down) {
  w.filter = [&w, &log, down = std::move(down)](Packet& p) {
    if (p.to != Packet::To::replica) return false;
    auto m = decode_replica_message(p.data);
    if (!m || !std::holds_alternative<DistilledBatch>(*m)) return false;
    log.push_back({p.broker, p.client, std::get<DistilledBatch>(*m).number, w.now()});
    return down(log.back());
  };
}

TEST(BrokerSubmission, EachBatchGoesOnlyToItsEntryReplica) {
  auto o = options(1, 2);
  World w(o);
  std::vector<Sent> log;
  watch(w, log, [](const Sent&) { return false; });
  // Two batches of broker 0, one message each: entry replicas 1 and 2.
  ASSERT_TRUE(w.client(0).submit(payload(0)).ok());
  w.run();
  ASSERT_TRUE(w.client(0).submit(payload(10)).ok());
  w.run();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].replica, 1u);  // (0 + 1) mod 4
  EXPECT_EQ(log[1].replica, 2u);  // (0 + 2) mod 4
  EXPECT_EQ(w.broker(0).entry_replica(1), 1u);
  EXPECT_EQ(w.broker(1).entry_replica(1), 2u);
  EXPECT_EQ(w.broker(1).entry_replica(3), 0u);
  ASSERT_TRUE(w.client(0).last_delivered().has_value());
  w.advance(60000);  // delivered: no resubmission ever
  EXPECT_EQ(log.size(), 2u);
  EXPECT_EQ(w.broker(0).stats().resubmissions, 0u);
  EXPECT_EQ(w.broker(0).stats().replica_sends, 2u);
  EXPECT_EQ(w.broker(0).undelivered(), 0u);
}

TEST(BrokerSubmission, SilentReplicasCostResubmissionsWithBackOffThenDeliveryStopsThem) {
  World w(options(3));
  std::vector<Sent> log;
  // Batch 1's entry replica is 1: replicas 1, 2 and 3 are down (lose everything); replica 0 answers.
  watch(w, log, [](const Sent& s) { return s.replica != 0; });
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  ASSERT_EQ(log.size(), 1u);
  const uint64_t t0 = log[0].at;
  EXPECT_EQ(log[0].replica, 1u);
  w.advance(999);
  EXPECT_EQ(log.size(), 1u);  // not before resubmit_ms
  w.advance(1);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].replica, 2u);
  EXPECT_EQ(log[1].at, t0 + 1000);
  w.advance(2000);  // the wait doubled
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].replica, 3u);
  EXPECT_EQ(log[2].at, t0 + 3000);
  EXPECT_FALSE(w.client(0).last_delivered().has_value());
  w.advance(4000);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[3].replica, 0u);  // wrapped around; replica 0 orders it
  EXPECT_EQ(log[3].at, t0 + 7000);
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(w.client(i).last_delivered().has_value()) << i;
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 1u);
  EXPECT_EQ(w.broker(0).undelivered(), 0u);
  w.advance(120000);
  EXPECT_EQ(log.size(), 4u);  // delivery stopped the resubmissions
  EXPECT_EQ(w.broker(0).stats().resubmissions, 3u);
  EXPECT_EQ(w.ordered.size(), 1u);
}

TEST(BrokerSubmission, WaitIsCappedAndResubmissionGoesOnUntilAReplicaAnswers) {
  World w(options(2));
  std::vector<Sent> log;
  bool all_down = true;
  watch(w, log, [&](const Sent&) { return all_down; });
  for (uint32_t i = 0; i < 2; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  w.advance(1000 + 2000 + 4000 + 8000 + 8000 + 8000 + 8000);
  ASSERT_EQ(log.size(), 8u);
  const uint64_t waits[] = {1000, 2000, 4000, 8000, 8000, 8000, 8000};
  for (size_t k = 0; k < 7; ++k) {
    EXPECT_EQ(log[k + 1].at - log[k].at, waits[k]) << k;
    EXPECT_EQ(log[k + 1].replica, (log[k].replica + 1) % 4) << k;
  }
  EXPECT_FALSE(w.client(0).last_delivered().has_value());
  all_down = false;  // the replicas recover
  w.advance(8000);
  ASSERT_EQ(log.size(), 9u);
  ASSERT_TRUE(w.client(0).last_delivered().has_value());
  ASSERT_TRUE(w.client(1).last_delivered().has_value());
  w.advance(60000);
  EXPECT_EQ(log.size(), 9u);
}

TEST(BrokerSubmission, ForgedDeliveredDoesNotStopResubmission) {
  World w(options(2));
  std::vector<Sent> log;
  watch(w, log, [](const Sent&) { return true; });  // every replica copy lost
  for (uint32_t i = 0; i < 2; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  ASSERT_EQ(log.size(), 1u);
  const Batch* b = w.broker(0).batch(1);
  ASSERT_NE(b, nullptr);
  DeliveryCert forged = w.certify(0, 1, 9, b->amended_root());
  forged.height = 10;  // the signature no longer matches
  w.broker(0).on_replica(1, encode(Delivered{forged}));
  DeliveryCert other_root = w.certify(0, 1, 9, Hash32{});  // genuine, but not this batch's root
  w.broker(0).on_replica(1, encode(Delivered{other_root}));
  w.advance(1000);
  EXPECT_EQ(log.size(), 2u);  // still resubmitting
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 0u);
  w.broker(0).on_replica(2, encode(Delivered{w.certify(0, 1, 9, b->amended_root())}));
  w.run();
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 1u);
  w.advance(60000);
  EXPECT_EQ(log.size(), 2u);
}

TEST(BrokerSubmission, UndeliveredBatchesAreKeptBeyondMaxBatches) {
  auto o = options(1);
  o.broker.batch_size = 1;
  o.broker.max_batches = 2;
  World w(o);
  std::vector<Sent> log;
  bool down = true;
  watch(w, log, [&](const Sent&) { return down; });
  // Five one-entry batches while no replica answers: the client core's first message, then four
  // more signed Submits under its id (the core holds one outstanding; these are raw).
  ASSERT_TRUE(w.client(0).submit(payload(0)).ok());
  w.run();
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    Submit s{0, seq, payload(100 + static_cast<uint32_t>(seq)), {}};
    s.sig = ed_key(0).sign(submit_statement(s.id, s.seq, s.payload));
    w.broker(0).on_client(0, encode(s));
    // Never reduced (the core is not waiting for these): distilled on the reduction timeout,
    // with the client as a straggler, before the next batch closes.
    w.advance(o.broker.reduction_timeout_ms);
  }
  EXPECT_EQ(w.broker(0).stats().batches_distilled, 5u);
  EXPECT_EQ(w.broker(0).undelivered(), 5u);
  for (uint64_t n = 1; n <= 5; ++n) EXPECT_NE(w.broker(0).batch(n), nullptr) << n;
  down = false;
  w.advance(o.broker.max_resubmit_ms);
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 5u);
  EXPECT_EQ(w.broker(0).undelivered(), 0u);
  EXPECT_EQ(w.ordered.size(), 5u);
}

// Back-pressure: with max_undelivered batches waiting for replicas that do not answer, a new
// message is dropped unanswered (counted as shed); a delivery makes room again.
TEST(BrokerSubmission, IntakeStopsWhileTooManyBatchesWaitAndResumesOnDelivery) {
  auto o = options(1);
  o.broker.batch_size = 1;
  o.broker.max_undelivered = 2;
  World w(o);
  std::vector<Sent> log;
  bool down = true;
  watch(w, log, [&](const Sent&) { return down; });
  auto raw_submit = [&](uint64_t seq) {
    Submit s{0, seq, payload(100 + static_cast<uint32_t>(seq)), {}};
    s.sig = ed_key(0).sign(submit_statement(s.id, s.seq, s.payload));
    w.broker(0).on_client(0, encode(s));
    w.advance(o.broker.reduction_timeout_ms);  // never reduced: distilled with a straggler
  };
  ASSERT_TRUE(w.client(0).submit(payload(0)).ok());
  w.run();
  raw_submit(1);
  EXPECT_EQ(w.broker(0).waiting(), 2u);
  EXPECT_EQ(w.broker(0).stats().shed, 0u);
  raw_submit(2);  // a third batch would exceed the bound
  EXPECT_EQ(w.broker(0).stats().shed, 1u);
  EXPECT_EQ(w.broker(0).stats().batches_proposed, 2u);
  EXPECT_EQ(w.broker(0).building(), 0u);  // not even queued for the next batch
  EXPECT_EQ(w.broker(0).stats().rejected, 0u);  // shed, not refused: it was valid
  down = false;
  w.advance(o.broker.max_resubmit_ms);
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 2u);
  EXPECT_EQ(w.broker(0).waiting(), 0u);
  raw_submit(3);
  EXPECT_EQ(w.broker(0).stats().shed, 1u);
  EXPECT_EQ(w.broker(0).stats().batches_proposed, 3u);
  w.advance(o.broker.max_resubmit_ms);
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 3u);
  EXPECT_EQ(w.ordered.size(), 3u);
}

// A restarted broker resumes numbering where it is told to (cmd_broker keeps the mark on disk),
// so its new batches never share a number with one certified before the restart.
TEST(BrokerSubmission, FirstNumberNamesTheFirstBatch) {
  auto o = options(2);
  o.broker.first_number = 1000;
  World w(o);
  for (uint32_t i = 0; i < 2; ++i) ASSERT_TRUE(w.client(i).submit(payload(i)).ok());
  w.run();
  ASSERT_EQ(w.ordered.size(), 1u);
  EXPECT_EQ(w.ordered[0].number, 1000u);
  EXPECT_EQ(w.broker(0).next_number(), 1001u);
  EXPECT_EQ(w.broker(0).stats().batches_delivered, 1u);
}

}  // namespace
}  // namespace rampart::broker::testing
