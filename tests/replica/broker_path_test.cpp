// The replica side of the broker path (replica/distilled.hpp, replica/deliveries.hpp): four
// replica cores in one process over a fake network and clock (no sockets, no sleeps), a
// broker's distilled batch handed to one of them, checked by its witnesses, ordered, executed
// once everywhere, and answered with a delivery certificate that verifies under the group key.
#include <gtest/gtest.h>

#include "app/kv/op.hpp"
#include "app/wallet/op.hpp"
#include "broker_cluster.hpp"
#include "metric_value.hpp"

namespace rampart::replica {
namespace {
using namespace testing_cluster;

TEST(BrokerPath, ADistilledBatchIsOrderedExecutedEverywhereAndCertified) {
  Clients c(8);
  MiniCluster w(&c.dir);
  const auto b = distil(c, 0, 1, 5, {0, 1, 2, 3, 4, 5, 6, 7}, "one", {{5, 3}});
  ASSERT_TRUE(w.core(2).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  const auto cert = *delivered(w, 0, 1);
  const auto roots = broker::batch_roots(b);
  EXPECT_EQ(cert.amended_root, roots.amended_root);
  EXPECT_NE(roots.amended_root, roots.root);  // the straggler's own seq is in the certified tree
  EXPECT_TRUE(w.group().verify_group(broker::delivery_statement(0, 1, cert.height, cert.amended_root), cert.group_sig));
  EXPECT_FALSE(w.group().verify_group(broker::delivery_statement(0, 1, cert.height + 1, cert.amended_root), cert.group_sig));
  // Every replica executed every entry once, at the raise (the straggler at its own seq).
  ASSERT_TRUE(w.run_until([&] {
    for (uint32_t r = 0; r < kN; ++r)
      if (w.core(r).executor().last_executed() < cert.height) return false;
    return true;
  }));
  for (uint32_t r = 0; r < kN; ++r) {
    for (uint32_t id = 0; id < 8; ++id) {
      auto e = w.core(r).executor().cached(c.principal(id));
      ASSERT_TRUE(e) << "replica " << r << " client " << id;
      EXPECT_EQ(e->seq, id == 5 ? 3u : 5u);
      EXPECT_EQ(e->k, cert.height);
    }
    EXPECT_EQ(w.core(r).executor().state_digest(), w.core(0).executor().state_digest());
  }
  // f + 1 = 2 replicas checked it (the entry replica and its next witness), not all four.
  uint64_t checked = 0;
  for (uint32_t r = 0; r < kN; ++r) checked += testing::metric_value(w.host(r).reg, "rampart_batch_parts_checked_total");
  EXPECT_EQ(checked, 1u);  // the entry replica checked it on arrival (no part check), its one other witness did
}

TEST(BrokerPath, TheSamePayloadsThroughAnotherReplicaAtAHigherRaiseAreAcknowledgedNotReExecuted) {
  Clients c(4);
  MiniCluster w(&c.dir);
  const auto first = distil(c, 0, 1, 2, {0, 1, 2, 3}, "same");
  ASSERT_TRUE(w.core(1).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(first)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  const uint64_t h1 = delivered(w, 0, 1)->height;
  // The same messages again (another batch number, raised higher), entered at another replica.
  const auto again = distil(c, 0, 2, 9, {0, 1, 2, 3}, "same");
  ASSERT_TRUE(w.core(3).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(again)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 2).has_value(); }));
  EXPECT_GT(delivered(w, 0, 2)->height, h1);
  for (uint32_t r = 0; r < kN; ++r) {
    ASSERT_TRUE(w.run_until([&] { return w.core(r).executor().last_executed() >= delivered(w, 0, 2)->height; }));
    for (uint32_t id = 0; id < 4; ++id) {
      auto e = w.core(r).executor().cached(c.principal(id));
      ASSERT_TRUE(e);
      EXPECT_EQ(e->seq, 2u) << "acknowledged at the seq it was executed at";
      EXPECT_EQ(e->k, h1) << "never executed a second time";
    }
  }
  // A new payload at a seq that is not higher is dropped; at a higher one it is executed.
  const auto stale = distil(c, 0, 3, 2, {0}, "new");
  const auto fresh = distil(c, 0, 4, 10, {1}, "new");
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(stale)));
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(fresh)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 3) && delivered(w, 0, 4); }));
  ASSERT_TRUE(w.run_until([&] { return w.core(2).executor().last_executed() >= delivered(w, 0, 4)->height; }));
  EXPECT_EQ(w.core(2).executor().cached(c.principal(0))->seq, 2u);
  EXPECT_EQ(w.core(2).executor().cached(c.principal(1))->seq, 10u);
}

