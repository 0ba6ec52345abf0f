// Blocks over gossip: the part codec, the replica-side BlockAnnouncer, and an Observer that
// verifies, fetches what it misses, stores a ledger that verifies, and stops forged blocks.
#include <gtest/gtest.h>

#include "gossip/block_announcer.hpp"
#include "gossip/block_items.hpp"
#include "gossip/observer.hpp"
#include "ledger/fixture.hpp"
#include "ledger/verify.hpp"
#include "mesh.hpp"

using namespace rampart;
using namespace rampart::gossip;
using namespace rampart::gossip::testing;
using rampart::ledger::testing::Chain;
using rampart::ledger::testing::TempDir;

TEST(GossipBlockItems, PartsRoundTripAndReassemble) {
  Chain c;
  const ledger::Block& b = c.next(true, std::string(2 * kBlockPartBytes + 123, 'x'));
  const Bytes& batch = c.batches.back();
  auto parts = encode_block_parts(b, batch, 99);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 3u);
  Bytes joined;
  for (size_t i = 0; i < parts->size(); ++i) {
    EXPECT_LE((*parts)[i].size(), kMaxData);
    auto p = decode_block_part((*parts)[i]);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->block, b);
    EXPECT_EQ(p->index, i);
    EXPECT_EQ(p->count, 3);
    EXPECT_EQ(p->resend, 99u);
    joined.insert(joined.end(), p->part.begin(), p->part.end());
  }
  EXPECT_EQ(joined, batch);
  auto empty = encode_block_parts(b, {});
  ASSERT_TRUE(empty.ok());
  ASSERT_EQ(empty->size(), 1u);
  EXPECT_TRUE(decode_block_part((*empty)[0]).ok());
}

TEST(GossipBlockItems, RejectsInconsistentParts) {
  Chain c;
  const ledger::Block& b = c.next();
  Bytes part = (*encode_block_parts(b, c.batches.back()))[0];
  for (size_t cut = 0; cut < part.size(); cut += 7) EXPECT_FALSE(decode_block_part(Bytes(part.begin(), part.begin() + cut)).ok());
  Bytes trailing = part;
  trailing.push_back(0);
  EXPECT_FALSE(decode_block_part(trailing).ok());
  // The batch size field (after magic, version, resend and the block) claims one byte more.
  size_t at = 4 + 1 + 8 + 4 + ledger::encode_block(b).size();
  Bytes bigger = part;
  bigger[at] = static_cast<uint8_t>(bigger[at] + 1);
  EXPECT_NE(decode_block_part(bigger).error().message.find("length does not match"), std::string::npos);
  Bytes index = part;
  index[at + 8] = 1;  // index 1 of count 1
  EXPECT_FALSE(decode_block_part(index).ok());
  Bytes w = encode_want({5, 10, 7});
  ASSERT_TRUE(decode_want(w).ok());
  EXPECT_EQ(decode_want(w)->count, 10u);
  EXPECT_FALSE(decode_want(encode_want({0, 10, 7})).ok());
  EXPECT_FALSE(decode_want(encode_want({1, kMaxWantCount + 1, 7})).ok());
  EXPECT_FALSE(decode_want(part).ok());
}

