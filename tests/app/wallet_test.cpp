// The wallet state machine: money moves only by signed transfers with the right nonce, is
// created only by admins, never goes negative or overflows, atomic transfers are all or nothing,
// and undo/snapshot restore the state (and its digest) exactly.
#include <gtest/gtest.h>

#include <random>

#include "app/registry.hpp"
#include "app/wallet/wallet.hpp"
#include "app/wallet_helpers.hpp"

namespace rampart::app::wallet {
namespace {
using namespace test;
using crypto::ed25519::KeyPair;

struct World {
  KeyPair admin = KeyPair::generate();
  std::vector<KeyPair> users;
  Wallet w;
  explicit World(size_t n = 3) : w({acct(admin)}) {
    for (size_t i = 0; i < n; ++i) users.push_back(KeyPair::generate());
  }
  OpResult run(uint64_t k, const Bytes& op) {
    auto r = decode_result(apply_op(w, k, op));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : OpResult{};
  }
  uint64_t bal(size_t i) { return w.account(acct(users[i])).balance; }
};

TEST(Wallet, AdminMintsAndUsersTransfer) {
  World t;
  auto r = t.run(1, transfer(t.admin, acct(t.users[0]), 100, 0));
  ASSERT_EQ(r.code, Code::ok) << r.reason;
  EXPECT_EQ(r.op_hash, op_hash(transfer(t.admin, acct(t.users[0]), 100, 0)));
  EXPECT_EQ(t.bal(0), 100u);
  EXPECT_EQ(t.w.account(acct(t.admin)).balance, 0u);  // an admin is not debited: it created the money
  r = t.run(2, transfer(t.users[0], acct(t.users[1]), 30, 0));
  ASSERT_EQ(r.code, Code::ok) << r.reason;
  EXPECT_EQ(t.bal(0), 70u);
  EXPECT_EQ(t.bal(1), 30u);
  ASSERT_EQ(r.entries.size(), 2u);  // the touched accounts, after
  EXPECT_EQ(t.w.account(acct(t.users[0])).nonce, 1u);
  EXPECT_EQ(t.run(3, balance(acct(t.users[1]))).entries.at(0).balance, 30u);
  EXPECT_EQ(t.run(3, balance(acct(t.users[2]))).entries.at(0).balance, 0u);  // unknown account
}

TEST(Wallet, NoMoneyFromNothingNoNegativeNoOverflow) {
  World t;
  auto d0 = t.w.digest();
  auto r = t.run(1, transfer(t.users[0], acct(t.users[1]), 1, 0));
  EXPECT_EQ(r.code, Code::insufficient_funds);
  EXPECT_NE(r.reason.find("cannot send 1"), std::string::npos) << r.reason;
  EXPECT_EQ(t.w.digest(), d0);
  EXPECT_EQ(t.w.size(), 0u);
  EXPECT_EQ(t.run(1, transfer(t.admin, acct(t.users[0]), 0, 0)).code, Code::bad_amount);
  ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[0]), UINT64_MAX, 0)).code, Code::ok);
  r = t.run(2, transfer(t.admin, acct(t.users[0]), 1, 1));
  EXPECT_EQ(r.code, Code::overflow);
  EXPECT_EQ(t.bal(0), UINT64_MAX);
}

TEST(Wallet, ReplayAndOutOfOrderNoncesAreRejected) {
  World t;
  const Bytes mint = transfer(t.admin, acct(t.users[0]), 10, 0);
  ASSERT_EQ(t.run(1, mint).code, Code::ok);
  auto r = t.run(2, mint);  // the same signed bytes again
  EXPECT_EQ(r.code, Code::replay);
  EXPECT_EQ(r.op_hash, op_hash(mint));
  EXPECT_NE(r.reason.find("was used already"), std::string::npos) << r.reason;
  r = t.run(2, transfer(t.users[0], acct(t.users[1]), 1, 5));
  EXPECT_EQ(r.code, Code::nonce_gap);
  EXPECT_NE(r.reason.find("out of order (next nonce 0)"), std::string::npos) << r.reason;
  EXPECT_EQ(t.bal(0), 10u);
}

