// The batcher and the batch authentication cache with a fake host (no sockets, timers or clock):
// adaptive closing, the hold and expiry bounds, forwarding, bundles, salting of re-ordered bytes,
// the fallback for a primary that ignores our batch, view changes, and checks done once.
#include "replica/batcher.hpp"

#include <gtest/gtest.h>

#include "replica/batch.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {
namespace {

class FakeHost final : public BatcherHost {
 public:
  void send_peer(consensus::NodeId to, Bytes wire) override { sent.push_back({to, std::move(wire)}); }
  void broadcast_peer(Bytes wire) override { sent.push_back({std::nullopt, std::move(wire)}); }
  void submit(Bytes slot) override { submitted.push_back(std::move(slot)); }
  uint64_t now_ms() override { return now; }
  void defer(std::function<void()> f) override { deferred.push_back(std::move(f)); }
  void arm_batch_timer(uint64_t after_ms) override { timer = after_ms; }
  void cancel_batch_timer() override { timer.reset(); }

  void run_deferred() {
    auto d = std::move(deferred);
    deferred.clear();
    for (auto& f : d) f();
  }

  uint64_t now = 10'000;
  std::vector<std::pair<std::optional<consensus::NodeId>, Bytes>> sent;
  std::vector<Bytes> submitted;
  std::vector<std::function<void()>> deferred;
  std::optional<uint64_t> timer;
};

Request req(ClientId c, uint64_t seq = 1) { return {c, seq, to_bytes("op"), to_bytes("sig")}; }

size_t requests_in(const Bytes& slot) {
  size_t n = 0;
  EXPECT_TRUE(for_each_request(slot, [&](const RequestView&) {
                ++n;
                return Status{};
              }).ok());
  return n;
}

class BatcherTest : public ::testing::Test {
 protected:
  explicit BatcherTest(consensus::NodeId self = 0, bool to_all = true) {
    Batcher::Params p;
    p.self = self;
    p.batch_size = 3;
    p.batch_timeout_ms = 2;
    p.view_timeout_ms = 1000;
    p.window = 16;
    p.forward_to_all = to_all;
    auth = std::make_unique<BatchAuth>([this](ByteView) { ++checks; return check_ok; }, true, reg);
    b = std::make_unique<Batcher>(p, *auth, host, reg);
    b->view_changed(0);
    b->open();
  }
  void fire() {
    ASSERT_TRUE(host.timer.has_value()) << "no batch timer armed";
    host.now += *host.timer;
    host.timer.reset();
    b->on_timer();
  }