TEST(GossipBlockAnnouncer, QueuesUntilTheModuleIsUpThenAnnounces) {
  asio::io_context io;
  // A free port, closed again: nothing listens there yet.
  asio::ip::tcp::acceptor probe(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = probe.local_endpoint().port();
  probe.close();
  Chain c;
  BlockAnnouncer a(io, BlockAnnouncerOptions{Address{"127.0.0.1", port}, nullptr, nullptr, 16,
                                             std::chrono::milliseconds(20)});
  a.start();
  for (int i = 0; i < 2; ++i) {
    const ledger::Block& b = c.next();
    a.announce(b, c.batches.back());
  }
  EXPECT_FALSE(a.connected());
  EXPECT_EQ(a.stats().items, 0u);

  ModuleOptions m;
  m.key = std::make_shared<const HostKey>(HostKey::generate_ed25519());
  m.config.cache_size = 16;
  m.config.degree = 1;
  m.config.p2p_address = Address{"127.0.0.1", 0};
  m.config.api_address = Address{"127.0.0.1", port};
  Module module(io, std::move(m));
  ASSERT_TRUE(module.start().ok());
  Subscriber sub(io, module.api_address());
  sub.client.notify(kBlockDataType);
  ASSERT_TRUE(run_until(io, [&] { return module.engine().subscribers(kBlockDataType) == 1; }));
  ASSERT_TRUE(run_until(io, [&] { return sub.got.size() == 2; })) << "queued blocks never arrived";
  EXPECT_EQ(decode_block_part(sub.got[0].data)->block, c.blocks[1]);
  EXPECT_EQ(decode_block_part(sub.got[1].data)->block, c.blocks[2]);
  EXPECT_EQ(a.stats().items, 2u);
}

namespace {

std::shared_ptr<const crypto::ThresholdVerifier> borrowed(const crypto::ThresholdVerifier& v) {
  return std::shared_ptr<const crypto::ThresholdVerifier>(&v, [](const crypto::ThresholdVerifier*) {});
}

}  // namespace

// module 0 (replica side: BlockAnnouncer, and a rogue client) -- module 1 (observer) --
// module 2 (a subscriber that accepts anything): what reaches module 2 passed the observer.
TEST(GossipObserver, CatchesUpStoresAVerifiedLedgerAndStopsForgedBlocks) {
  Mesh mesh(MeshOptions{3, 1, 6, Topology::chain});
  ASSERT_EQ(mesh.start_error(), "");
  ASSERT_TRUE(mesh.wait_formed()) << mesh.describe();
  Chain chain;
  for (int k = 1; k <= 24; ++k) chain.next(true, k == 10 ? std::string(2 * kBlockPartBytes, 'p') : "");
  ASSERT_GT(chain.batches[10].size(), 2 * kBlockPartBytes);  // block 10 travels in three parts
  uint64_t last_final = 24;
  BlockAnnouncerOptions ao;
  ao.api = mesh.modules[0]->api_address();
  ao.fetch = [&](uint64_t k) -> Result<std::pair<ledger::Block, Bytes>> {
    if (k >= chain.blocks.size()) return err("no block " + std::to_string(k));
    return std::make_pair(chain.blocks[k], chain.batches[k]);
  };
  ao.last_final = [&] { return last_final; };
  BlockAnnouncer announcer(mesh.io, ao);
  announcer.start();
  Subscriber downstream(mesh.io, mesh.modules[2]->api_address());
  downstream.client.notify(kBlockDataType);

  TempDir dir;
  ObserverOptions oo;
  oo.gossip_api = mesh.modules[1]->api_address();
  oo.data_dir = dir.sub("observer");
  oo.cluster_config = chain.config;
  oo.verifier = borrowed(chain.tv());
  oo.want_interval = std::chrono::milliseconds(200);
  auto obs = Observer::open(mesh.io, oo);
  ASSERT_TRUE(obs.ok()) << obs.error().message;
  Observer& observer = **obs;
  ASSERT_TRUE(observer.start().ok());
  ASSERT_TRUE(run_until(mesh.io, [&] {
    return announcer.connected() && mesh.modules[1]->engine().subscribers(kBlockDataType) == 1 &&
           mesh.modules[0]->engine().subscribers(kWantDataType) == 1 &&
           mesh.modules[2]->engine().subscribers(kBlockDataType) == 1;
  }));

  // The observer joins late: it hears blocks 20..24 first and must fetch 1..19.
  for (uint64_t k = 20; k <= 24; ++k) announcer.announce(chain.blocks[k], chain.batches[k]);
  ASSERT_TRUE(run_until(mesh.io, [&] { return observer.last_block() == 24; }))
      << "observer stopped at " << observer.last_block() << " after " << observer.stats().wants << " WANTs";
  EXPECT_GE(observer.stats().wants, 1u);
  EXPECT_GE(announcer.stats().resent, 19u);

  // A rogue client on module 0 announces block 25 twice: with a forged proof, and with a real
  // proof on a header that does not link.
  const ledger::Block genuine25 = chain.next();
  const Bytes batch25 = chain.batches.back();
  ledger::Block forged_proof = genuine25;
  forged_proof.proof.assign(forged_proof.proof.size(), 0x42);
  ledger::Block bad_link = genuine25;
  bad_link.prev_hash[0] ^= 1;
  Subscriber rogue(mesh.io, mesh.modules[0]->api_address());
  for (const auto& forged : {forged_proof, bad_link})
    ASSERT_TRUE(rogue.client.announce(0, kBlockDataType, (*encode_block_parts(forged, batch25))[0]).ok());
  ASSERT_TRUE(run_until(mesh.io, [&] { return observer.stats().invalid >= 2; }))
      << "the observer did not refuse both forged blocks";
  EXPECT_EQ(mesh.modules[1]->engine().stats().invalid, 2u);
  // The genuine block 25, and 26 as a barrier: once 26 reached module 2, anything module 1 let
  // through before it has too.
  last_final = 26;
  announcer.announce(genuine25, batch25);
  const ledger::Block& b26 = chain.next();  // its own statement: next() appends the batch
  announcer.announce(b26, chain.batches.back());
  ASSERT_TRUE(run_until(mesh.io, [&] {
    for (auto& n : downstream.got)
      if (auto p = decode_block_part(n.data); p && p->block.k == 26) return true;
    return false;
  })) << "block 26 did not pass the observer";
  EXPECT_EQ(observer.last_block(), 26u);
  EXPECT_EQ(observer.stats().invalid, 2u) << "a genuine part was refused";
  for (auto& n : downstream.got) {
    auto p = decode_block_part(n.data);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(ledger::block_hash(p->block), ledger::block_hash(chain.blocks[p->block.k]))
        << "a forged block " << p->block.k << " spread past the observer";
    EXPECT_EQ(p->block.proof, chain.blocks[p->block.k].proof);
  }

  // What the observer stored is a ledger `rampart ledger verify` accepts, equal to the chain.
  auto rep = ledger::verify_ledger_at(oo.data_dir, chain.tv(), chain.config);
  ASSERT_TRUE(rep.ok()) << rep.error().message;
  EXPECT_EQ(rep->last_block, 26u);
  EXPECT_EQ(rep->last_final, 26u);
  EXPECT_EQ(rep->last_hash, ledger::block_hash(chain.blocks[26]));
  EXPECT_EQ(*observer.store().batch(10), chain.batches[10]);
}