TEST(Wallet, ForgedSignaturesAreRejected) {
  World t;
  ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[0]), 10, 0)).code, Code::ok);
  // users[1] signs a transfer out of users[0]'s account
  Op op;
  op.type = OpType::transfer;
  op.legs = signed_legs({{&t.users[1], acct(t.users[1]), 5, 0}});
  op.legs[0].from = acct(t.users[0]);
  auto r = t.run(2, encode_op(op));
  EXPECT_EQ(r.code, Code::bad_signature);
  EXPECT_EQ(t.bal(0), 10u);
  // A leg lifted out of an atomic transfer no longer verifies
  auto legs = signed_legs({{&t.users[0], acct(t.users[1]), 5, 0}, {&t.users[1], acct(t.users[0]), 1, 0}});
  op.legs = {legs[0]};
  EXPECT_EQ(t.run(2, encode_op(op)).code, Code::bad_signature);
}

// A leg out of the request's authenticated principal is vouched for by the request's own
// signature: it executes without a leg signature. Not so when the replica did not check the
// principal (--auth none), nor for a leg out of any other account.
TEST(Wallet, TheAuthenticatedPrincipalSpendsWithoutALegSignature) {
  World t;
  ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[0]), 10, 0)).code, Code::ok);
  ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[1]), 10, 1)).code, Code::ok);
  const Account a0 = acct(t.users[0]);
  auto unsigned_op = [&](std::vector<Spec> specs) {
    Op op;
    op.type = specs.size() == 1 ? OpType::transfer : OpType::atomic;
    for (const auto& s : specs) op.legs.push_back({acct(*s.from), s.to, s.amount, s.nonce, {}});
    return encode_op(op);
  };
  auto as = [&](const Account& principal, bool authenticated, uint64_t k, const Bytes& op) {
    Invocation in{k, 0, 0, ByteView(principal.data(), principal.size()), 0, op};
    in.authenticated = authenticated;
    auto r = decode_result(t.w.apply(in));
    EXPECT_TRUE(r);
    return r ? *r : OpResult{};
  };
  const Bytes op = unsigned_op({{&t.users[0], acct(t.users[2]), 4, 0}});
  EXPECT_EQ(as(a0, false, 2, op).code, Code::bad_signature);                  // principal not checked
  EXPECT_EQ(as(acct(t.users[1]), true, 2, op).code, Code::bad_signature);     // someone else's request
  EXPECT_EQ(apply_op(t.w, 2, op), apply_op(t.w, 2, op));                       // no principal at all: refused alike
  EXPECT_EQ(decode_result(apply_op(t.w, 2, op))->code, Code::bad_signature);
  EXPECT_EQ(t.bal(0), 10u);
  ASSERT_EQ(as(a0, true, 2, op).code, Code::ok);
  EXPECT_EQ(t.bal(0), 6u);
  EXPECT_EQ(t.bal(2), 4u);
  EXPECT_EQ(as(a0, true, 3, op).code, Code::replay);  // the nonce still counts
  // An atomic transfer: the principal's leg is vouched for, the other owner's leg must still be
  // signed, by the other owner, over all legs.
  const Bytes mixed = unsigned_op({{&t.users[0], acct(t.users[2]), 1, 1}, {&t.users[1], acct(t.users[2]), 1, 0}});
  EXPECT_EQ(as(a0, true, 3, mixed).code, Code::bad_signature);
  auto legs = signed_legs({{&t.users[0], acct(t.users[2]), 1, 1}, {&t.users[1], acct(t.users[2]), 1, 0}});
  legs[0].sig = {};  // users[0] is the principal: its own leg signature is not needed
  Op op2;
  op2.type = OpType::atomic;
  op2.legs = legs;
  ASSERT_EQ(as(a0, true, 3, encode_op(op2)).code, Code::ok);
  EXPECT_EQ(t.bal(2), 6u);
}

