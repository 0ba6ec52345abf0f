// An observer serving the wallet's verifiable reads: ObservedState executes the verified ledger
// (as a replica process does) and answers with state proofs; the client (verify_read, and
// WalletReader over TCP) accepts them against the group key alone and refuses every lie an
// observer can tell: a wrong balance, another account's entry, a page with an account left out,
// a stale block, a forged or foreign block. A block whose execution does not reproduce its
// header stops the reads.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <future>
#include <thread>

#include "broker/directory.hpp"
#include "broker/replica_wire.hpp"
#include "client/wallet_reader.hpp"
#include "gossip/observed_state.hpp"
#include "gossip/read_server.hpp"
#include "ledger/fixture.hpp"
#include "net/frame.hpp"
#include "replica/distilled.hpp"
#include "wallet_chain.hpp"

using namespace rampart;
using namespace rampart::gossip;
using namespace rampart::gossip::testing;
using rampart::ledger::testing::TempDir;

namespace {

// admin pays users 0 and 1, user 0 pays user 2, user 1 pays user 0: u0 = 100 - 30 + 5 = 75.
void three_blocks(WalletChain& c) {
  c.run({{&c.admin, w::test::transfer(c.admin, c.users[0].public_key(), 100, 0)},
         {&c.admin, w::test::transfer(c.admin, c.users[1].public_key(), 50, 1)}});
  c.pay(c.users[0], c.users[2], 30, 0);
  c.pay(c.users[1], c.users[0], 5, 0);
}

std::unique_ptr<ObservedState> state_upto(const WalletChain& c, uint64_t k) {
  auto s = std::make_unique<ObservedState>(c.fresh_app(), WalletChain::key_prefixed);
  for (uint64_t i = 1; i <= k; ++i) EXPECT_TRUE(s->apply(c.blocks[i], c.batches[i]).ok()) << "block " << i;
  return s;
}

// What the wire carries: the client only ever sees a response through its decoder.
Result<client::ProvenRead> over_wire(const client::ReadRequest& req, const client::ReadResponse& resp,
                                     const crypto::ThresholdVerifier& g) {
  auto d = client::decode_read_response(client::encode_read_response(resp));
  if (!d) return d.error();
  return client::verify_read(req, *d, g);
}

std::string error_of(const Result<client::ProvenRead>& r) { return r ? std::string("accepted") : r.error().message; }

// Polls cond (every 5 ms) until it holds or 10 s pass.
bool wait_until(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

TEST(ObserverReads, ReplaysTheLedgerAndProvesBalancesAndPages) {
  WalletChain c;
  three_blocks(c);
  TempDir dir;
  auto store = ledger::Store::open(dir.sub("obs"), c.config);
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE(c.store_into(**store, 3).ok());
  ObservedState s(c.fresh_app(), WalletChain::key_prefixed);
  ASSERT_TRUE(s.replay(**store).ok());
  EXPECT_EQ(s.last(), 3u);
  EXPECT_TRUE(s.serves_reads());
  const auto& g = c.ring.threshold_verifier();

  const auto u0 = c.users[0].public_key();
  auto req = client::balance_read(u0, 3);
  auto r = over_wire(req, s.answer(req), g);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->k, 3u);
  EXPECT_EQ(r->view, 1u);
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_EQ(r->entries[0].balance, 75u);
  EXPECT_EQ(r->entries[0].nonce, 1u);
  // The observer's state is the replicas': the same entry as the chain's own wallet.
  EXPECT_EQ(r->entries[0], c.wallet.account(u0));

  const auto stranger = KeyPair::generate().public_key();
  req = client::balance_read(stranger);
  r = over_wire(req, s.answer(req), g);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->entries[0].balance, 0u);

