// Proven reads from several read servers (client/wallet_reads.hpp): a lying server's answer is
// refused and the next server asked; every server below min_k is reported as such (the gateway's
// "height-not-reached"); and a read copy restored from a checkpoint snapshot (what a replica
// that joined by state transfer does, node/read_endpoint.hpp) proves the same answers as one that
// executed every block.
#include <gtest/gtest.h>

#include "client/read_servers_fixture.hpp"
#include "client/wallet_reads.hpp"

namespace rampart::testing {
namespace {
namespace w = app::wallet;

void three_blocks(WalletChain& c) {
  c.run({{&c.admin, w::test::transfer(c.admin, c.users[0].public_key(), 100, 0)},
         {&c.admin, w::test::transfer(c.admin, c.users[1].public_key(), 50, 1)}});
  c.pay(c.users[0], c.users[2], 30, 0);
  c.pay(c.users[1], c.users[0], 5, 0);  // u0 = 75
}

client::WalletReadsOptions servers(std::initializer_list<uint16_t> ports) {
  client::WalletReadsOptions o;
  for (uint16_t p : ports) o.servers.push_back({"127.0.0.1", p});
  o.timeout = std::chrono::milliseconds(2000);
  return o;
}

TEST(ProvenReads, ALyingServerIsPassedOverForAnHonestOne) {
  WalletChain c;
  three_blocks(c);
  LyingReadServer liar(state_upto(c, 3));
  HonestReadServer honest(state_upto(c, 3));
  auto reads = client::WalletReads::create(c.cluster(), servers({liar.port, honest.port}));
  ASSERT_TRUE(reads) << reads.error().message;
  const auto u0 = c.users[0].public_key();
  auto r = (*reads)->balance(u0, 3);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->read.entries.at(0).balance, 75u);
  EXPECT_EQ(r->read.k, 3u);
  EXPECT_EQ(r->server, "read server 127.0.0.1:" + std::to_string(honest.port));
  EXPECT_EQ(liar.answered.load(), 1);
  // The proof comes along, and verifies on its own.
  EXPECT_TRUE(client::verify_state_proof(r->read.proof, c.ring.threshold_verifier()).ok());
  // The honest server that answered is asked first from now on.
  r = (*reads)->page(std::nullopt, 10, 3);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->read.entries.size(), 4u);
  EXPECT_EQ(liar.answered.load(), 1);

  // Only the liar: no answer, and the error says what was wrong.
  auto only_liar = client::WalletReads::create(c.cluster(), servers({liar.port}));
  ASSERT_TRUE(only_liar);
  r = (*only_liar)->balance(u0, 0);
  ASSERT_FALSE(r) << "a doubled balance was accepted: " << r->read.entries.at(0).balance;
  EXPECT_NE(r.error().message.find("do not hash"), std::string::npos) << r.error().message;
  EXPECT_EQ((*only_liar)->last_failure(), client::ReadsFailure::unavailable);
}

TEST(ProvenReads, EveryServerBelowMinKIsReportedAsNotAtHeight) {
  WalletChain c;
  three_blocks(c);
  gossip::ReadServerOptions o;
  o.max_wait = std::chrono::milliseconds(100);
  HonestReadServer a(state_upto(c, 3), o), b(state_upto(c, 2), o);
  auto reads = client::WalletReads::create(c.cluster(), servers({a.port, b.port}));
  ASSERT_TRUE(reads);
  auto r = (*reads)->balance(c.users[0].public_key(), 9);
  ASSERT_FALSE(r);
  EXPECT_EQ((*reads)->last_failure(), client::ReadsFailure::not_at_height) << r.error().message;
  EXPECT_NE(r.error().message.find("below the height asked for"), std::string::npos) << r.error().message;
  // A server nobody runs is not "behind": the failure is "unavailable".
  uint16_t dead = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
    dead = acc.local_endpoint().port();
  }
  auto with_dead = client::WalletReads::create(c.cluster(), servers({a.port, dead}));
  ASSERT_TRUE(with_dead);
  r = (*with_dead)->balance(c.users[0].public_key(), 9);
  ASSERT_FALSE(r);
  EXPECT_EQ((*with_dead)->last_failure(), client::ReadsFailure::unavailable) << r.error().message;
  // No server at all in the config: a clear error at once.
  auto none = client::WalletReads::create(c.cluster(), {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("read_port"), std::string::npos) << none.error().message;
}

TEST(ProvenReads, ACopyRestoredFromACheckpointSnapshotProvesLikeOneThatExecutedEverything) {
  WalletChain c;
  three_blocks(c);
  const Bytes snap = c.exec.snapshot();  // the state after block 3, as a checkpoint stores it
  c.pay(c.users[0], c.users[1], 1, 1);   // block 4: u0 = 74
  auto restored = std::make_unique<gossip::ObservedState>(c.fresh_app(), WalletChain::key_prefixed);
  ASSERT_TRUE(restored->restore(c.blocks[3], snap).ok());
  EXPECT_EQ(restored->last(), 3u);
  ASSERT_TRUE(restored->apply(c.blocks[4], c.batches[4]).ok()) << "the restored copy does not reproduce block 4";
  auto full = state_upto(c, 4);
  ASSERT_TRUE(full);
  const auto req = client::balance_read(c.users[0].public_key(), 4);
  EXPECT_EQ(restored->answer(req), full->answer(req));
  auto v = client::verify_read(req, restored->answer(req), c.ring.threshold_verifier());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->entries.at(0).balance, 74u);

  // A snapshot that is not of the block it is said to be: refused, and no read is proven from it.
  auto wrong = std::make_unique<gossip::ObservedState>(c.fresh_app(), WalletChain::key_prefixed);
  EXPECT_FALSE(wrong->restore(c.blocks[2], snap).ok());
  EXPECT_EQ(wrong->answer(client::balance_read(c.users[0].public_key(), 0)).status, client::ReadStatus::refused);
  // One that does not decode changes nothing.
  auto garbage = std::make_unique<gossip::ObservedState>(c.fresh_app(), WalletChain::key_prefixed);
  EXPECT_FALSE(garbage->restore(c.blocks[3], Bytes{1, 2, 3}).ok());
  EXPECT_EQ(garbage->last(), 0u);
  EXPECT_FALSE(garbage->diverged());
}

}  // namespace
}  // namespace rampart::testing