TEST(Wallet, AtomicTransferIsAllOrNothing) {
  World t;
  ASSERT_EQ(t.run(1, atomic({{&t.admin, acct(t.users[0]), 10, 0}, {&t.admin, acct(t.users[1]), 10, 1}})).code, Code::ok);
  const auto d = t.w.digest();
  // The second leg overdraws: the first must not happen either (nor its nonce be used).
  auto r = t.run(2, atomic({{&t.users[0], acct(t.users[2]), 5, 0}, {&t.users[1], acct(t.users[2]), 11, 0}}));
  EXPECT_EQ(r.code, Code::insufficient_funds);
  EXPECT_NE(r.reason.find("leg 1"), std::string::npos) << r.reason;
  EXPECT_EQ(t.w.digest(), d);
  EXPECT_EQ(t.w.account(acct(t.users[0])).nonce, 0u);
  // Two legs from one account use consecutive nonces.
  r = t.run(2, atomic({{&t.users[0], acct(t.users[2]), 4, 0}, {&t.users[0], acct(t.users[2]), 6, 1}, {&t.users[1], acct(t.users[0]), 3, 0}}));
  ASSERT_EQ(r.code, Code::ok) << r.reason;
  EXPECT_EQ(t.bal(0), 3u);
  EXPECT_EQ(t.bal(1), 7u);
  EXPECT_EQ(t.bal(2), 10u);
  EXPECT_EQ(t.w.account(acct(t.users[0])).nonce, 2u);
}

TEST(Wallet, MalformedChangesNothing) {
  World t;
  ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[0]), 10, 0)).code, Code::ok);
  const auto d = t.w.digest();
  const auto snap = t.w.snapshot();
  auto r = t.run(2, Bytes{1, 2, 3});
  EXPECT_EQ(r.code, Code::malformed);
  EXPECT_FALSE(r.reason.empty());
  EXPECT_EQ(t.w.digest(), d);
  EXPECT_EQ(t.w.snapshot(), snap);
}

TEST(Wallet, LedgerPagesInAccountOrder) {
  World t(10);
  for (size_t i = 0; i < t.users.size(); ++i)
    ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[i]), i + 1, i)).code, Code::ok);
  std::vector<Entry> all;
  std::optional<Account> after;
  for (int pages = 0; pages < 20; ++pages) {
    auto r = t.run(2, page(after, 3));
    ASSERT_EQ(r.code, Code::ok);
    all.insert(all.end(), r.entries.begin(), r.entries.end());
    if (!r.more) break;
    after = r.entries.back().account;
  }
  ASSERT_EQ(all.size(), 11u);  // and the admin, whose nonce moved
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].account, all[i].account);
}

TEST(Wallet, UndoAndSnapshotRestoreExactly) {
  World t;
  ASSERT_EQ(t.run(1, transfer(t.admin, acct(t.users[0]), 50, 0)).code, Code::ok);
  const auto d1 = t.w.digest();
  const auto s1 = t.w.snapshot();
  ASSERT_EQ(t.run(2, transfer(t.users[0], acct(t.users[1]), 20, 0)).code, Code::ok);
  ASSERT_EQ(t.run(3, transfer(t.users[1], acct(t.users[2]), 5, 0)).code, Code::ok);
  const auto d3 = t.w.digest();
  const auto s3 = t.w.snapshot();
  t.w.undo_to(1);
  EXPECT_EQ(t.w.digest(), d1);
  EXPECT_EQ(t.w.snapshot(), s1);
  EXPECT_EQ(t.w.size(), 2u);  // the admin (its nonce) and users[0]
  // Speculation again, then finality drops the undo logs.
  ASSERT_EQ(t.run(2, transfer(t.users[0], acct(t.users[1]), 20, 0)).code, Code::ok);
  ASSERT_EQ(t.run(3, transfer(t.users[1], acct(t.users[2]), 5, 0)).code, Code::ok);
  EXPECT_EQ(t.w.digest(), d3);
  t.w.make_final(3);
  EXPECT_EQ(t.w.undo_batches(), 0u);

  Wallet other({acct(t.admin)});
  ASSERT_TRUE(other.restore(s3));
  EXPECT_EQ(other.digest(), d3);
  EXPECT_EQ(other.snapshot(), s3);
  // A bad snapshot changes nothing.
  Bytes bad = s3;
  bad.pop_back();
  EXPECT_FALSE(other.restore(bad));
  Bytes unsorted = s3;
  std::swap_ranges(unsorted.begin() + 4, unsorted.begin() + 52, unsorted.begin() + 52);
  EXPECT_FALSE(other.restore(unsorted));
  EXPECT_EQ(other.digest(), d3);
}