TEST(BrokerPath, AForgedAggregateIsRefusedAndNothingIsOrdered) {
  Clients c(4);
  MiniCluster w(&c.dir);
  auto b = distil(c, 0, 1, 2, {0, 1, 2, 3}, "x");
  const auto other = distil(c, 0, 1, 2, {0, 1, 2, 3}, "y");
  b.aggregate = other.aggregate;  // valid signatures, over another root
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  EXPECT_EQ(testing::metric_value(w.host(0).reg, "rampart_broker_batches_refused_total"), 1u);
  w.run_until([] { return false; }, 3000);
  for (uint32_t r = 0; r < kN; ++r) EXPECT_EQ(w.core(r).executor().last_executed(), 0u);
  EXPECT_FALSE(delivered(w, 0, 1));
}

TEST(BrokerPath, OnlyTheBrokersOwnConnectionCarriesItsBatches) {
  Clients c(2);
  MiniCluster w(&c.dir);
  const auto b = distil(c, 0, 1, 1, {0, 1}, "x");
  EXPECT_FALSE(w.core(0).on_client_frame(kBrokerSink, broker_principal(1), broker::encode(b)));  // broker 1's key
  EXPECT_FALSE(w.core(0).on_client_frame(kBrokerSink, Principal{99, true, std::nullopt}, broker::encode(b)));  // a relay
  Bytes junk = broker::encode(b);
  junk.resize(junk.size() - 3);
  EXPECT_FALSE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), junk));
  EXPECT_EQ(testing::metric_value(w.host(0).reg, "rampart_broker_batches_refused_total"), 3u);
  w.run_until([] { return false; }, 2000);
  EXPECT_EQ(w.core(0).executor().last_executed(), 0u);
}

TEST(BrokerPath, ABatchLargerThanASlotIsRefusedAtTheEntryReplica) {
  Clients c(2);
  MiniCluster w(&c.dir);
  broker::DistilledBatch b;
  b.number = 1;
  b.raise = 1;
  for (uint32_t id = 0; id <= kMaxBatchRequests; ++id) b.entries.push(id, Bytes{1});
  b.has_aggregate = true;  // never checked: refused on its size first
  EXPECT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  EXPECT_EQ(testing::metric_value(w.host(0).reg, "rampart_broker_batches_oversize_total"), 1u);
  EXPECT_EQ(testing::metric_value(w.host(0).reg, "rampart_broker_batches_refused_total"), 1u);
}

// Replica 2 is cut off while a broker's batch is ordered, and stays away until a stable
// checkpoint lies above it, so it gets there by state transfer and never executes the batch;
// replica 3 (Byzantine) votes but withholds its delivery shares. Only replica 2's share can make
// nf: signing what it executed alone, it signed nothing and the broker waited for ever. It signs
// from its ledger once the transfer installs the block.
TEST(BrokerPath, AReplicaThatStateTransferredPastTheBatchStillSignsItsDelivery) {
  Clients c(4);
  MiniCluster w(&c.dir, "poe", "kv", {}, [](ClusterConfig& cfg) { cfg.checkpoint_interval = 4; });
  w.cut = {2};
  w.drop = [](uint32_t from, uint32_t, const Bytes& wire) {
    return from == 3 && !wire.empty() && wire[0] == static_cast<uint8_t>(PeerTag::delivery);
  };
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(distil(c, 0, 1, 1, {0, 1}, "x"))));
  ASSERT_TRUE(w.run_until([&] { return w.host(0).store->last_final() >= 1; }));
  const uint64_t height = w.host(0).store->last_final();
  // More slots (another broker's batches, through replica 1) until a checkpoint above the
  // batch is stable at the three.
  for (uint64_t n = 2; n < 14; ++n) {
    const uint64_t before = w.host(0).store->last_final();
    const auto more = distil(c, 1, n, n, {static_cast<uint32_t>(n % 4)}, "y" + std::to_string(n));
    ASSERT_TRUE(w.core(1).on_client_frame(kBrokerSink, broker_principal(1), broker::encode(more)));
    ASSERT_TRUE(w.run_until([&] { return w.host(0).store->last_final() > before; })) << n;
  }
  ASSERT_GE(w.host(0).store->last_final(), height + 2 * w.cfg.checkpoint_interval);
  ASSERT_TRUE(w.run_until([&] { return w.host(1).store->checkpoint() && w.host(1).store->checkpoint()->k > height; }));
  EXPECT_FALSE(delivered(w, 0, 1)) << "two shares are not nf";
  EXPECT_EQ(w.core(2).executor().last_executed(), 0u);

  w.cut.clear();
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }))
      << "replica 2 final at " << w.host(2).store->last_final() << ", transfers "
      << testing::metric_value(w.host(2).reg, "rampart_state_transfers_total");
  EXPECT_EQ(delivered(w, 0, 1)->height, height);
  EXPECT_GE(testing::metric_value(w.host(2).reg, "rampart_state_transfers_total"), 1u)
      << "replica 2 must have got past the batch by state transfer, not by executing it";
}

