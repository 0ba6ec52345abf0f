// A Byzantine broker against four replica processes: the test holds broker 0's key and its
// clients' keys (keygen --broker-clients) and speaks to the replicas' client ports itself, as a
// lying broker would. Each lie is refused or executes nothing new, and the cluster keeps
// delivering the honest batches that follow (issue 17).
#include <gtest/gtest.h>

#include "app/kv/op.hpp"
#include "broker/client_keys.hpp"
#include "broker/entries.hpp"
#include "broker/replica_wire.hpp"
#include "broker/verify.hpp"
#include "client/group_key.hpp"
#include "cluster_fixture.hpp"
#include "keys/secrets.hpp"
#include "raw_channel.hpp"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// A batch of clients 0..n-1, each putting key k<id> = value, every client reducing (or the listed
// ones as stragglers at their own seq).
broker::DistilledBatch batch(const std::vector<broker::ClientSecrets>& cs, uint32_t n, uint64_t number, uint64_t raise,
                             const std::string& value, std::optional<uint32_t> straggler = std::nullopt) {
  broker::DistilledBatch b;
  b.number = number;
  b.raise = raise;
  for (uint32_t i = 0; i < n; ++i) b.entries.push(cs[i].id, app::kv::encode_op(app::kv::put("k" + std::to_string(i), value)));
  if (straggler) {
    broker::Straggler s;
    s.id = cs[*straggler].id;
    s.seq = raise;
    const auto sig = cs[*straggler].ed25519.sign(broker::submit_statement(s.id, s.seq, b.entries.payload(*straggler)));
    std::copy(sig.begin(), sig.end(), s.sig.begin());
    b.stragglers.push_back(s);
  }
  const Hash32 root = broker::batch_roots(b).root;
  std::vector<crypto::bls::Signature> sigs;
  for (uint32_t i = 0; i < n; ++i)
    if (!straggler || *straggler != i) sigs.push_back(crypto::bls::sign(cs[i].bls, broker::reduce_statement(root)));
  b.has_aggregate = true;
  b.aggregate = crypto::bls::aggregate_signatures(sigs)->to_bytes();
  return b;
}

// The next Delivered for (broker 0, number) on ch whose certificate verifies, within `within`.
std::optional<broker::DeliveryCert> await_delivered(RawChannel& ch, uint64_t number,
                                                    const crypto::ThresholdVerifier& group,
                                                    std::chrono::milliseconds within = 30s) {
  const auto end = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < end) {
    auto f = ch.recv(500ms);
    if (!f) continue;
    auto m = broker::decode_replica_message(*f);
    auto* d = m ? std::get_if<broker::Delivered>(&*m) : nullptr;
    if (!d || d->cert.number != number) continue;
    const auto& c = d->cert;
    if (group.verify_group(broker::delivery_statement(c.broker, c.number, c.height, c.amended_root), c.group_sig)) return c;
  }
  return std::nullopt;
}

// Four replicas and what the lying broker 0 holds: its clients' keys, its own key, the group key.
class BrokerByzantine : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(start(), ""); }
  LocalCluster cluster{4, "poe", "--brokers 1 --broker-clients 8"};
  const ClusterConfig& cfg = cluster.config();
  Result<std::vector<broker::ClientSecrets>> cs = err("not loaded");
  std::optional<client::SigningKey> key;
  std::shared_ptr<const crypto::ThresholdVerifier> group;

 private:
  // Starts the replicas and loads the keys; empty when all went well.
  std::string start() {
    cluster.start_all();
    if (!cluster.wait_up(60s)) return "the cluster did not come up";
    cs = broker::load_client_secrets(cfg.resolve(broker::kClientSecretsFile));
    if (!cs) return cs.error().message;
    auto sec = keys::load_secrets(cfg.resolve(cfg.brokers[0].key_file));
    if (!sec) return sec.error().message;
    key = client::SigningKey{Bytes(sec->ed25519_secret.begin() + 32, sec->ed25519_secret.end()), sec->ed25519_secret};
    auto g = client::make_group_verifier(cfg);
    if (!g) return g.error().message;
    group = *g;
    return "";
  }
};

// Sends `wire` and waits for its verified Delivered, sending it again every 2 s as a broker
// does: a replica still in its restart handshake right after start-up drops batches (the
// batcher is closed until then; a broker re-sends), so one send may not be enough.
std::optional<broker::DeliveryCert> send_until_delivered(RawChannel& ch, const Bytes& wire, uint64_t number,
                                                         const crypto::ThresholdVerifier& group) {
  const auto end = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < end) {
    if (!ch.send(wire)) return std::nullopt;
    if (auto c = await_delivered(ch, number, group, 2s)) return c;
  }
  return std::nullopt;
}

