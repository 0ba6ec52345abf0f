// The wallet on a real 4-replica cluster (app = "wallet"), with one Byzantine replica: replica 0
// runs with `--misbehave bad-shares,lie-results` (node/misbehave.hpp), so every CART share and
// proof it sends its peers signs another block and every reply it sends a client is altered,
// proven reads from its read port included.
// 8 concurrent clients do transfers, atomic transfers and replays: every accepted answer's proof
// verified (the client library refuses anything else), the total of balances is exactly what
// the admin minted, replays are rejected, and the nonces are what each owner counted.
#include <gtest/gtest.h>

#include <thread>

#include "client/wallet.hpp"
#include "client/wallet_reads.hpp"
#include "client/wallet_keys.hpp"
#include "process/cluster_fixture.hpp"
#include "process/lying_proxy.hpp"
#include "process/wallet_workload.hpp"

namespace rampart::test {
namespace {
using namespace std::chrono_literals;
namespace w = app::wallet;
using crypto::ed25519::KeyPair;

TEST(WalletProcess, ConcurrentTransfersKeepTheBooksDespiteAByzantineReplica) {
  LocalCluster c(4, "poe", "--app wallet --admins 1 --relays 1");
  ASSERT_EQ(c.config().app, "wallet");
  ASSERT_EQ(c.config().admin_accounts.size(), 1u);
  auto admin = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
  ASSERT_TRUE(admin) << admin.error().message;
  c.set_extra_args(0, {"--misbehave", "bad-shares,lie-results"});
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));

  client::ClientOptions co;
  co.timeout = 1500ms;
  auto minter = client::WalletClient::create(c.config(), co);
  ASSERT_TRUE(minter) << minter.error().message;
  WalletWorkload wl;
  wl.connect = [&](size_t t) -> Result<WalletSubmit> {
    client::ClientOptions o;
    o.timeout = 1500ms;
    o.first_replica = static_cast<uint32_t>(t % 4);  // two of them start at the liar
    auto cl = client::WalletClient::create(c.config(), o);
    if (!cl) return cl.error();
    std::shared_ptr<client::WalletClient> sp = std::move(*cl);
    return WalletSubmit([sp](const Bytes& op) { return sp->submit(op); });
  };
  run_wallet_workload(wl, **minter, *admin);
  expect_liar_caught(c, 0);

  // Proven reads (no consensus round): the liar's read port inflates every balance it proves,
  // which no longer verifies; reads through all the read servers, starting at the liar, come
  // verified from another one and agree with an ordered read.
  auto ordered = (*minter)->balance(admin->public_key());
  ASSERT_TRUE(ordered && ordered->result.code == w::Code::ok) << (ordered ? ordered->result.reason : ordered.error().message);
  const uint64_t want = ordered->result.entries.at(0).balance;
  const auto servers = client::replica_read_servers(c.config());
  ASSERT_EQ(servers.size(), 4u);
  client::WalletReaderOptions ro;
  ro.host = servers[0].host;
  ro.port = servers[0].port;
  auto at_liar = client::WalletReader::create(c.config(), ro);
  ASSERT_TRUE(at_liar) << at_liar.error().message;
  auto lied = (*at_liar)->balance(admin->public_key(), ordered->answer.k);
  EXPECT_FALSE(lied) << "the lying read port's balance verified: " << (lied ? lied->entries.at(0).balance : 0);
  client::WalletReadsOptions wo;
  wo.first = 0;
  auto reads = client::WalletReads::create(c.config(), wo);
  ASSERT_TRUE(reads) << reads.error().message;
  auto served = (*reads)->balance(admin->public_key(), ordered->answer.k);
  ASSERT_TRUE(served) << served.error().message;
  EXPECT_NE(served->server, servers[0].str());
  EXPECT_EQ(served->read.entries.at(0).balance, want);
  EXPECT_TRUE(c.wait_metric_at_least(0, "rampart_misbehaviour_lies_total", 1, 5s));
}

// A client whose only reply came from a lying replica retries elsewhere. The retry of its lone
// request forms the same batch bytes as its first one; the primary dropped it as already
// ordered, and no correct replica ever answered (the concurrent test above failed this way under
// load, when a request happened to travel alone). Now the primary orders the same parts again
// under a salted bundle, and the retry is answered from the reply cache.
TEST(WalletProcess, ARequestWhoseOnlyReplyLiedIsAnsweredOnItsRetry) {
  LocalCluster c(4, "poe", "--app wallet --admins 1 --relays 1");
  auto admin = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
  ASSERT_TRUE(admin) << admin.error().message;
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));
  LyingProxy liar(c.config(), c.dir(), 0);  // replica 0, the primary of view 0
  ClusterConfig via_liar = c.config();
  via_liar.replicas[0].client_port = liar.port();
  client::ClientOptions o;
  o.timeout = 1500ms;
  o.first_replica = 0;
  auto cl = client::WalletClient::create(via_liar, o);
  ASSERT_TRUE(cl) << cl.error().message;
  const auto to = KeyPair::generate().public_key();
  for (uint64_t nonce = 0; nonce < 2; ++nonce) {
    auto r = (*cl)->transfer(*admin, to, 10, nonce);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->result.code, w::Code::ok) << r->result.reason;
  }
  EXPECT_GT(liar.lies(), 0u);
  // The retries were answered from the reply cache (their block final by then), or, if it was
  // not yet, ordered salted by whichever replica was primary (metrics are published once per
  // tick: wait for them). Either way never dropped as a duplicate.
  double answered = 0;
  for (auto until = std::chrono::steady_clock::now() + 5s; answered < 1 && std::chrono::steady_clock::now() < until;) {
    answered = 0;
    for (uint32_t i = 0; i < 4; ++i)
      answered += std::max(0.0, c.metric(i, "rampart_salted_slots_total")) +
                  std::max(0.0, c.metric(i, "rampart_retries_from_cache_total"));
    if (answered < 1) std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(answered, 1);
}

}  // namespace
}  // namespace rampart::test
