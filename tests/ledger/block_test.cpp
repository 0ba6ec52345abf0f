#include <gtest/gtest.h>

#include "common/codec.hpp"
#include "ledger/block.hpp"
#include "ledger/fixture.hpp"
#include "ledger/genesis.hpp"
#include "ledger/records.hpp"

using namespace rampart;
using namespace rampart::ledger;
using rampart::ledger::testing::Chain;
using rampart::ledger::testing::h;

TEST(Block, RoundTrip) {
  Chain c;
  const Block& b = c.next();
  Bytes enc = encode_block(b);
  EXPECT_EQ(enc.size(), 1 + 8 + 4 * 32 + 8 + 4 + b.proof.size());
  auto d = decode_block(enc);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, b);
  EXPECT_EQ(encode_block(*d), enc);
}

TEST(Block, HeaderLayoutIsFixed) {
  Block b;
  b.k = 0x0102030405060708ull;
  b.view = 9;
  b.batch_digest[0] = 0xaa;
  Bytes hdr = encode_header(b);
  ASSERT_EQ(hdr.size(), 137u);
  EXPECT_EQ(hdr[0], kBlockFormat);
  EXPECT_EQ(hdr[1], 0x08);  // k little-endian
  EXPECT_EQ(hdr[8], 0x01);
  EXPECT_EQ(hdr[9], 0xaa);  // batch digest; the view is not part of the header
  Bytes full = encode_block(b);
  EXPECT_EQ(full[137], 9);  // view, right after the header
}

TEST(Block, DecodeRejectsMalformed) {
  Chain c;
  Bytes enc = encode_block(c.next());
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(decode_block(ByteView(enc.data(), n)).ok()) << "prefix of " << n << " bytes accepted";
  }
  Bytes trailing = enc;
  trailing.push_back(0);
  EXPECT_FALSE(decode_block(trailing).ok());
  Bytes fmt = enc;
  fmt[0] = 1;  // format 1 hashed the view; refused, not misread
  auto r = decode_block(fmt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown block format"), std::string::npos);

  Block big;
  big.proof.assign(kMaxProofBytes + 1, 1);
  EXPECT_FALSE(decode_block(encode_block(big)).ok());
  big.proof.resize(kMaxProofBytes);
  EXPECT_TRUE(decode_block(encode_block(big)).ok());
}

TEST(Block, HashCoversEveryHeaderFieldButNotViewOrProof) {
  Chain c;
  Block b = c.next();
  Hash32 base = block_hash(b);
  Block p = b;
  p.proof = {1, 2, 3};
  EXPECT_EQ(block_hash(p), base);  // proofs arrive after execution; the chain must not wait
  auto differs = [&](auto mutate) {
    Block x = b;
    mutate(x);
    return block_hash(x) != base;
  };
  EXPECT_TRUE(differs([](Block& x) { x.k++; }));
  // Replicas that executed k in different views (re-execution after a view change) must
  // still agree on the chain of hashes.
  EXPECT_FALSE(differs([](Block& x) { x.view++; }));
  EXPECT_TRUE(differs([](Block& x) { x.batch_digest[31] ^= 1; }));
  EXPECT_TRUE(differs([](Block& x) { x.prev_hash[0] ^= 1; }));
  EXPECT_TRUE(differs([](Block& x) { x.state_digest[5] ^= 1; }));
  EXPECT_TRUE(differs([](Block& x) { x.results_root[9] ^= 1; }));
}

TEST(Block, ProofMessageEncoding) {
  Hash32 hash = h("block hash");
  Bytes m = proof_message(0x0304, 0x0102, hash);
  ASSERT_EQ(m.size(), 69u);
  EXPECT_EQ(to_string(ByteView(m.data(), 21)), "rampart/cart-reply/v3");
  EXPECT_EQ(m[21], 0x04);  // view
  EXPECT_EQ(m[22], 0x03);
  EXPECT_EQ(m[29], 0x02);  // k
  EXPECT_EQ(m[30], 0x01);
  EXPECT_EQ(m[36], 0x00);
  EXPECT_TRUE(std::equal(hash.begin(), hash.end(), m.begin() + 37));
  EXPECT_NE(proof_message(0, 1, hash), proof_message(0, 2, hash));
  // The view is signed: shares of executions in different views never combine.
  EXPECT_NE(proof_message(1, 1, hash), proof_message(2, 1, hash));
  // A block's proof signs its hash, so the whole header (results, state, history).
  Chain c;
  Block b = c.next(false);
  EXPECT_EQ(proof_message(b), proof_message(b.view, b.k, block_hash(b)));
  Block other = b;
  other.state_digest[0] ^= 1;
  EXPECT_NE(proof_message(other), proof_message(b));
}

