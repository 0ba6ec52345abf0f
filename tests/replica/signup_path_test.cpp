// Sign-up through consensus, end to end in one process (issue 17): four replica cores, a client
// signs its keys up with a direct request, gets its dense id in a CART-proven reply that checks as
// a sign-up certificate, and its message in a broker's distilled batch is then executed
// everywhere and certified. A batch naming an id whose sign-up is only speculative at the entry
// replica is refused there (replica/client_directory.hpp, SAFETY), and accepted once it is final.
#include <gtest/gtest.h>

#include "broker/signup.hpp"
#include "broker_cluster.hpp"
#include "client/signup.hpp"
#include "metric_value.hpp"

namespace rampart::replica {
namespace {
using namespace testing_cluster;

constexpr SinkId kClientSink = 5;

// Client i of `c` asks replica `r` to sign it up; returns the reply frame it got, once it came.
std::optional<Bytes> sign_up(MiniCluster& w, const Clients& c, uint32_t i, uint32_t r) {
  const auto& ed = c.ed[i];
  Bytes payload(ed.public_key().begin(), ed.public_key().end());
  const Bytes op = broker::encode_signup_op(crypto::bls::public_key(c.bls[i]), crypto::bls::prove_possession(c.bls[i]));
  payload.insert(payload.end(), op.begin(), op.end());
  const ClientId id = c.principal(i);
  const Request req = make_request(id, 1, std::move(payload), Ed25519Signer(ed));
  const size_t seen = w.frames.size();
  if (!w.core(r).on_client_frame(kClientSink + i, Principal{id, false, std::nullopt}, client::encode_request_frame(req)))
    return std::nullopt;
  std::optional<Bytes> reply;
  w.run_until([&] {
    for (size_t f = seen; f < w.frames.size(); ++f) {
      auto m = client::decode_message(w.frames[f].bytes);
      if (w.frames[f].sink == kClientSink + i && m && m->tag == client::kTagReply && m->reply.client == id) {
        reply = w.frames[f].bytes;
        return true;
      }
    }
    return false;
  });
  return reply;
}

bool all_final(MiniCluster& w, size_t signups) {
  for (uint32_t r = 0; r < kN; ++r)
    if (w.core(r).executor().directory().final_signups() < signups) return false;
  return true;
}

// Under either protocol.
class SignUpPath : public ::testing::TestWithParam<std::string> {};

TEST_P(SignUpPath, ASignedUpClientsMessageThroughABrokerIsExecutedAndCertified) {
  Clients c(2);
  MiniCluster w(nullptr, GetParam());  // no genesis directory: every id comes from a sign-up
  auto reply = sign_up(w, c, 0, 1);
  ASSERT_TRUE(reply);
  auto cert = client::check_signup_certificate(*reply, w.group());
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->id, 0u);
  EXPECT_EQ(cert->ed25519, c.ed[0].public_key());
  EXPECT_EQ(cert->bls, crypto::bls::public_key(c.bls[0]));
  auto second = sign_up(w, c, 1, 2);
  ASSERT_TRUE(second);
  EXPECT_EQ(client::check_signup_certificate(*second, w.group())->id, 1u) << "the next dense id";
  ASSERT_TRUE(w.run_until([&] { return all_final(w, 2); }));
  for (uint32_t r = 0; r < kN; ++r)
    EXPECT_EQ(w.core(r).executor().state_digest(), w.core(0).executor().state_digest()) << "replica " << r;

