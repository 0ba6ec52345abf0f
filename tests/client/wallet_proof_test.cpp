// Proven wallet reads end to end in one process: the executor runs real wallet batches, the
// block's header is group-signed (fake keyring), and a balance or page proof built from the
// state after the block verifies against nothing but the group key; a proof over another block,
// a wrong reply-cache digest, a forged signature or a changed balance is refused.
#include <gtest/gtest.h>

#include "app/wallet/wallet.hpp"
#include "app/wallet_helpers.hpp"
#include "client/wallet.hpp"
#include "client/wallet_proof.hpp"
#include "crypto/fake.hpp"
#include "replica/executor.hpp"

namespace rampart::client {
namespace {
namespace w = app::wallet;
using crypto::ed25519::KeyPair;

struct Chain {
  crypto::FakeKeyring ring{4, 3, 5};
  KeyPair admin = KeyPair::generate();
  std::vector<KeyPair> users{KeyPair::generate(), KeyPair::generate(), KeyPair::generate()};
  w::Wallet wallet{{admin.public_key()}};
  replica::Executor exec{wallet};
  ledger::Block last;

  // Executes one batch of operations as block k and signs its header like nf replicas would.
  void run(uint64_t k, const std::vector<Bytes>& ops) {
    replica::Batch b;
    for (size_t i = 0; i < ops.size(); ++i) b.requests.push_back({100 + i, k, ops[i], {}});
    auto out = exec.execute(k, b, batch_digest(replica::encode_batch(b)));
    ledger::Block blk;
    blk.k = k;
    blk.batch_digest = out.batch_digest;
    blk.prev_hash = k == 1 ? Hash32{} : ledger::block_hash(last);
    blk.state_digest = out.state_digest;
    blk.results_root = out.results_root;
    blk.view = 1;
    Bytes msg = ledger::proof_message(blk);
    std::vector<crypto::Share> shares;
    for (uint32_t i = 0; i < 3; ++i) shares.push_back({i, ring.threshold_signer(i)->sign_share(msg)});
    blk.proof = *ring.threshold_verifier().combine(msg, shares);
    last = blk;
  }
  StateProof balance_proof(const w::Account& a) { return make_state_proof(last, exec.reply_cache_digest(), wallet.prove_balance(a)); }
};

TEST(WalletProof, BalanceAndPageVerifyAgainstTheSignedBlock) {
  Chain c;
  const auto& tv = c.ring.threshold_verifier();
  c.run(1, {w::test::transfer(c.admin, c.users[0].public_key(), 100, 0), w::test::transfer(c.admin, c.users[1].public_key(), 50, 1)});
  c.run(2, {w::test::transfer(c.users[0], c.users[2].public_key(), 30, 0)});
  auto p = c.balance_proof(c.users[0].public_key());
  auto e = verify_balance_proof(p, c.users[0].public_key(), tv);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->balance, 70u);
  EXPECT_EQ(e->nonce, 1u);
  // Through the wire encoding, as a gateway would pass it on.
  auto round = decode_state_proof(encode_state_proof(p));
  ASSERT_TRUE(round);
  EXPECT_EQ(*round, p);
  // An account nobody paid: proven absent.
  auto stranger = KeyPair::generate().public_key();
  auto z = verify_balance_proof(c.balance_proof(stranger), stranger, tv);
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->balance, 0u);
  // A whole ledger page.
  auto pp = make_state_proof(c.last, c.exec.reply_cache_digest(), c.wallet.prove_page(std::nullopt, 10));
  auto page = verify_page_proof(pp, std::nullopt, 10, tv);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->entries.size(), 4u);  // admin (nonce 2) and three users
  EXPECT_FALSE(page->more);
}

TEST(WalletProof, LiesAreRefused) {
  Chain c;
  const auto& tv = c.ring.threshold_verifier();
  c.run(1, {w::test::transfer(c.admin, c.users[0].public_key(), 100, 0)});
  const auto old_block = c.last;
  c.run(2, {w::test::transfer(c.users[0], c.users[1].public_key(), 40, 0)});
  const auto a = c.users[0].public_key();
  const auto good = c.balance_proof(a);
  ASSERT_TRUE(verify_balance_proof(good, a, tv));

  auto p = good;
  p.accounts.entries[0].balance = 100;  // the balance before block 2
  EXPECT_FALSE(verify_balance_proof(p, a, tv));
  p = good;
  p.reply_cache_digest[0] ^= 1;
  EXPECT_FALSE(verify_balance_proof(p, a, tv));
  p = make_state_proof(old_block, c.exec.reply_cache_digest(), c.wallet.prove_balance(a));  // today's state, yesterday's block
  EXPECT_FALSE(verify_balance_proof(p, a, tv));
  p = good;
  p.group_sig[0] ^= 1;
  EXPECT_FALSE(verify_balance_proof(p, a, tv));
  p = good;
  p.view += 1;  // the signature names view 1
  EXPECT_FALSE(verify_balance_proof(p, a, tv));
  crypto::FakeKeyring other(4, 3, 6);  // another cluster's group key
  EXPECT_FALSE(verify_balance_proof(good, a, other.threshold_verifier()));
}

TEST(WalletProof, ResultMustAnswerTheOperationSent) {
  Chain c;
  Bytes op1 = w::test::transfer(c.admin, c.users[0].public_key(), 5, 0);
  Bytes op2 = w::test::transfer(c.admin, c.users[0].public_key(), 5, 1);
  w::Wallet scratch({c.admin.public_key()});
  Bytes res1 = app::apply_op(scratch, 1, op1);
  EXPECT_TRUE(check_wallet_result(op1, res1));
  auto bad = check_wallet_result(op2, res1);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("another operation"), std::string::npos);
}

}  // namespace
}  // namespace rampart::client