TEST(Block, GenesisIsDeterministicPerConfig) {
  Bytes a = to_bytes("config a"), b = to_bytes("config b");
  EXPECT_EQ(genesis_block(a), genesis_block(a));
  EXPECT_NE(block_hash(genesis_block(a)), block_hash(genesis_block(b)));
  Block g = genesis_block(a);
  EXPECT_EQ(g.k, 0u);
  EXPECT_FALSE(g.proven());
  EXPECT_EQ(g.batch_digest, config_digest(a));
  // Domain separation: the same bytes as a batch and as a config hash differently.
  EXPECT_NE(batch_digest(a), config_digest(a));
}

TEST(Block, CheckLinkNamesTheBlock) {
  Chain c;
  c.next();
  Block b2 = c.next();
  EXPECT_TRUE(check_link(c.blocks[1], b2, c.batches[2]).ok());
  auto r = check_link(c.blocks[1], b2, c.batches[1]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("block 2: batch digest mismatch", 0), 0u) << r.error().message;
  Block bad = b2;
  bad.prev_hash[0] ^= 1;
  r = check_link(c.blocks[1], bad, c.batches[2]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("block 2: broken hash link", 0), 0u) << r.error().message;
  r = check_link(c.blocks[0], b2, c.batches[2]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("block 2: sequence gap", 0), 0u) << r.error().message;
}

TEST(Records, CheckpointRoundTrip) {
  CheckpointRecord cp{12, 3, h("head"), h("s"), {{0, {1, 2}}, {2, {3}}, {3, {}}}};
  auto d = decode_checkpoint(encode_checkpoint(cp));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, cp);
  Bytes enc = encode_checkpoint(cp);
  enc.pop_back();
  EXPECT_FALSE(decode_checkpoint(enc).ok());
  // A huge signature count with no bytes behind it is refused before any allocation.
  Writer w;
  w.u64(1);
  w.fixed(h("s"));
  w.u32(0xffffffff);
  EXPECT_FALSE(decode_checkpoint(w.data()).ok());
}

TEST(Records, SnapshotDamageIsDetected) {
  Snapshot s{5, to_bytes("app state bytes")};
  Bytes enc = encode_snapshot(s);
  auto d = decode_snapshot(enc);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, s.state);
  enc.back() ^= 1;
  auto r = decode_snapshot(enc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("fails its hash"), std::string::npos);
}

TEST(Records, MetadataVersionChecked) {
  Metadata m;
  m.last_block = 9;
  m.last_final = 7;
  auto d = decode_metadata(encode_metadata(m));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->last_block, 9u);
  m.format = kStoreFormat + 1;
  auto r = decode_metadata(encode_metadata(m));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unsupported ledger format version"), std::string::npos);
  m.format = kStoreFormat;
  m.last_final = 10;
  EXPECT_FALSE(decode_metadata(encode_metadata(m)).ok());
}


TEST(Genesis, ConfigBytesIgnoreOperationalFields) {
  ClusterConfig a;
  a.crypto = "fake";
  a.fake_seed = 42;
  for (uint32_t i = 0; i < 4; ++i) {
    ReplicaEntry r;
    r.id = i;
    r.peer_port = static_cast<uint16_t>(7000 + i);
    r.ed25519_public = Bytes(32, static_cast<uint8_t>(i));
    a.replicas.push_back(r);
  }
  ClusterConfig moved = a;  // new hosts, ports, paths and tuning: same ledger
  moved.replicas[1].host = "10.0.0.2";
  moved.replicas[1].peer_port = 9000;
  moved.replicas[2].data_dir = "/elsewhere";
  moved.batch_size = 7;
  moved.view_timeout_ms = 5;
  std::swap(moved.replicas[0], moved.replicas[3]);  // order in the file does not matter
  EXPECT_EQ(genesis_config(a), genesis_config(moved));

  ClusterConfig other = a;
  other.fake_seed = 43;  // another (fake) group key: another cluster
  EXPECT_NE(genesis_config(a), genesis_config(other));
  other = a;
  other.replicas[2].ed25519_public[0] ^= 1;
  EXPECT_NE(genesis_config(a), genesis_config(other));
  other = a;
  other.admin_accounts.push_back("alice");
  EXPECT_NE(genesis_config(a), genesis_config(other));
  other = a;
  other.f = 0;
  EXPECT_NE(genesis_config(a), genesis_config(other));
}
