// The sign-up codec (broker/signup.hpp): an operation and a result round-trip; every malformed
// form is refused with a reason (the decoders are bounds-checked; fuzz/signup_fuzz.cpp).
#include <gtest/gtest.h>

#include "broker/signup.hpp"
#include "crypto/bls.hpp"

namespace rampart::broker {
namespace {

crypto::bls::SecretKey key(uint8_t i) { return *crypto::bls::SecretKey::from_seed(Bytes(32, i)); }

TEST(SignupWire, OperationRoundTripsAndKeepsItsProof) {
  const auto sk = key(1);
  const Bytes op = encode_signup_op(crypto::bls::public_key(sk), crypto::bls::prove_possession(sk));
  EXPECT_EQ(op.size(), kSignupOpBytes);
  EXPECT_TRUE(is_signup_op(op));
  auto d = decode_signup_op(op);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->bls, crypto::bls::public_key(sk));
  EXPECT_TRUE(crypto::bls::verify_possession(d->bls, d->pop));
}

TEST(SignupWire, MalformedOperationsAreRefused) {
  const auto sk = key(2);
  const Bytes op = encode_signup_op(crypto::bls::public_key(sk), crypto::bls::prove_possession(sk));
  Bytes shorter(op.begin(), op.end() - 1);
  EXPECT_FALSE(decode_signup_op(shorter));
  Bytes longer = op;
  longer.push_back(0);
  EXPECT_FALSE(decode_signup_op(longer));
  Bytes bad_key = op;
  bad_key[kSignupTag.size() + 3] ^= 0x55;  // no longer a point of the subgroup (or not on the curve)
  auto d = decode_signup_op(bad_key);
  EXPECT_FALSE(d);
  Bytes not_signup = op;
  not_signup[0] = 'R';
  EXPECT_FALSE(is_signup_op(not_signup));
  EXPECT_FALSE(decode_signup_op(not_signup));
  EXPECT_FALSE(decode_signup_op({}));
}

TEST(SignupWire, ResultsRoundTrip) {
  SignupResult ok;
  ok.ok = true;
  ok.id = 70000;
  ok.ed25519.fill(7);
  ok.bls = crypto::bls::public_key(key(3));
  const Bytes b = encode_signup_result(ok);
  EXPECT_TRUE(is_signup_result(b));
  auto d = decode_signup_result(b);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->ok);
  EXPECT_EQ(d->id, 70000u);
  EXPECT_EQ(d->ed25519, ok.ed25519);
  EXPECT_EQ(d->bls, ok.bls);

  SignupResult no;
  no.reason = "sign-up: the BLS proof of possession does not verify";
  auto n = decode_signup_result(encode_signup_result(no));
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->ok);
  EXPECT_EQ(n->reason, no.reason);
}

TEST(SignupWire, MalformedResultsAreRefused) {
  SignupResult ok;
  ok.ok = true;
  ok.bls = crypto::bls::public_key(key(4));
  const Bytes b = encode_signup_result(ok);
  for (size_t cut = 0; cut < b.size(); ++cut) EXPECT_FALSE(decode_signup_result(ByteView(b).first(cut))) << cut;
  Bytes trailing = b;
  trailing.push_back(0);
  EXPECT_FALSE(decode_signup_result(trailing));
  Bytes status = b;
  status[kSignupResultTag.size()] = 2;
  EXPECT_FALSE(decode_signup_result(status));
  SignupResult no;
  no.reason = std::string(1000, 'x');  // truncated to kMaxSignupReason on encoding
  auto n = decode_signup_result(encode_signup_result(no));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->reason.size(), kMaxSignupReason);
}

}  // namespace
}  // namespace rampart::broker