TEST(BrokerPath, WithoutAClientDirectoryBatchesAreRefused) {
  Clients c(2);
  MiniCluster w(nullptr);
  const auto b = distil(c, 0, 1, 1, {0, 1}, "x");
  EXPECT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  EXPECT_EQ(testing::metric_value(w.host(0).reg, "rampart_broker_batches_refused_total"), 1u);
}


// The wallet through a broker: a transfer is its own signed operation (each leg signed by its
// from-account), carried as a broker client's payload; the payload rule keeps a transfer that
// reaches the cluster twice from moving money twice.
broker::DistilledBatch wallet_batch(const Clients& c, uint64_t number, uint64_t raise,
                                    const std::vector<std::pair<uint32_t, Bytes>>& ops) {
  broker::DistilledBatch b;
  b.number = number;
  b.raise = raise;
  for (const auto& [id, op] : ops) b.entries.push(id, op);
  const Hash32 root = broker::batch_roots(b).root;
  std::vector<crypto::bls::Signature> sigs;
  for (const auto& [id, op] : ops) sigs.push_back(crypto::bls::sign(c.bls[id], broker::reduce_statement(root)));
  b.has_aggregate = true;
  b.aggregate = crypto::bls::aggregate_signatures(sigs)->to_bytes();
  return b;
}

// signed = false: no leg signature (the entry's own client vouches for a leg out of its account).
Bytes transfer(const Clients& c, uint32_t from, uint32_t to, uint64_t amount, uint64_t nonce, bool sign = true) {
  app::wallet::Leg leg;
  leg.from = c.ed[from].public_key();
  leg.to = c.ed[to].public_key();
  leg.amount = amount;
  leg.nonce = nonce;
  if (sign) {
    const auto sig = c.ed[from].sign(app::wallet::signing_message({leg}));
    std::copy(sig.begin(), sig.end(), leg.sig.begin());
  }
  app::wallet::Op op;
  op.type = app::wallet::OpType::transfer;
  op.legs = {leg};
  return app::wallet::encode_op(op);
}

std::optional<app::wallet::OpResult> wallet_result(MiniCluster& w, uint32_t r, ClientId who) {
  auto e = w.core(r).executor().cached(who);
  if (!e) return std::nullopt;
  auto res = app::wallet::decode_result(e->result);
  return res ? std::optional<app::wallet::OpResult>(*res) : std::nullopt;
}

TEST(BrokerPath, WalletTransfersThroughABrokerMoveMoneyOnceEach) {
  Clients c(3);
  const auto admin = c.ed[0].public_key();
  MiniCluster w(&c.dir, "poe", "wallet", {to_hex(ByteView(admin.data(), admin.size()))});
  const Bytes mint = transfer(c, 0, 1, 100, 0);  // the admin creates money for client 1
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(wallet_batch(c, 1, 1, {{0, mint}}))));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  const Bytes pay = transfer(c, 1, 2, 30, 0);
  // The mint again (another batch, a higher raise) beside client 1's payment.
  const auto second = wallet_batch(c, 2, 2, {{0, mint}, {1, pay}});
  ASSERT_TRUE(w.core(2).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(second)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 2).has_value(); }));
  ASSERT_TRUE(w.run_until([&] { return w.core(3).executor().last_executed() >= delivered(w, 0, 2)->height; }));
  for (uint32_t r = 0; r < kN; ++r) {
    auto paid = wallet_result(w, r, c.principal(1));
    ASSERT_TRUE(paid) << "replica " << r;
    EXPECT_EQ(paid->code, app::wallet::Code::ok) << paid->reason;
    // After the payment client 1 holds 100 - 30: the mint ran once, not twice.
    bool seen = false;
    for (const auto& e : paid->entries)
      if (e.account == c.ed[1].public_key()) {
        seen = true;
        EXPECT_EQ(e.balance, 70u);
      }
    EXPECT_TRUE(seen);
    EXPECT_EQ(w.core(r).executor().cached(c.principal(0))->seq, 1u) << "the repeated mint acknowledged at its first seq";
  }
}

