#include "crypto/merkle.hpp"

#include <gtest/gtest.h>

#include "crypto/blake3.hpp"

namespace rampart::crypto {
namespace {

std::vector<Hash32> leaves(size_t n) {
  std::vector<Hash32> out;
  for (size_t i = 0; i < n; ++i) out.push_back(merkle::leaf_hash(as_bytes("entry " + std::to_string(i))));
  return out;
}

TEST(Merkle, LeafAndInnerDomainsDiffer) {
  Hash32 a = merkle::leaf_hash(as_bytes("x")), b = merkle::leaf_hash(as_bytes("y"));
  Bytes cat(a.begin(), a.end());
  cat.insert(cat.end(), b.begin(), b.end());
  // An inner node is not the leaf hash of the concatenation, nor a plain BLAKE3.
  EXPECT_NE(merkle::inner_hash(a, b), merkle::leaf_hash(cat));
  EXPECT_NE(merkle::inner_hash(a, b), blake3::hash(cat));
  EXPECT_NE(merkle::leaf_hash(as_bytes("x")), blake3::hash(as_bytes("x")));
}

TEST(Merkle, SmallTreesByHand) {
  auto l = leaves(5);
  EXPECT_EQ(merkle::root({}), merkle::empty_root());
  EXPECT_EQ(merkle::root(std::span(l).first(1)), l[0]);
  EXPECT_EQ(merkle::root(std::span(l).first(2)), merkle::inner_hash(l[0], l[1]));
  // Three leaves: the third moves up unchanged.
  EXPECT_EQ(merkle::root(std::span(l).first(3)),
            merkle::inner_hash(merkle::inner_hash(l[0], l[1]), l[2]));
  // Five leaves: l4 is promoted twice.
  Hash32 left = merkle::inner_hash(merkle::inner_hash(l[0], l[1]), merkle::inner_hash(l[2], l[3]));
  EXPECT_EQ(merkle::root(l), merkle::inner_hash(left, l[4]));
  EXPECT_EQ(merkle::Tree(l).root(), merkle::root(l));
}

TEST(Merkle, ProofsVerifyForEveryLeafAndSize) {
  for (size_t n : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 13u, 16u, 17u, 31u, 33u, 100u}) {
    auto l = leaves(n);
    merkle::Tree t(l);
    ASSERT_EQ(t.root(), merkle::root(l)) << n;
    for (uint32_t i = 0; i < n; ++i) {
      auto p = t.proof(i);
      ASSERT_TRUE(p.ok());
      EXPECT_TRUE(merkle::verify(t.root(), l[i], *p).ok()) << "n=" << n << " i=" << i;
      auto rt = merkle::Proof::decode(p->encode());
      ASSERT_TRUE(rt.ok());
      EXPECT_EQ(*rt, *p);
    }
  }
}

// An updated tree has the root and proofs of a tree built from the new leaves, for every
// size (odd nodes promoted at any level) and for one, several and repeated changes.
TEST(Merkle, UpdateEqualsRebuild) {
  uint32_t salt = 0;
  for (size_t n : {1u, 2u, 3u, 5u, 8u, 13u, 64u, 100u, 1000u}) {
    auto ls = leaves(n);
    merkle::Tree t(ls);
    for (size_t changes : {size_t{1}, size_t{3}, n}) {
      std::vector<std::pair<uint32_t, Hash32>> ch;
      for (size_t j = 0; j < changes; ++j) {
        const uint32_t i = static_cast<uint32_t>((j * 7919 + salt) % n);
        ch.emplace_back(i, merkle::leaf_hash(as_bytes("changed " + std::to_string(salt++))));
        ls[i] = ch.back().second;  // a repeated index: the last change wins, as in update
      }
      t.update(ch);
      const merkle::Tree fresh(ls);
      ASSERT_EQ(t.root(), fresh.root()) << n << " leaves, " << changes << " changes";
      ASSERT_EQ(t.root(), merkle::root(ls));
      for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(*t.proof(i), *fresh.proof(i));
    }
  }
}

TEST(Merkle, ParallelRootEqualsSequential) {
  for (size_t n : {4096u, 5000u, 8191u, 65536u, 65537u}) {
    auto l = leaves(n);
    Hash32 seq = merkle::root(l, 1);
    EXPECT_EQ(merkle::root(l, 2), seq) << n;
    EXPECT_EQ(merkle::root(l, 3), seq) << n;
    EXPECT_EQ(merkle::root(l, 8), seq) << n;
  }
  std::vector<std::string> entries;
  for (int i = 0; i < 3000; ++i) entries.push_back("e" + std::to_string(i));
  std::vector<ByteView> views;
  for (auto& e : entries) views.push_back(as_bytes(e));
  EXPECT_EQ(merkle::hash_leaves(views, 1), merkle::hash_leaves(views, 2));
}

TEST(Merkle, RejectsWrongLeafRootIndexAndLength) {
  auto l = leaves(13);
  merkle::Tree t(l);
  auto p = *t.proof(6);
  ASSERT_TRUE(merkle::verify(t.root(), l[6], p).ok());

  EXPECT_FALSE(merkle::verify(t.root(), l[7], p).ok());  // wrong leaf
  Hash32 other_root = t.root();
  other_root[0] ^= 1;
  EXPECT_FALSE(merkle::verify(other_root, l[6], p).ok());  // wrong root

  auto wrong_index = p;
  wrong_index.index = 7;  // sibling direction changes at the first level
  EXPECT_FALSE(merkle::verify(t.root(), l[6], wrong_index).ok());
  wrong_index.index = 13;  // out of range
  EXPECT_FALSE(merkle::verify(t.root(), l[6], wrong_index).ok());

  auto shorter = p;
  shorter.siblings.pop_back();
  EXPECT_FALSE(merkle::verify(t.root(), l[6], shorter).ok());
  auto longer = p;
  longer.siblings.push_back(l[0]);
  EXPECT_FALSE(merkle::verify(t.root(), l[6], longer).ok());

  // Leaf 12 of 13 is promoted twice (2 siblings); claiming 16 leaves demands 4.
  auto wrong_count = *t.proof(12);
  wrong_count.leaf_count = 16;
  EXPECT_FALSE(merkle::verify(t.root(), l[12], wrong_count).ok());

  auto tampered = p;
  tampered.siblings[1][5] ^= 0x80;
  EXPECT_FALSE(merkle::verify(t.root(), l[6], tampered).ok());

  EXPECT_FALSE(t.proof(13).ok());
}

TEST(Merkle, DecodeRejectsMalformed) {
  auto l = leaves(9);
  merkle::Tree t(l);
  Bytes wire = t.proof(3)->encode();
  EXPECT_TRUE(merkle::Proof::decode(wire).ok());
  for (size_t cut = 0; cut < wire.size(); ++cut)
    EXPECT_FALSE(merkle::Proof::decode(ByteView(wire).first(cut)).ok()) << cut;
  Bytes trailing = wire;
  trailing.push_back(0);
  EXPECT_FALSE(merkle::Proof::decode(trailing).ok());
  Bytes too_many = wire;
  too_many[8] = 33;  // sibling count above 32
  EXPECT_FALSE(merkle::Proof::decode(too_many).ok());
}


// verify_many must decide exactly as verify, proof by proof, for good proofs and for every way
// of spoiling one, mixed in one call (they climb together, so one bad proof must not disturb
// another's hashes).
TEST(Merkle, VerifyManyAgreesWithVerify) {
  std::vector<Hash32> roots_store;
  std::vector<Hash32> leaves;
  std::vector<merkle::Proof> proofs;
  for (uint32_t n : {1u, 2u, 3u, 5u, 7u, 8u, 33u, 100u}) {
    std::vector<Hash32> hs;
    for (uint32_t i = 0; i < n; ++i) hs.push_back(merkle::leaf_hash(as_bytes("leaf " + std::to_string(n) + "/" + std::to_string(i))));
    merkle::Tree t(hs);
    for (uint32_t i = 0; i < n; ++i) {
      auto p = *t.proof(i);
      for (int variant = 0; variant < 7; ++variant) {
        merkle::Proof q = p;
        Hash32 leaf = hs[i], root = t.root();
        switch (variant) {
          case 0: break;                                   // good
          case 1: leaf[3] ^= 1; break;                     // wrong leaf
          case 2: root[0] ^= 0x80; break;                  // wrong root
          case 3: if (!q.siblings.empty()) q.siblings.back()[5] ^= 1; break;  // tampered sibling
          case 4: q.siblings.push_back(hs[0]); break;      // too long
          case 5: if (!q.siblings.empty()) q.siblings.pop_back(); break;  // too short
          case 6: q.index = q.leaf_count; break;           // index out of range
        }
        roots_store.push_back(root);
        leaves.push_back(leaf);
        proofs.push_back(std::move(q));
      }
    }
  }
  std::vector<const Hash32*> roots;
  std::vector<const merkle::Proof*> pp;
  for (size_t i = 0; i < proofs.size(); ++i) {
    roots.push_back(&roots_store[i]);
    pp.push_back(&proofs[i]);
  }
  std::vector<uint8_t> ok;
  merkle::verify_many(roots, leaves, pp, ok);
  ASSERT_EQ(ok.size(), proofs.size());
  size_t good = 0;
  for (size_t i = 0; i < proofs.size(); ++i) {
    const bool want = merkle::verify(roots_store[i], leaves[i], proofs[i]).ok();
    EXPECT_EQ(bool(ok[i]), want) << "item " << i;
    good += want;
  }
  EXPECT_GT(good, 100u);                  // the good ones are there...
  EXPECT_LT(good, proofs.size() / 2);     // ...and most spoiled ones are rejected
}

TEST(Merkle, PackedLeavesEqualOneByOne) {
  Writer w;
  std::vector<size_t> at{0};
  for (size_t len : {64, 0, 30, 128, 64, 1024, 1088, 65, 640, 64}) {
    for (size_t i = 0; i < len; ++i) w.u8(static_cast<uint8_t>(i ^ len));
    at.push_back(w.size());
  }
  const auto leaves = merkle::hash_packed_leaves(w.data(), at);
  ASSERT_EQ(leaves.size(), at.size() - 1);
  for (size_t i = 0; i + 1 < at.size(); ++i)
    EXPECT_EQ(leaves[i], merkle::leaf_hash(w.data().subspan(at[i], at[i + 1] - at[i]))) << i;
  EXPECT_TRUE(merkle::hash_packed_leaves({}, std::vector<size_t>{}).empty());
}

}  // namespace
}  // namespace rampart::crypto