TEST_F(BrokerByzantine, LyingBatchesAreRefusedAndTheClusterKeepsDelivering) {
  auto ch = RawChannel::open(cfg, 1, *key);
  ASSERT_TRUE(ch);

  // Lies, each a well-formed batch: a forged aggregate (valid signatures over another root), a
  // forged straggler (its signature was for another seq), a client the directory does not know.
  auto forged = batch(*cs, 4, 1, 5, "forged");
  forged.aggregate = batch(*cs, 4, 1, 5, "other").aggregate;
  auto straggler = batch(*cs, 4, 2, 5, "forged", 3);
  straggler.stragglers[0].seq = 6;
  auto unknown = batch(*cs, 4, 3, 5, "forged");
  unknown.entries.ids.back() = 999;
  for (const auto* b : {&forged, &straggler, &unknown}) ASSERT_TRUE(ch->send(broker::encode(*b)));
  ASSERT_TRUE(cluster.wait_metric_at_least(1, "rampart_broker_batches_refused_total", 3, 10000ms));

  // An honest batch after them is ordered and certified: the lies did not stall anything.
  const auto honest = batch(*cs, 4, 4, 5, "one");
  ASSERT_TRUE(ch->send(broker::encode(honest)));
  auto cert = await_delivered(*ch, 4, *group);
  ASSERT_TRUE(cert) << "no delivery certificate for the honest batch";
  EXPECT_EQ(cert->amended_root, broker::batch_roots(honest).amended_root);

  // The same batch number with other contents at the same raise, entered at another replica:
  // signed by the clients, so it may be ordered, but their seq 5 already executed "one".
  auto ch3 = RawChannel::open(cfg, 3, *key);
  ASSERT_TRUE(ch3);
  ASSERT_TRUE(ch3->send(broker::encode(batch(*cs, 4, 4, 5, "two"))));
  EXPECT_TRUE(await_delivered(*ch3, 4, *group));
  for (int i = 0; i < 4; ++i) {
    auto [code, out] = run_cli({"kv", "get", "--config", cluster.config_file().string(), "k" + std::to_string(i)});
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("one"), std::string::npos) << out;
    EXPECT_EQ(out.find("forged"), std::string::npos) << out;
    EXPECT_EQ(out.find("two"), std::string::npos) << out;
  }

  // A batch under another broker's id: the connection is closed, nothing is ordered from it.
  auto ch2 = RawChannel::open(cfg, 2, *key);
  ASSERT_TRUE(ch2);
  auto other = batch(*cs, 4, 5, 9, "forged");
  other.broker = 7;
  ASSERT_TRUE(ch2->send(broker::encode(other)));
  EXPECT_TRUE(cluster.wait_metric_at_least(2, "rampart_broker_batches_refused_total", 1, 10000ms));
}

// Replays against replica processes: a delivered batch's very bytes again, later and at another
// replica, and the same contents under a new number, after newer values executed. Neither may
// execute anything again (the per-id dedup after ordering: a payload needs a seq above the
// last one executed for its id). A batch whose ids are not strictly increasing never decodes.
TEST_F(BrokerByzantine, ReplayedAndRenumberedBatchesExecuteNothingAgain) {
  auto ch1 = RawChannel::open(cfg, 1, *key);
  ASSERT_TRUE(ch1);
  auto values = [&](const std::string& want) {
    for (int i = 0; i < 4; ++i) {
      auto [code, out] = run_cli({"kv", "get", "--config", cluster.config_file().string(), "k" + std::to_string(i)});
      if (code != 0 || out.find(want) == std::string::npos) return "k" + std::to_string(i) + ": " + out;
    }
    return std::string();
  };

  const auto first = batch(*cs, 4, 1, 5, "one");
  ASSERT_TRUE(send_until_delivered(*ch1, broker::encode(first), 1, *group));
  const auto second = batch(*cs, 4, 2, 6, "three");
  ASSERT_TRUE(send_until_delivered(*ch1, broker::encode(second), 2, *group));
  EXPECT_EQ(values("three"), "");

  // The first batch's very bytes, at replica 2; then its contents under a new number, at
  // replica 3. Both are validly signed by the clients, so they may be ordered, but their seq 5 is
  // below the 6 each id executed.
  auto ch2 = RawChannel::open(cfg, 2, *key);
  ASSERT_TRUE(ch2);
  ASSERT_TRUE(ch2->send(broker::encode(first)));
  auto renumbered = first;
  renumbered.number = 9;
  auto ch3 = RawChannel::open(cfg, 3, *key);
  ASSERT_TRUE(ch3);
  ASSERT_TRUE(ch3->send(broker::encode(renumbered)));
  // Both are certified (the replay from the shares replica 2 kept of batch 1's first ordering,
  // the renumbered one once ordered and final), so whatever they do has happened by now.
  EXPECT_TRUE(await_delivered(*ch2, 1, *group));
  EXPECT_TRUE(await_delivered(*ch3, 9, *group));
  EXPECT_EQ(values("three"), "");
  // An honest batch after them is certified too, and the values are still "three".
  const auto after = batch(*cs, 6, 3, 7, "three");  // clients 4 and 5 too: k4, k5 = three
  ASSERT_TRUE(send_until_delivered(*ch1, broker::encode(after), 3, *group));
  EXPECT_EQ(values("three"), "");

  // Ids not strictly increasing: the bit-packed ids of a two-entry batch swapped on the wire.
  // The decoder refuses it (the encoder cannot make one), so nothing is ordered.
  broker::DistilledBatch two = batch(*cs, 2, 4, 8, "swapped");
  Bytes wire = broker::encode(two);
  const auto refused0 = cluster.metric(1, "rampart_broker_batches_refused_total");
  const auto decoded = broker::decode_replica_message(wire);
  ASSERT_TRUE(decoded.ok());
  // Ids 0 and 1 at width 1 are the bits 0b10 of one byte; 0b01 lists them as 1, 0.
  bool swapped = false;
  for (size_t i = 0; i + 1 < wire.size() && !swapped; ++i) {
    Bytes w2 = wire;
    w2[i] = static_cast<uint8_t>(w2[i] ^ 0x03);
    auto d = broker::decode_replica_message(w2);
    if (!d && d.error().message.find("increasing") != std::string::npos) {
      wire = w2;
      swapped = true;
    }
  }
  ASSERT_TRUE(swapped) << "found no byte whose flip makes the ids decrease";
  ASSERT_TRUE(ch1->send(wire));
  EXPECT_TRUE(cluster.wait_metric_at_least(1, "rampart_broker_batches_refused_total", refused0 + 1, 10000ms));
  EXPECT_EQ(values("three"), "");
}

}  // namespace
}  // namespace rampart::test
