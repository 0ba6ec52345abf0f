// Balance and ledger-page proofs against the wallet's app digest: every honest proof verifies
// and gives the true answer, for present and absent accounts and every tree shape up to 33
// accounts; a proof that lies (a changed balance, a left-out account, a shifted range, a wrong
// count, a missing or extra sibling) is refused.
#include <gtest/gtest.h>

#include <random>

#include "app/wallet/accounts_proof.hpp"
#include "app/wallet/wallet.hpp"
#include "app/wallet_helpers.hpp"
#include "crypto/merkle.hpp"

namespace rampart::app::wallet {
namespace {
using namespace test;
using crypto::ed25519::KeyPair;

Account random_account(std::mt19937_64& rng) {
  Account a;
  for (auto& b : a) b = static_cast<uint8_t>(rng());
  return a;
}

// A wallet of n accounts with known balances (minted by one admin).
struct Fixture {
  KeyPair admin = KeyPair::generate();
  Wallet w{{admin.public_key()}};
  std::vector<Entry> sorted;
  Fixture(size_t n, std::mt19937_64& rng) {
    for (size_t i = 0; i < n; ++i) {
      Account to = random_account(rng);
      auto r = decode_result(apply_op(w, 1, transfer(admin, to, 1 + i, i)));
      EXPECT_TRUE(r && r->code == Code::ok);
    }
    std::optional<Account> after;
    while (true) {
      auto r = decode_result(apply_op(w, 1, page(after, kMaxPage)));
      sorted.insert(sorted.end(), r->entries.begin(), r->entries.end());
      if (!r->more) break;
      after = r->entries.back().account;
    }
  }
};

TEST(AccountsProof, DigestIsTheMerkleRootOverAccounts) {
  std::mt19937_64 rng(1);
  Fixture f(5, rng);
  std::vector<Hash32> leaves;
  for (const auto& e : f.sorted) leaves.push_back(account_leaf_hash(e));
  // The admin has a nonce now, so it is an account too.
  ASSERT_EQ(f.sorted.size(), 6u);
  EXPECT_EQ(f.w.digest(), app_digest(6, crypto::merkle::Tree(leaves).root()));
}

TEST(AccountsProof, EveryRangeOfEveryShapeHashesToTheDigest) {
  std::mt19937_64 rng(2);
  for (size_t n = 1; n <= 33; ++n) {
    std::vector<Entry> all;
    for (size_t i = 0; i < n; ++i) all.push_back({random_account(rng), i + 1, 0});
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.account < b.account; });
    std::vector<Hash32> leaves;
    for (const auto& e : all) leaves.push_back(account_leaf_hash(e));
    const Hash32 digest = app_digest(n, crypto::merkle::root(leaves));
    for (size_t lo = 0; lo < n; ++lo)
      for (size_t hi = lo + 1; hi <= n; ++hi) {
        auto p = prove_range(all, leaves, lo, hi);
        auto d = range_digest(p);
        ASSERT_TRUE(d) << n << " " << lo << " " << hi << ": " << d.error().message;
        ASSERT_EQ(*d, digest) << n << " " << lo << " " << hi;
        auto round = decode_range_proof(encode_range_proof(p));
        ASSERT_TRUE(round);
        EXPECT_EQ(*round, p);
      }
  }
}

TEST(AccountsProof, BalancesOfPresentAndAbsentAccounts) {
  std::mt19937_64 rng(3);
  for (size_t n : {0, 1, 2, 7, 20}) {
    Fixture f(n, rng);
    const Hash32 d = f.w.digest();
    for (const auto& e : f.sorted) {
      auto got = verify_balance(d, f.w.prove_balance(e.account), e.account);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, e);
    }
    for (int i = 0; i < 20; ++i) {
      Account a = random_account(rng);
      if (i == 0) a.fill(0);
      if (i == 1) a.fill(0xff);
      auto got = verify_balance(d, f.w.prove_balance(a), a);
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(got->balance, 0u);
    }
  }
}

TEST(AccountsProof, LyingBalanceProofsAreRefused) {
  std::mt19937_64 rng(4);
  Fixture f(9, rng);
  const Hash32 d = f.w.digest();
  const Entry& e = f.sorted[4];
  const auto good = f.w.prove_balance(e.account);
  auto p = good;
  p.entries[0].balance += 1;
  EXPECT_FALSE(verify_balance(d, p, e.account));
  // Claim the account is absent by showing other accounts: neighbours that are not adjacent.
  Account missing = e.account;
  p = prove_range(f.sorted, [&] {
    std::vector<Hash32> l;
    for (auto& x : f.sorted) l.push_back(account_leaf_hash(x));
    return l;
  }(), 5, 6);
  EXPECT_FALSE(verify_balance(d, p, missing));  // range [5,6) starts after the account: does not cover it
  p = good;
  p.count += 1;
  EXPECT_FALSE(verify_balance(d, p, e.account));
  p = good;
  p.lo += 1;
  EXPECT_FALSE(verify_balance(d, p, e.account));
  p = good;
  p.siblings.pop_back();
  EXPECT_FALSE(verify_balance(d, p, e.account));
  p = good;
  p.siblings.push_back(Hash32{});
  EXPECT_FALSE(verify_balance(d, p, e.account));
  Hash32 other = d;
  other[0] ^= 1;
  EXPECT_FALSE(verify_balance(other, good, e.account));
}

TEST(AccountsProof, PagesAreCompleteAndExact) {
  std::mt19937_64 rng(5);
  Fixture f(23, rng);
  const Hash32 d = f.w.digest();
  for (uint32_t limit : {1u, 4u, 7u, 30u}) {
    std::vector<Entry> walked;
    std::optional<Account> after;
    for (int i = 0; i < 40; ++i) {
      auto p = f.w.prove_page(after, limit);
      auto page = verify_page(d, p, after, limit);
      ASSERT_TRUE(page) << page.error().message;
      walked.insert(walked.end(), page->entries.begin(), page->entries.end());
      if (!page->more) break;
      after = page->entries.back().account;
    }
    EXPECT_EQ(walked, f.sorted) << "limit " << limit;
  }
  // After the last account: an empty page, proven.
  auto p = f.w.prove_page(f.sorted.back().account, 5);
  auto page = verify_page(d, p, f.sorted.back().account, 5);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_TRUE(page->entries.empty());
  EXPECT_FALSE(page->more);
  // Leaving out accounts: a page proof that starts later than it should, or stops short.
  std::optional<Account> after = f.sorted[3].account;
  p = f.w.prove_page(f.sorted[5].account, 4);  // honest for after = sorted[5], not for sorted[3]
  EXPECT_FALSE(verify_page(d, p, after, 4));
  p = f.w.prove_page(after, 4);
  p.entries.pop_back();
  EXPECT_FALSE(verify_page(d, p, after, 4));
  EXPECT_FALSE(verify_page(d, f.w.prove_page(after, 4), after, 5));
}

}  // namespace
}  // namespace rampart::app::wallet