  req = client::page_read(std::nullopt, 2);
  r = over_wire(req, s.answer(req), g);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->entries.size(), 2u);
  EXPECT_TRUE(r->more);
  req = client::page_read(r->entries.back().account, 10, r->k);
  r = over_wire(req, s.answer(req), g);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->entries.size(), 2u);  // four accounts: admin and three users
  EXPECT_FALSE(r->more);

  // One block behind: it says so instead of answering from an older block.
  auto behind = state_upto(c, 2);
  req = client::balance_read(u0, 3);
  auto resp = behind->answer(req);
  EXPECT_EQ(resp.status, client::ReadStatus::behind);
  EXPECT_EQ(resp.height, 2u);
  EXPECT_NE(error_of(over_wire(req, resp, g)).find("ends at block 2"), std::string::npos);
  // Nothing executed yet: genesis has no proof to answer with.
  ObservedState empty(c.fresh_app(), WalletChain::key_prefixed);
  EXPECT_EQ(empty.answer(client::balance_read(u0)).status, client::ReadStatus::behind);
}

// A cluster with brokers: a block carries a distilled batch whose entry names a client of the
// genesis directory by id. A read copy given that directory (cmd_observer and the replica's read
// endpoint load cluster.toml's) executes it as the replicas did; one without it skips the entry,
// and its state no longer matches the block.
TEST(ObserverReads, BrokeredBlocksExecuteWithTheGenesisDirectory) {
  WalletChain c;
  broker::MemoryDirectory dir;
  const auto bls = *crypto::bls::SecretKey::from_seed(Bytes(32, 0xb1));
  dir.add_trusted(0, {c.users[0].public_key(), crypto::bls::public_key(bls)});
  c.exec.set_directory(&dir);
  c.pay(c.admin, c.users[0], 100, 0);
  broker::DistilledBatch b;
  b.number = 1;
  b.raise = 7;
  b.has_aggregate = true;  // execution trusts the ordered batch: its checks happened before ordering
  b.entries.push(0, w::test::transfer(c.users[0], c.users[1].public_key(), 30, 0));
  c.run_slot(replica::distilled_part(broker::encode(b)));
  ASSERT_EQ(c.wallet.account(c.users[1].public_key()).balance, 30u) << "the chain itself executed the entry";

  ObservedState without(c.fresh_app(), WalletChain::key_prefixed);
  ASSERT_TRUE(without.apply(c.blocks[1], c.batches[1]).ok());
  EXPECT_FALSE(without.apply(c.blocks[2], c.batches[2]).ok());
  EXPECT_TRUE(without.diverged());

  ObservedState with(c.fresh_app(), WalletChain::key_prefixed);
  with.set_directory(&dir);
  ASSERT_TRUE(with.apply(c.blocks[1], c.batches[1]).ok());
  ASSERT_TRUE(with.apply(c.blocks[2], c.batches[2]).ok());
  auto req = client::balance_read(c.users[1].public_key(), 2);
  auto r = over_wire(req, with.answer(req), c.ring.threshold_verifier());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->entries[0].balance, 30u);
}