  metrics::Registry reg;
  FakeHost host;
  size_t checks = 0;
  bool check_ok = true;
  std::unique_ptr<BatchAuth> auth;
  std::unique_ptr<Batcher> b;
};

TEST_F(BatcherTest, AnIdleRequestWaitsForTheTimerAFullBatchDoesNot) {
  b->add(req(1));
  EXPECT_TRUE(host.submitted.empty());
  EXPECT_EQ(host.timer, std::optional<uint64_t>(2));
  fire();
  ASSERT_EQ(host.submitted.size(), 1u);
  EXPECT_EQ(requests_in(host.submitted[0]), 1u);
  EXPECT_TRUE(auth->known(batch_digest(host.submitted[0]))) << "our own batch is never checked again";

  b->executed(host.submitted[0], batch_digest(host.submitted[0]));
  for (ClientId c = 2; c <= 4; ++c) b->add(req(c));
  ASSERT_EQ(host.submitted.size(), 2u) << "batch_size requests close the batch at once";
  EXPECT_EQ(requests_in(host.submitted[1]), 3u);
  EXPECT_FALSE(host.timer.has_value()) << "the timer went with the batch";
}

TEST_F(BatcherTest, WhileOurBatchIsInFlightRequestsGatherUntilItExecutes) {
  b->add(req(1));
  fire();
  ASSERT_EQ(host.submitted.size(), 1u);
  b->add(req(2));
  b->add(req(3));
  fire();
  EXPECT_EQ(host.submitted.size(), 1u) << "one slot of ours at a time as primary";
  EXPECT_TRUE(host.timer.has_value()) << "polls until an execution closes it";
  b->executed(host.submitted[0], batch_digest(host.submitted[0]));
  EXPECT_EQ(host.submitted.size(), 1u) << "not from inside the protocol's call";
  host.run_deferred();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(requests_in(host.submitted[1]), 2u);
}

TEST_F(BatcherTest, ALostBatchDelaysRequestsButNeverStrandsThem) {
  b->add(req(1));
  fire();
  b->add(req(2));
  while (host.submitted.size() == 1 && host.now < 10'000 + Batcher::kMaxBatchHoldMs + 10) fire();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_GE(host.now - 10'002, Batcher::kMaxBatchHoldMs) << "held at most kMaxBatchHoldMs";
  EXPECT_LE(host.now - 10'002, Batcher::kMaxBatchHoldMs + 2);
}

TEST_F(BatcherTest, RetriedBytesAreSaltedSoTheProtocolOrdersThemAgain) {
  b->add(req(1));
  fire();
  const Bytes first = host.submitted[0];
  b->executed(first, batch_digest(first));
  b->add(req(1));  // the client's retry alone forms the same batch
  fire();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_NE(batch_digest(host.submitted[1]), batch_digest(first));
  EXPECT_TRUE(is_bundle(host.submitted[1]));
  EXPECT_EQ(requests_in(host.submitted[1]), 1u);
}

TEST_F(BatcherTest, ThePrimaryBundlesForwardedBatchesWithItsOwnOnceEach) {
  Batch one{{req(7)}}, two{{req(8), req(9)}};
  const Bytes p1 = encode_batch(one), p2 = encode_batch(two);
  b->add(req(1));
  fire();  // our slot in flight: forwarded parts wait
  b->on_forwarded(p1, batch_digest(p1), 1);
  b->on_forwarded(p1, batch_digest(p1), 1);  // forwarded twice: waits once
  b->on_forwarded(p2, batch_digest(p2), 2);
  EXPECT_EQ(b->forwarded_pending(), 2u);
  b->executed(host.submitted[0], batch_digest(host.submitted[0]));
  host.run_deferred();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_TRUE(is_bundle(host.submitted[1]));
  EXPECT_EQ(requests_in(host.submitted[1]), 3u);
  EXPECT_EQ(b->forwarded_pending(), 0u);
}

// A faulty backup forwarding batches as fast as it likes fills only its 1/n share of the
// primary's queue; another backup's batch still gets in and is ordered.
TEST_F(BatcherTest, OneForwarderCannotCrowdTheOthersOutOfThePrimarysQueue) {
  b->add(req(1));
  fire();  // our slot in flight: forwarded parts wait
  const size_t share = Batcher::kMaxQueuedParts / 4;
  for (size_t i = 0; i < share + 10; ++i) {
    const Bytes p = encode_batch(Batch{{req(1000 + i)}});
    b->on_forwarded(p, batch_digest(p), 3);
  }
  EXPECT_EQ(b->forwarded_pending(), share);
  const Bytes honest = encode_batch(Batch{{req(7)}});
  b->on_forwarded(honest, batch_digest(honest), 1);
  EXPECT_EQ(b->forwarded_pending(), share + 1);
}

class BackupBatcherTest : public BatcherTest {
 protected:
  BackupBatcherTest() : BatcherTest(1) {}
};

TEST_F(BackupBatcherTest, ABackupForwardsItsBatchAndFallsBackOnlyAfterThePrimarysPatience) {
  b->add(req(1));
  fire();
  EXPECT_TRUE(host.submitted.empty()) << "the primary orders it, inside its bundle";
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_FALSE(host.sent[0].first.has_value()) << "with signatures every replica checks it early";
  EXPECT_EQ(host.sent[0].second[0], static_cast<uint8_t>(PeerTag::forward));
  host.now += 999;
  b->tick();
  EXPECT_TRUE(host.submitted.empty());
  host.now += 1;
  b->tick();
  ASSERT_EQ(host.submitted.size(), 1u) << "a primary that orders nothing is suspect after view_timeout_ms";
  b->tick();
  EXPECT_EQ(host.submitted.size(), 1u) << "handed over once";
  b->state_transferred();  // the protocol forgot it: ours to hand over again, after the patience
  b->tick();
  EXPECT_EQ(host.submitted.size(), 1u);
  host.now += 1000;
  b->tick();
  EXPECT_EQ(host.submitted.size(), 2u);
}

TEST_F(BackupBatcherTest, APrimaryThatKeepsOrderingOthersGetsEightTimesAsLong) {
  b->add(req(1));
  fire();
  Batch other{{req(5)}};
  const Bytes slot = encode_batch(other);
  host.now += 999;
  b->executed(slot, batch_digest(slot));  // the primary orders someone else's slot
  host.now += 1;
  b->tick();
  EXPECT_TRUE(host.submitted.empty());
  host.now += 7000;
  b->tick();
  EXPECT_EQ(host.submitted.size(), 1u);
}

TEST_F(BackupBatcherTest, AViewChangeResendsOrTakesOverForwardedBatches) {
  b->add(req(1));
  fire();
  host.sent.clear();
  b->view_changed(2);
  ASSERT_EQ(host.sent.size(), 1u);
  EXPECT_EQ(host.sent[0].first, std::optional<consensus::NodeId>(2));
  b->view_changed(1);  // we are the primary now: our batch goes into our next slot
  ASSERT_EQ(host.submitted.size(), 1u);
  EXPECT_EQ(requests_in(host.submitted[0]), 1u);
}

TEST_F(BackupBatcherTest, BatchesForwardedToABackupAreNotKept) {
  Batch one{{req(7)}};
  const Bytes p = encode_batch(one);
  b->on_forwarded(p, batch_digest(p), 1);
  EXPECT_EQ(b->forwarded_pending(), 0u);
}

TEST(BatcherClosed, NothingIsSubmittedBeforeTheRestartHandshakeEnds) {
  metrics::Registry reg;
  FakeHost host;
  BatchAuth auth([](ByteView) { return true; }, false, reg);
  Batcher b({}, auth, host, reg);
  b.view_changed(0);
  b.add(req(1));
  host.now += 5;
  b.on_timer();
  EXPECT_TRUE(host.submitted.empty());
  b.open();
  EXPECT_EQ(host.submitted.size(), 1u);
}

TEST(BatchAuthTest, EachPartIsCheckedOnceAndABadOneFailsTheWhole) {
  metrics::Registry reg;
  size_t checks = 0;
  bool ok = true;
  BatchAuth auth([&](ByteView) { ++checks; return ok; }, true, reg);
  const Bytes p1 = encode_batch(Batch{{req(1)}}), p2 = encode_batch(Batch{{req(2), req(3)}});
  EXPECT_TRUE(auth.authentic(p1, batch_digest(p1)));
  EXPECT_TRUE(auth.authentic(p1, batch_digest(p1)));
  EXPECT_EQ(checks, 1u);
  const Bytes bundle = encode_bundle({p1, p2});
  EXPECT_EQ(auth.unchecked_requests(bundle), 2u) << "p2's requests";
  EXPECT_TRUE(auth.authentic(bundle, batch_digest(bundle)));
  EXPECT_EQ(checks, 2u) << "only p2 is new";
  EXPECT_EQ(auth.unchecked_requests(bundle), 0u);
  ok = false;
  const Bytes p3 = encode_batch(Batch{{req(4)}});
  const Bytes bad = encode_bundle({p1, p3});
  EXPECT_FALSE(auth.authentic(bad, batch_digest(bad)));
  EXPECT_FALSE(auth.known(batch_digest(bad)));
  EXPECT_FALSE(auth.known(batch_digest(p3)));
}

}  // namespace
}  // namespace rampart::replica

