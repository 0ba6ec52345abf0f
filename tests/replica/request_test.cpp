#include <gtest/gtest.h>

#include "crypto/fake.hpp"
#include "replica/batch.hpp"

using namespace rampart;
using namespace rampart::replica;

namespace {
struct Clients {
  crypto::FakeKeyring keys{8, 1, 42};
  ClientVerifierFrom verifier{keys.verifier(), 8};
  ClientSignerFrom signer(ClientId c) const { return ClientSignerFrom(keys.signer(static_cast<crypto::NodeId>(c))); }
};
}  // namespace

TEST(Request, SignVerifyRoundTrip) {
  Clients cl;
  Request r = make_request(3, 7, to_bytes("op"), cl.signer(3));
  EXPECT_TRUE(verify_request(r, cl.verifier));
  auto d = decode_request(encode_request(r));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, r);
}

TEST(Request, RejectsForgeryAndReplayUnderOtherFields) {
  Clients cl;
  Request r = make_request(3, 7, to_bytes("op"), cl.signer(3));
  Request other_client = r;
  other_client.client = 4;
  EXPECT_FALSE(verify_request(other_client, cl.verifier));
  Request other_seq = r;
  other_seq.seq = 8;
  EXPECT_FALSE(verify_request(other_seq, cl.verifier));
  Request other_payload = r;
  other_payload.payload.push_back(1);
  EXPECT_FALSE(verify_request(other_payload, cl.verifier));
  Request signed_by_other = make_request(3, 7, to_bytes("op"), cl.signer(5));
  EXPECT_FALSE(verify_request(signed_by_other, cl.verifier));
  Request unknown = make_request(99, 1, to_bytes("op"), cl.signer(1));
  EXPECT_FALSE(verify_request(unknown, cl.verifier));
}

TEST(Request, DecoderIsBounded) {
  Clients cl;
  Bytes enc = encode_request(make_request(1, 1, to_bytes("op"), cl.signer(1)));
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    EXPECT_FALSE(decode_request(ByteView(enc.data(), cut)).ok()) << cut;
  }
  Bytes trailing = enc;
  trailing.push_back(0);
  EXPECT_FALSE(decode_request(trailing).ok());
  Writer w;
  w.u64(1);
  w.u64(1);
  w.u32(static_cast<uint32_t>(kMaxPayload + 1));
  w.raw(Bytes(kMaxPayload + 1, 0));
  w.u32(0);
  EXPECT_FALSE(decode_request(w.data()).ok());
}

TEST(Batch, RoundTripDigestAndValidation) {
  Clients cl;
  Batch b;
  for (ClientId c = 0; c < 4; ++c) b.requests.push_back(make_request(c, 1, to_bytes("x"), cl.signer(c)));
  Bytes enc = encode_batch(b);
  auto d = decode_batch(enc);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, b);
  EXPECT_TRUE(validate_batch(enc, cl.verifier).ok());
  Batch b2 = b;
  b2.requests[2].payload = to_bytes("y");
  EXPECT_NE(batch_digest(encode_batch(b2)), batch_digest(enc));
  EXPECT_FALSE(validate_batch(encode_batch(b2), cl.verifier).ok());  // signature no longer matches
  EXPECT_FALSE(validate_batch(encode_batch(Batch{}), cl.verifier).ok());
}

TEST(Batch, RejectsHugeCountsWithoutAllocating) {
  Writer w;
  w.u32(0xffffffffu);
  EXPECT_FALSE(decode_batch(w.data()).ok());
  Writer w2;
  w2.u32(1000);  // claims 1000 requests, holds none
  EXPECT_FALSE(decode_batch(w2.data()).ok());
}