TEST(ObserverReads, TheClientRefusesALyingObserver) {
  WalletChain c;
  three_blocks(c);
  auto s = state_upto(c, 3);
  auto at2 = state_upto(c, 2);
  const auto& g = c.ring.threshold_verifier();
  const auto u0 = c.users[0].public_key(), u1 = c.users[1].public_key();
  const auto req = client::balance_read(u0, 3);
  const client::ReadResponse honest = s->answer(req);
  ASSERT_TRUE(over_wire(req, honest, g));
  auto entry_of = [](client::ReadResponse& r, const w::Account& a) -> w::Entry& {
    for (auto& e : r.proof->accounts.entries)
      if (e.account == a) return e;
    ADD_FAILURE() << "no such entry";
    return r.proof->accounts.entries[0];
  };

  // A wrong balance (the one before block 3), and a wrong nonce.
  auto lie = honest;
  entry_of(lie, u0).balance = 70;
  EXPECT_NE(error_of(over_wire(req, lie, g)).find("do not hash"), std::string::npos) << error_of(over_wire(req, lie, g));
  lie = honest;
  entry_of(lie, u0).nonce = 0;
  EXPECT_FALSE(over_wire(req, lie, g));
  // A stale block: the honest state after block 2, when the client asked for block 3 or later.
  auto stale = at2->answer(client::balance_read(u0, 0));
  ASSERT_EQ(stale.status, client::ReadStatus::ok);
  ASSERT_TRUE(over_wire(client::balance_read(u0, 2), stale, g)) << "true of block 2";
  EXPECT_NE(error_of(over_wire(req, stale, g)).find("stale"), std::string::npos) << error_of(over_wire(req, stale, g));
  // ...or one that claims to be block 3 but carries block 2's state.
  lie = stale;
  lie.proof->k = 3;
  EXPECT_FALSE(over_wire(req, lie, g));
  // A forged block: another header under the real signature, a broken signature, another view,
  // a block signed by another cluster's group.
  lie = honest;
  lie.proof->results_root[0] ^= 1;
  EXPECT_NE(error_of(over_wire(req, lie, g)).find("group signature"), std::string::npos);
  lie = honest;
  lie.proof->group_sig[3] ^= 1;
  EXPECT_FALSE(over_wire(req, lie, g));
  lie = honest;
  lie.proof->view = 2;
  EXPECT_FALSE(over_wire(req, lie, g));
  crypto::FakeKeyring other(4, 3, kFakeSeed + 1);
  lie = honest;
  {
    ledger::Block b = c.blocks[3];
    const Bytes msg = ledger::proof_message(b);
    std::vector<crypto::Share> shares;
    for (uint32_t i = 0; i < 3; ++i) shares.push_back({i, other.threshold_signer(i)->sign_share(msg)});
    lie.proof->group_sig = *other.threshold_verifier().combine(msg, shares);
  }
  EXPECT_FALSE(over_wire(req, lie, g));
  // Someone else's (true, proven) entry as the answer for u0.
  auto other_account = s->answer(client::balance_read(u1, 3));
  EXPECT_NE(error_of(over_wire(req, other_account, g)).find("does not cover"), std::string::npos)
      << error_of(over_wire(req, other_account, g));
  // A page with an account left out (proven entries, one dropped), or cut short.
  const auto preq = client::page_read(std::nullopt, 10, 3);
  auto page = s->answer(preq);
  ASSERT_TRUE(over_wire(preq, page, g));
  lie = page;
  lie.proof->accounts.entries.erase(lie.proof->accounts.entries.begin() + 1);
  EXPECT_FALSE(over_wire(preq, lie, g));
  auto short_page = s->answer(client::page_read(std::nullopt, 2, 3));
  EXPECT_FALSE(over_wire(preq, short_page, g)) << "a page of 2 passed for a page of 10";
  // "ok" without being able to say so, and refusals, are errors.
  client::ReadResponse refused{client::ReadStatus::refused, 3, std::nullopt, "no"};
  EXPECT_NE(error_of(over_wire(req, refused, g)).find("refused"), std::string::npos);
}

TEST(ObserverReads, ABlockThatDoesNotReproduceStopsTheReads) {
  WalletChain c;
  three_blocks(c);
  auto s = state_upto(c, 2);
  // Block 3 as the group signed it, but claiming another state: its proof is valid, its state
  // is not what executing its batch gives.
  ledger::Block bad = c.blocks[3];
  bad.state_digest[0] ^= 1;
  bad.proof = c.prove(bad);
  auto st = s->apply(bad, c.batches[3]);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("state digest"), std::string::npos);
  EXPECT_TRUE(s->diverged());
  EXPECT_FALSE(s->serves_reads());
  EXPECT_FALSE(s->apply(c.blocks[3], c.batches[3]).ok()) << "the state moved past block 2: it stays refused";
  auto resp = s->answer(client::balance_read(c.users[0].public_key()));
  EXPECT_EQ(resp.status, client::ReadStatus::refused);
  // Not the next block: refused without executing anything.
  auto fresh = state_upto(c, 1);
  EXPECT_FALSE(fresh->apply(c.blocks[3], c.batches[3]).ok());
  EXPECT_FALSE(fresh->diverged());
  EXPECT_EQ(fresh->last(), 1u);
}

namespace {

// A read server on its own io thread (WalletReader blocks the test thread).
struct ServerThread {
  asio::io_context io;
  std::unique_ptr<ObservedState> state;
  std::unique_ptr<ReadServer> server;
  uint16_t port = 0;
  std::thread t;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);

