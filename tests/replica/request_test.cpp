#include <gtest/gtest.h>

#include "crypto/fake.hpp"
#include "common/codec.hpp"
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

TEST(Batch, BundleDecodesToItsPartsRequestsInOrder) {
  Clients cl;
  Batch a, b;
  for (ClientId c = 0; c < 3; ++c) a.requests.push_back(make_request(c, 1, to_bytes("a"), cl.signer(c)));
  for (ClientId c = 3; c < 5; ++c) b.requests.push_back(make_request(c, 7, to_bytes("b"), cl.signer(c)));
  Bytes ea = encode_batch(a), eb = encode_batch(b);
  Bytes bundle = encode_bundle({ea, eb});
  EXPECT_TRUE(is_bundle(bundle));
  EXPECT_FALSE(is_bundle(ea));
  auto parts = batch_parts(bundle);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  // Each part is byte-identical to the batch its replica built: same digest.
  EXPECT_EQ(batch_digest((*parts)[0]), batch_digest(ea));
  EXPECT_EQ(batch_digest((*parts)[1]), batch_digest(eb));
  auto d = decode_batch(bundle);
  ASSERT_TRUE(d.ok());
  Batch both = a;
  both.requests.insert(both.requests.end(), b.requests.begin(), b.requests.end());
  EXPECT_EQ(*d, both);
  EXPECT_TRUE(validate_batch(bundle, cl.verifier).ok());
  // A plain batch is its own single part.
  auto single = batch_parts(ea);
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->size(), 1u);
  EXPECT_EQ(single->front().data(), ea.data());
  // A forged request in any part fails the whole bundle.
  Batch forged = b;
  forged.requests[1].payload = to_bytes("changed");
  EXPECT_FALSE(validate_batch(encode_bundle({ea, encode_batch(forged)}), cl.verifier).ok());
}

TEST(Batch, MalformedBundlesAreRejected) {
  Clients cl;
  Batch a;
  a.requests.push_back(make_request(1, 1, to_bytes("a"), cl.signer(1)));
  Bytes ea = encode_batch(a);
  Bytes ok = encode_bundle({ea});
  EXPECT_TRUE(decode_batch(ok).ok());
  EXPECT_FALSE(decode_batch(encode_bundle({})).ok());               // no parts
  EXPECT_FALSE(decode_batch(encode_bundle({ok})).ok());             // a bundle inside a bundle
  EXPECT_FALSE(decode_batch(encode_bundle({to_bytes("junk")})).ok());  // a part that is no batch
  Bytes truncated(ok.begin(), ok.end() - 1);
  EXPECT_FALSE(decode_batch(truncated).ok());
  Bytes trailing = ok;
  trailing.push_back(0);
  EXPECT_FALSE(decode_batch(trailing).ok());
  // Part count beyond the limit, without allocating for it.
  Writer w;
  w.u32(kBundleMarker);
  w.u32(static_cast<uint32_t>(kMaxBundleParts + 1));
  EXPECT_FALSE(batch_parts(w.data()).ok());
  // More requests in all than one batch may hold (each part claims the maximum).
  Writer big;
  big.u32(static_cast<uint32_t>(kMaxBatchRequests));
  Writer two;
  two.u32(kBundleMarker);
  two.u32(2);
  two.bytes(big.data());
  two.bytes(big.data());
  auto p = batch_parts(two.data());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("kMaxBatchRequests"), std::string::npos);
}

// A salted bundle holds the same parts under new bytes (a retry of a lone request, ordered
// again): it decodes to the same requests, its parts are byte-identical, its digest differs
// with each salt, and a salted bundle is no more a valid part than a plain one.
TEST(Batch, SaltedBundlesOrderTheSamePartsUnderNewBytes) {
  Clients cl;
  Batch a;
  a.requests.push_back(make_request(1, 1, to_bytes("a"), cl.signer(1)));
  const Bytes ea = encode_batch(a);
  const Bytes s1 = encode_bundle({ea}, 1), s2 = encode_bundle({ea}, 2);
  EXPECT_TRUE(is_bundle(s1));
  EXPECT_NE(batch_digest(s1), batch_digest(ea));
  EXPECT_NE(batch_digest(s1), batch_digest(encode_bundle({ea})));
  EXPECT_NE(batch_digest(s1), batch_digest(s2));
  for (const Bytes& s : {s1, s2}) {
    auto d = decode_batch(s);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, a);
    auto p = batch_parts(s);
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->size(), 1u);
    EXPECT_TRUE(std::equal((*p)[0].begin(), (*p)[0].end(), ea.begin(), ea.end()));
  }
  EXPECT_FALSE(decode_batch(encode_bundle({s1})).ok());  // a bundle inside a bundle
  EXPECT_FALSE(decode_batch(Bytes(s1.begin(), s1.begin() + 10)).ok());  // salt cut short
}

// for_each_request (in place, what replicas check batches with) sees exactly the requests
// decode_batch returns and accepts exactly the inputs decode_batch accepts.
TEST(Batch, InPlaceVisitAgreesWithDecode) {
  Clients cl;
  Batch a, b;
  for (ClientId c = 0; c < 3; ++c) a.requests.push_back(make_request(c, 1, to_bytes("a" + std::to_string(c)), cl.signer(c)));
  for (ClientId c = 3; c < 5; ++c) b.requests.push_back(make_request(c, 7, to_bytes("b"), cl.signer(c)));
  const Bytes ea = encode_batch(a), eb = encode_batch(b), bundle = encode_bundle({ea, eb});
  Bytes trailing = ea;
  trailing.push_back(0);
  Writer w2;
  w2.u32(1000);  // claims 1000 requests, holds none
  const std::vector<Bytes> inputs = {ea, eb, bundle, encode_batch(Batch{}), Bytes(ea.begin(), ea.end() - 1), trailing,
                                     encode_bundle({}), encode_bundle({bundle}), encode_bundle({to_bytes("junk")}),
                                     Bytes(bundle.begin(), bundle.end() - 3), w2.take()};
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<Request> seen;
    auto st = for_each_request(inputs[i], [&](const RequestView& r) -> Status {
      seen.push_back(Request{r.client, r.seq, Bytes(r.payload.begin(), r.payload.end()), Bytes(r.sig.begin(), r.sig.end())});
      return {};
    });
    auto d = decode_batch(inputs[i]);
    ASSERT_EQ(st.ok(), d.ok()) << i;
    if (d.ok()) {
      EXPECT_EQ(seen, d->requests) << i;
    }
  }
  // fn's error stops the visit and is returned.
  size_t calls = 0;
  auto st = for_each_request(bundle, [&](const RequestView& r) -> Status {
    ++calls;
    return r.client == 1 ? err("stop") : Status{};
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(calls, 2u);
}