  const auto b = distil(c, 0, 1, 4, {0, 1}, "signed-up", {{1, 2}});
  ASSERT_TRUE(w.core(3).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  const uint64_t h = delivered(w, 0, 1)->height;
  for (uint32_t r = 0; r < kN; ++r) {
    ASSERT_TRUE(w.run_until([&] { return w.core(r).executor().last_executed() >= h; }));
    auto e0 = w.core(r).executor().cached(c.principal(0));
    auto e1 = w.core(r).executor().cached(c.principal(1));
    ASSERT_TRUE(e0 && e1) << "replica " << r;
    EXPECT_EQ(e0->k, h);
    EXPECT_EQ(e0->seq, 4u);  // the raise
    EXPECT_EQ(e1->seq, 2u);  // the straggler's own
    EXPECT_EQ(testing::metric_value(w.host(r).reg, "rampart_brokered_entries_skipped_total"), 0u);
  }

  // A forged certificate: another result under the same proof does not check.
  auto m = client::decode_message(*reply);
  m->reply.result.back() ^= 1;
  EXPECT_FALSE(client::check_signup_certificate(client::encode_reply(m->reply), w.group()));
}

TEST_P(SignUpPath, ABatchNamingAnIdSignedUpOnlySpeculativelyAtTheEntryReplicaIsRefusedThere) {
  Clients c(1);
  MiniCluster w(nullptr, GetParam());
  // Replica 3 (a backup) executes what the others order, but its syncs never finish, so no
  // block, and no sign-up, becomes final there.
  w.host(3).sync_frozen = true;
  auto reply = sign_up(w, c, 0, 0);
  ASSERT_TRUE(reply);
  ASSERT_TRUE(client::check_signup_certificate(*reply, w.group()));
  ASSERT_TRUE(w.run_until([&] { return w.core(3).executor().directory().signups() == 1; }));
  EXPECT_EQ(w.core(3).executor().directory().final_signups(), 0u);
  ASSERT_TRUE(w.core(3).executor().directory().find(0)) << "executed (speculatively) at replica 3";

  const auto b = distil(c, 0, 1, 3, {0}, "early");
  ASSERT_TRUE(w.core(3).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  EXPECT_EQ(testing::metric_value(w.host(3).reg, "rampart_broker_batches_refused_total"), 1u);
  w.run_until([] { return false; }, 3000);
  EXPECT_FALSE(delivered(w, 0, 1)) << "nothing ordered on a speculative sign-up";

  // Once final there, the same batch is accepted and delivered.
  w.host(3).thaw();
  ASSERT_TRUE(w.run_until([&] { return w.core(3).executor().directory().final_signups() == 1; }));
  ASSERT_TRUE(w.core(3).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  EXPECT_EQ(testing::metric_value(w.host(3).reg, "rampart_broker_batches_refused_total"), 1u);
}

TEST_P(SignUpPath, AReplicaCutOffDuringSignUpsCatchesUpWithTheDirectoryAndChecksBatchesAgainstIt) {
  constexpr uint32_t kClients = 12, kGenesis = 2;
  Clients c(kClients);
  // Clients 0 and 1 are the genesis directory, so sign-up ids continue at 2 (a snapshot's check
  // must know the genesis directory too: found by the simulator).
  broker::MemoryDirectory genesis;
  for (uint32_t i = 0; i < kGenesis; ++i) genesis.add_trusted(i, *c.dir.find(i));
  MiniCluster w(&genesis, GetParam(), "kv", {}, [](ClusterConfig& cfg) {
    cfg.checkpoint_interval = 2;  // so that the cut-off replica falls behind the others' checkpoints
    cfg.window = 4;
  });
  w.cut.insert(3);
  for (uint32_t i = kGenesis; i < kClients; ++i) {
    auto reply = sign_up(w, c, i, i % 3);
    ASSERT_TRUE(reply) << i;
    EXPECT_EQ(client::check_signup_certificate(*reply, w.group())->id, i);
  }
  EXPECT_EQ(w.core(3).executor().directory().signups(), 0u);
  w.cut.clear();
  ASSERT_TRUE(w.run_until([&] { return all_final(w, kClients - kGenesis); }, 60000));
  EXPECT_EQ(w.core(3).executor().state_digest(), w.core(0).executor().state_digest());
  // It caught up through a checkpoint's snapshot: the sign-ups came with the state.
  EXPECT_GE(testing::metric_value(w.host(3).reg, "rampart_state_transfers_total"), 1u);
  // Replica 3 checks (as entry replica) a batch of the clients it learnt from the others.
  const auto b = distil(c, 0, 1, 2, {0, 5, kClients - 1}, "late");
  ASSERT_TRUE(w.core(3).on_client_frame(kBrokerSink, broker_principal(0), broker::encode(b)));
  ASSERT_TRUE(w.run_until([&] { return delivered(w, 0, 1).has_value(); }));
  EXPECT_EQ(testing::metric_value(w.host(3).reg, "rampart_broker_batches_refused_total"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Protocols, SignUpPath, ::testing::Values("poe", "pbft"));

}  // namespace
}  // namespace rampart::replica