// The distilled batch's aggregate authenticates each entry's client, so a transfer out of the
// client's own account needs no leg signature (Wallet::vouched); an unsigned leg out of anyone
// else's account is refused.
TEST(BrokerPath, AClientsOwnTransferNeedsNoLegSignature) {
  Clients c(3);
  const auto admin = c.ed[0].public_key();
  MiniCluster w(&c.dir, "poe", "wallet", {to_hex(ByteView(admin.data(), admin.size()))});
  const Bytes mint = transfer(c, 0, 1, 100, 0, false);  // the admin's own entry: unsigned too
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(wallet_batch(c, 1, 1, {{0, mint}}))));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  const Bytes pay = transfer(c, 1, 2, 30, 0, false);
  const Bytes theft = transfer(c, 1, 2, 50, 1, false);  // client 2's entry spending client 1's money
  ASSERT_TRUE(w.core(1).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(wallet_batch(c, 2, 2, {{1, pay}, {2, theft}}))));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 2).has_value(); }));
  for (uint32_t r = 0; r < kN; ++r) {
    ASSERT_TRUE(w.run_until([&] { return w.core(r).executor().last_executed() >= delivered(w, 0, 2)->height; }));
    auto paid = wallet_result(w, r, c.principal(1));
    ASSERT_TRUE(paid) << "replica " << r;
    EXPECT_EQ(paid->code, app::wallet::Code::ok) << paid->reason;
    for (const auto& e : paid->entries)
      if (e.account == c.ed[1].public_key()) {
        EXPECT_EQ(e.balance, 70u);
      }
    auto stolen = wallet_result(w, r, c.principal(2));
    ASSERT_TRUE(stolen) << "replica " << r;
    EXPECT_EQ(stolen->code, app::wallet::Code::bad_signature);
  }
}

// Byzantine brokers (issue 17): each lie gets no forged or duplicated operation executed, under
// either protocol.
class LyingBroker : public ::testing::TestWithParam<std::string> {};

TEST_P(LyingBroker, AReplayedBatchIsOrderedAgainButExecutesNothingTwice) {
  Clients c(4);
  MiniCluster w(&c.dir, GetParam());
  const auto b = distil(c, 0, 1, 3, {0, 1, 2, 3}, "once");
  ASSERT_TRUE(w.core(0).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  const uint64_t h1 = delivered(w, 0, 1)->height;
  w.frames.clear();
  // The very same bytes again, at another replica: ordered again (a broker may resubmit), but
  // every entry is acknowledged at its first execution.
  ASSERT_TRUE(w.core(2).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  // Answered (with a certificate of either execution: both are valid) and ordered a second time.
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  for (uint32_t r = 0; r < kN; ++r) {
    ASSERT_TRUE(w.run_until([&] { return w.core(r).executor().last_executed() > h1; }));
    for (uint32_t id = 0; id < 4; ++id) EXPECT_EQ(w.core(r).executor().cached(c.principal(id))->k, h1);
  }
}

TEST_P(LyingBroker, AForgedStragglerIsRefused) {
  Clients c(4);
  MiniCluster w(&c.dir, GetParam());
  auto b = distil(c, 0, 1, 3, {0, 1, 2, 3}, "x", {{2, 3}});
  b.stragglers[0].seq = 7;  // its signature was over seq 3
  ASSERT_TRUE(w.core(1).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  EXPECT_EQ(testing::metric_value(w.host(1).reg, "rampart_broker_batches_refused_total"), 1u);
  w.run_until([] { return false; }, 3000);
  for (uint32_t r = 0; r < kN; ++r) EXPECT_EQ(w.core(r).executor().last_executed(), 0u);
}

TEST_P(LyingBroker, OneBatchNumberWithDifferentContentsAtTwoReplicasExecutesEachClientOncePerSeq) {
  Clients c(4);
  MiniCluster w(&c.dir, GetParam());
  const auto a = distil(c, 0, 1, 3, {0, 1, 2, 3}, "left");
  const auto b = distil(c, 0, 1, 3, {0, 1, 2, 3}, "right");
  ASSERT_TRUE(w.core(1).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(a)));
  ASSERT_TRUE(w.core(3).on_client_frame(kBrokerSink + 1, broker_principal(0), broker::encode(b)));
  ASSERT_TRUE(w.run_until([&] {
    for (uint32_t r = 0; r < kN; ++r)
      if (w.core(r).executor().last_executed() < 2) return false;
    return true;
  }));
  // Both are signed by the clients, so both may be ordered; but each client's seq 3 executes
  // one payload only, the same one at every replica.
  const auto& ref = w.core(0).executor();
  for (uint32_t id = 0; id < 4; ++id) {
    const auto e = ref.cached(c.principal(id));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->seq, 3u);
    for (uint32_t r = 1; r < kN; ++r) EXPECT_EQ(w.core(r).executor().cached(c.principal(id)), e);
  }
  EXPECT_EQ(w.core(1).executor().state_digest(), ref.state_digest());
}

INSTANTIATE_TEST_SUITE_P(Protocols, LyingBroker, ::testing::Values("poe", "pbft"));

}  // namespace
}  // namespace rampart::replica