  ServerThread(std::unique_ptr<ObservedState> s, ReadServerOptions o) : state(std::move(s)) {
    server = std::make_unique<ReadServer>(io, *state, o);
    port = server->listen(Address{"127.0.0.1", 0}).value();
    t = std::thread([this] { io.run(); });
  }
  // Runs fn on the io thread and waits for it.
  template <class F>
  auto on_io(F fn) {
    std::packaged_task<decltype(fn())()> task(fn);
    auto f = task.get_future();
    asio::post(io, [&] { task(); });
    return f.get();
  }
  ~ServerThread() {
    on_io([&] { server->stop(); });
    work.reset();
    io.stop();
    t.join();
  }
};

}  // namespace

TEST(ObserverReads, ServedOverTcpWaitingForTheHeightAskedFor) {
  WalletChain c;
  three_blocks(c);
  c.pay(c.users[0], c.users[1], 1, 1);  // block 4, not executed by the server at first
  ReadServerOptions o;
  o.max_wait = std::chrono::milliseconds(300);
  ServerThread srv(state_upto(c, 3), o);
  client::WalletReaderOptions ro;
  ro.host = "127.0.0.1";
  ro.port = srv.port;
  auto reader = client::WalletReader::create(c.cluster(), ro);
  ASSERT_TRUE(reader) << reader.error().message;
  const auto u0 = c.users[0].public_key();
  auto r = (*reader)->balance(u0, 3);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->entries[0].balance, 75u);

  // Asked for block 4: the read waits, and is answered once block 4 is executed.
  auto pending = std::async(std::launch::async, [&] { return (*reader)->balance(u0, 4); });
  ASSERT_TRUE(wait_until([&] { return srv.on_io([&] { return srv.server->waiting(); }) == 1; }));
  srv.on_io([&] {
    ASSERT_TRUE(srv.state->apply(c.blocks[4], c.batches[4]).ok());
    srv.server->advanced();
  });
  r = pending.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->k, 4u);
  EXPECT_EQ(r->entries[0].balance, 74u);
  // A height it does not reach within max_wait: told where it is.
  r = (*reader)->balance(u0, 99);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ends at block 4"), std::string::npos) << r.error().message;

  // A request that does not decode (here a truncated transfer) closes that connection and nothing else.
  {
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    sock.connect({asio::ip::make_address("127.0.0.1"), srv.port});
    asio::write(sock, asio::buffer(net::encode_frame(Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3})));
    std::array<uint8_t, 16> buf;
    asio::error_code ec;
    sock.read_some(asio::buffer(buf), ec);
    EXPECT_EQ(ec, asio::error::eof);
  }
  EXPECT_EQ(srv.on_io([&] { return srv.server->stats().malformed; }), 1u);
  r = (*reader)->balance(u0, 4);
  EXPECT_TRUE(r) << r.error().message;
}

TEST(ObserverReads, WalletReaderRefusesALyingServer) {
  WalletChain c;
  three_blocks(c);
  auto s = state_upto(c, 3);
  const auto u0 = c.users[0].public_key();
  // A server that answers every request with u0's balance doubled, its proof otherwise intact.
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::thread liar([&] {
    asio::ip::tcp::socket sock(io);
    acc.accept(sock);
    net::FrameDecoder dec(1024);
    std::array<uint8_t, 1024> buf;
    std::vector<Bytes> frames;
    asio::error_code ec;
    while (frames.empty() && !ec) {
      size_t n = sock.read_some(asio::buffer(buf), ec);
      (void)dec.feed(ByteView(buf.data(), n), frames);
    }
    if (frames.empty()) return;
    auto req = client::decode_read_request(frames[0]);
    if (!req) return;
    auto resp = s->answer(*req);
    for (auto& e : resp.proof->accounts.entries) e.balance *= 2;
    asio::write(sock, asio::buffer(net::encode_frame(client::encode_read_response(resp))), ec);
  });
  client::WalletReaderOptions ro;
  ro.host = "127.0.0.1";
  ro.port = acc.local_endpoint().port();
  auto reader = client::WalletReader::create(c.cluster(), ro);
  ASSERT_TRUE(reader) << reader.error().message;
  auto r = (*reader)->balance(u0, 3);
  liar.join();
  ASSERT_FALSE(r) << "a doubled balance was accepted: " << r->entries[0].balance;
  EXPECT_NE(r.error().message.find("do not hash"), std::string::npos) << r.error().message;
}
