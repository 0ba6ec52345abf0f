// The wallet codec: every operation and result round-trips; malformed input is refused with a
// reason naming the field, never half-decoded.
#include <gtest/gtest.h>

#include "app/wallet/op.hpp"
#include "app/wallet_helpers.hpp"

namespace rampart::app::wallet {
namespace {
using namespace test;

TEST(WalletOp, RoundTrips) {
  auto a = crypto::ed25519::KeyPair::generate(), b = crypto::ed25519::KeyPair::generate();
  for (const Bytes& bytes : {transfer(a, acct(b), 5, 0), atomic({{&a, acct(b), 1, 0}, {&b, acct(a), 2, 7}}), balance(acct(a)),
                             page(std::nullopt, 10), page(acct(b), kMaxPage)}) {
    auto op = decode_op(bytes);
    ASSERT_TRUE(op) << op.error().message;
    EXPECT_EQ(encode_op(*op), bytes);
  }
  OpResult r{Code::replay, op_hash(balance(acct(a))), "leg 0: nonce 3 was used", {{acct(a), 9, 1}, {acct(b), 0, 2}}, true};
  auto d = decode_result(encode_result(r));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, r);
}

TEST(WalletOp, MalformedIsRefusedWithReason) {
  auto a = crypto::ed25519::KeyPair::generate();
  auto expect_refused = [](const Bytes& b, const std::string& words) {
    auto op = decode_op(b);
    ASSERT_FALSE(op);
    EXPECT_NE(op.error().message.find(words), std::string::npos) << op.error().message;
  };
  expect_refused({}, "empty");
  expect_refused({9}, "unknown type 9");
  Bytes t = transfer(a, acct(a), 1, 0);
  expect_refused(Bytes(t.begin(), t.end() - 1), "wallet operation");
  Bytes extra = t;
  extra.push_back(0);
  expect_refused(extra, "wallet operation");
  expect_refused({2, 0, 0}, "0 legs");
  expect_refused({2, 65, 0}, "65 legs");
  expect_refused({2, 2, 0}, "shorter than its legs");
  Bytes p = page(std::nullopt, 1);
  p[1] = 2;
  expect_refused(p, "has_after");
  expect_refused(page(std::nullopt, 0), "limit 0");
  expect_refused(page(std::nullopt, kMaxPage + 1), "limit 257");
}

TEST(WalletOp, ResultDecoderIsBounded) {
  EXPECT_FALSE(decode_result({}));
  OpResult r;
  Bytes b = encode_result(r);
  b[0] = 99;
  EXPECT_FALSE(decode_result(b));
  b = encode_result(r);
  b.back() = 2;  // more flag
  EXPECT_FALSE(decode_result(b));
}

TEST(WalletOp, SigningMessageCoversEveryLeg) {
  auto a = crypto::ed25519::KeyPair::generate(), b = crypto::ed25519::KeyPair::generate();
  auto legs = signed_legs({{&a, acct(b), 1, 0}, {&b, acct(a), 2, 0}});
  auto one = std::vector<Leg>{legs[0]};
  EXPECT_NE(signing_message(legs), signing_message(one));  // a leg cannot be lifted out of its atomic transfer
  EXPECT_FALSE(crypto::ed25519::verify(acct(a), signing_message(one), legs[0].sig));
}

}  // namespace
}  // namespace rampart::app::wallet