TEST(Wallet, RandomHistoryConservesMoney) {
  World t(6);
  auto digest_of = [&](const Bytes& snapshot) {
    Wallet fresh({acct(t.admin)});
    EXPECT_TRUE(fresh.restore(snapshot));
    return fresh.digest();
  };
  std::mt19937_64 rng(7);
  std::vector<uint64_t> nonce(t.users.size(), 0);
  uint64_t minted = 0, admin_nonce = 0;
  std::map<uint64_t, std::pair<Bytes, uint64_t>> at;  // k -> snapshot and minted after k
  at[0] = {t.w.snapshot(), 0};
  for (uint64_t k = 1; k <= 200; ++k) {
    if (rng() % 10 == 0 && k > 5) {  // a view change rolls back a few batches
      uint64_t back = k - 1 - rng() % 4;
      t.w.undo_to(back);
      ASSERT_EQ(t.w.snapshot(), at[back].first);
      ASSERT_EQ(t.w.digest(), digest_of(at[back].first));
      minted = at[back].second;
      for (size_t i = 0; i < t.users.size(); ++i) nonce[i] = t.w.account(acct(t.users[i])).nonce;
      admin_nonce = t.w.account(acct(t.admin)).nonce;
      for (uint64_t j = back + 1; j < k; ++j) at.erase(j);
      k = back;
      continue;
    }
    for (int op = 0; op < 5; ++op) {
      size_t from = rng() % t.users.size(), to = rng() % t.users.size();
      uint64_t amount = 1 + rng() % 40;
      if (rng() % 4 == 0) {
        if (t.run(k, transfer(t.admin, acct(t.users[to]), amount, admin_nonce)).code == Code::ok) {
          minted += amount;
          admin_nonce++;
        }
      } else if (t.run(k, transfer(t.users[from], acct(t.users[to]), amount, nonce[from])).code == Code::ok) {
        nonce[from]++;
      }
    }
    uint64_t total = 0;
    for (size_t i = 0; i < t.users.size(); ++i) total += t.bal(i);
    ASSERT_EQ(total, minted);
    at[k] = {t.w.snapshot(), minted};
    // The kept tree, updated in place, gives the digest of one built afresh.
    ASSERT_EQ(t.w.digest(), digest_of(at[k].first)) << "after batch " << k;
  }
  EXPECT_GT(minted, 0u);
}

TEST(Registry, MakesTheConfiguredApp) {
  ClusterConfig c;
  c.app = "kv";
  ASSERT_TRUE(make_app(c));
  c.app = "wallet";
  auto admin = KeyPair::generate();
  c.admin_accounts = {to_hex(acct(admin))};
  auto w = make_app(c);
  ASSERT_TRUE(w);
  auto r = decode_result(apply_op(**w, 1, transfer(admin, acct(admin), 5, 0)));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, Code::ok);
  c.admin_accounts = {"abc"};
  EXPECT_FALSE(make_app(c));
  c.app = "bank";
  EXPECT_FALSE(make_app(c));
}

}  // namespace
}  // namespace rampart::app::wallet