namespace rampart::replica {
namespace {

// Light load: a slot far below the batch size holds the primary's next slot until its replies
// go out (Batcher::kLightFraction; docs/decisions/006, 007), so the requests that arrive
// meanwhile share one slot's threshold signatures instead of starting another.
class LightSlotTest : public ::testing::Test {
 protected:
  LightSlotTest() {
    Batcher::Params p;
    p.self = 0;
    p.batch_size = 100;
    p.batch_timeout_ms = 2;
    auth = std::make_unique<BatchAuth>([](ByteView) { return true; }, true, reg);
    b = std::make_unique<Batcher>(p, *auth, host, reg);
    b->view_changed(0);
    b->open();
  }
  void fire() {
    ASSERT_TRUE(host.timer.has_value());
    host.now += *host.timer;
    host.timer.reset();
    b->on_timer();
  }
  metrics::Registry reg;
  FakeHost host;
  std::unique_ptr<BatchAuth> auth;
  std::unique_ptr<Batcher> b;
};

TEST_F(LightSlotTest, ALightSlotHoldsTheNextUntilItsRepliesNotJustItsExecution) {
  b->add(req(1));
  fire();
  ASSERT_EQ(host.submitted.size(), 1u);
  const Bytes first = host.submitted[0];
  b->add(req(2));
  b->add(req(3));
  fire();
  EXPECT_EQ(host.submitted.size(), 1u);  // the first is in flight
  b->executed(first, batch_digest(first), 1);
  host.run_deferred();
  fire();
  EXPECT_EQ(host.submitted.size(), 1u) << "executed but not answered: still holds the next";
  b->answered(1);
  host.run_deferred();
  EXPECT_EQ(host.submitted.size(), 1u) << "released: waits one timeout for the client it answered";
  fire();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(requests_in(host.submitted[1]), 2u);  // both waiting requests in one slot
}

TEST_F(LightSlotTest, ARolledBackLightSlotReleasesTheNext) {
  b->add(req(1));
  fire();
  ASSERT_EQ(host.submitted.size(), 1u);
  b->executed(host.submitted[0], batch_digest(host.submitted[0]), 5);
  b->add(req(2));
  fire();
  EXPECT_EQ(host.submitted.size(), 1u);
  b->rolled_back(4);
  host.run_deferred();
  // The client of the rolled-back slot retries: with the one waiting, all are in.
  b->add(req(1, 2));
  EXPECT_EQ(host.submitted.size(), 2u);
}

TEST_F(LightSlotTest, AFullSlotIsReleasedAtExecution) {
  for (ClientId c = 1; c <= 100; ++c) b->add(req(c));  // full: closes at once
  ASSERT_EQ(host.submitted.size(), 1u);
  b->add(req(101));
  fire();
  EXPECT_EQ(host.submitted.size(), 1u);
  b->executed(host.submitted[0], batch_digest(host.submitted[0]), 1);
  host.run_deferred();
  EXPECT_EQ(host.submitted.size(), 2u);
}

// Light load, closed loop (docs/decisions/007-returning-requests.md): the clients a light slot
// answered come back about together; once as many requests are in as it carried, the next slot
// closes at once, and a slot never leaves with the first of them.
class ReturningRequestsTest : public LightSlotTest {
 protected:
  // Our slot `i` (of host.submitted) executed as block k and was answered.
  void settle(size_t i, uint64_t k) {
    b->executed(host.submitted.at(i), batch_digest(host.submitted.at(i)), k);
    b->answered(k);
    host.run_deferred();
  }
  void first_slot_of_three() {
    for (ClientId c = 1; c <= 3; ++c) b->add(req(c));
    fire();
    ASSERT_EQ(host.submitted.size(), 1u);
    ASSERT_EQ(requests_in(host.submitted[0]), 3u);
  }
};

TEST_F(ReturningRequestsTest, TheNextSlotClosesOnceAsManyRequestsAsTheLastCarriedAreIn) {
  first_slot_of_three();
  settle(0, 1);
  b->add(req(1, 2));
  b->add(req(2, 2));
  EXPECT_EQ(host.submitted.size(), 1u) << "two of the three are back";
  b->add(req(3, 2));
  ASSERT_EQ(host.submitted.size(), 2u) << "all three are back: no wait for the timer";
  EXPECT_EQ(requests_in(host.submitted[1]), 3u);
}

TEST_F(ReturningRequestsTest, ASlotWhoseClientsDoNotAllComeBackLeavesAfterOneTimeout) {
  first_slot_of_three();
  settle(0, 1);
  b->add(req(1, 2));
  fire();
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(requests_in(host.submitted[1]), 1u);
  // The last slot carried one: the next request alone closes the next one, once it is answered.
  settle(1, 2);
  b->add(req(2, 2));
  EXPECT_EQ(host.submitted.size(), 3u);
}

TEST_F(ReturningRequestsTest, AtReleaseTheFewWhoWaitedGatherWithTheReturningOnes) {
  first_slot_of_three();
  b->add(req(4));  // a client not in the slot in flight
  settle(0, 1);
  EXPECT_EQ(host.submitted.size(), 1u) << "one waiting, three expected back";
  ASSERT_TRUE(host.timer.has_value()) << "but it waits one timeout at most";
  b->add(req(1, 2));
  b->add(req(2, 2));
  EXPECT_EQ(host.submitted.size(), 1u);
  b->add(req(3, 2));
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(requests_in(host.submitted[1]), 4u);
}

// Two groups of clients alternating (one in flight while the other waits, as many each) merge:
// at the release the waiting group does not leave alone but waits for the group coming back.
// Closing as soon as as many as the last slot were in kept them apart (bench wallet --f 0).
TEST_F(ReturningRequestsTest, TwoAlternatingGroupsOfClientsMergeIntoOneSlot) {
  first_slot_of_three();
  for (ClientId c = 4; c <= 6; ++c) b->add(req(c));  // the other group, waiting
  settle(0, 1);
  EXPECT_EQ(host.submitted.size(), 1u)
      << "three waiting, as many as the last slot: still one group coming back";
  for (ClientId c = 1; c <= 3; ++c) b->add(req(c, 2));
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(requests_in(host.submitted[1]), 6u);
}

TEST_F(ReturningRequestsTest, ThePrimaryCountsTheRequestsOfForwardedBatches) {
  first_slot_of_three();
  settle(0, 1);
  Batch two;
  two.requests = {req(1, 2), req(2, 2)};
  const Bytes part = encode_batch(two);
  b->on_forwarded(part, batch_digest(part), 1);
  EXPECT_EQ(host.submitted.size(), 1u) << "two of three: the forwarded batch waits";
  b->add(req(3, 2));
  ASSERT_EQ(host.submitted.size(), 2u);
  EXPECT_EQ(requests_in(host.submitted[1]), 3u) << "one bundle of both";
}

TEST_F(ReturningRequestsTest, ABackupForwardsItsBatchOnceItsClientsAreBack) {
  b->view_changed(1);  // we are a backup now
  for (ClientId c = 1; c <= 2; ++c) b->add(req(c));
  fire();
  auto forwarded = [&] {
    size_t n = 0;
    for (const auto& [to, w] : host.sent)
      n += !w.empty() && w[0] == static_cast<uint8_t>(PeerTag::forward);
    return n;
  };
  ASSERT_EQ(forwarded(), 1u);
  b->add(req(1, 2));
  EXPECT_EQ(forwarded(), 1u);
  b->add(req(2, 2));
  EXPECT_EQ(forwarded(), 2u) << "both back: forwarded without waiting for the timer";
}

}  // namespace
}  // namespace rampart::replica
