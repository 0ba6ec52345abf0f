// A wallet account used as the client's own key: its requests' signatures vouch for its legs
// (Wallet::vouched), so its transfers go out without a leg signature and the replicas check one
// Ed25519 signature per transfer fewer. The same unsigned leg sent by any other client is
// refused, and a second run with the same key (request numbers from the wall clock) still
// executes instead of being answered from the first run's reply cache.
#include <gtest/gtest.h>

#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {
namespace {
using namespace std::chrono_literals;
namespace w = app::wallet;
using crypto::ed25519::KeyPair;

TEST(WalletPrincipal, AnAccountsOwnRequestsNeedNoLegSignature) {
  LocalCluster c(4, "poe", "--app wallet --admins 1");
  auto admin = client::load_wallet_key(c.dir() / "keys" / "admin-0.key");
  ASSERT_TRUE(admin) << admin.error().message;
  c.start_all();
  ASSERT_TRUE(c.wait_up(20s));

  client::ClientOptions co;
  co.timeout = 1500ms;
  auto minter = client::WalletClient::create(c.config(), co);
  ASSERT_TRUE(minter) << minter.error().message;
  const KeyPair account = KeyPair::generate();
  const w::Account sink = KeyPair::generate().public_key();
  auto mint = (*minter)->transfer(*admin, account.public_key(), 100, 0);
  ASSERT_TRUE(mint) << mint.error().message;
  ASSERT_EQ(mint->result.code, w::Code::ok) << mint->result.reason;

  auto owner_client = [&] {
    client::ClientOptions o = co;
    o.key = client::SigningKey::of(account);
    return client::WalletClient::create(c.config(), o);
  };
  auto owner = owner_client();
  ASSERT_TRUE(owner) << owner.error().message;
  auto r = (*owner)->transfer(account, sink, 30, 0);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->result.code, w::Code::ok) << r->result.reason;
  auto sent = w::decode_op(r->op);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->legs.at(0).sig, w::Signature{}) << "the owner's own leg went out signed";

  // The same kind of unsigned leg from someone else's request: refused, nothing moves.
  auto forged = (*minter)->submit(client::make_transfer_op({{&account, sink, 50, 1}}, false, account.public_key()));
  ASSERT_TRUE(forged) << forged.error().message;
  EXPECT_EQ(forged->result.code, w::Code::bad_signature) << forged->result.reason;

  // A second run with the same key.
  owner->reset();
  auto again = owner_client();
  ASSERT_TRUE(again) << again.error().message;
  r = (*again)->transfer(account, sink, 20, 1);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->result.code, w::Code::ok) << r->result.reason;

  auto bal = (*minter)->balance(account.public_key());
  ASSERT_TRUE(bal) << bal.error().message;
  ASSERT_EQ(bal->result.entries.size(), 1u);
  EXPECT_EQ(bal->result.entries[0].balance, 50u);
  EXPECT_EQ(bal->result.entries[0].nonce, 2u);
  bal = (*minter)->balance(sink);
  ASSERT_TRUE(bal) << bal.error().message;
  EXPECT_EQ(bal->result.entries.at(0).balance, 50u);
}

}  // namespace
}  // namespace rampart::test
