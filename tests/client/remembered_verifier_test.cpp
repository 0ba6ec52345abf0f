// The process-wide group verifier remembers only what verified, by the exact bytes: a forged
// signature is refused every time it comes, a genuine one costs one check however often it
// comes, and anything else (another message, another signature) is checked anew.
#include <gtest/gtest.h>

#include "client/remembered_verifier.hpp"
#include "crypto/fake.hpp"

#include <future>
#include <thread>

namespace rampart::client {
namespace {

struct Fixture {
  std::shared_ptr<crypto::FakeKeyring> ring = std::make_shared<crypto::FakeKeyring>(4, 3, 5);
  std::shared_ptr<const crypto::ThresholdVerifier> inner{ring, &ring->threshold_verifier()};
  Bytes group_sig(const Bytes& msg) const {
    std::vector<crypto::Share> shares;
    for (uint32_t i = 0; i < 3; ++i) shares.push_back({i, ring->threshold_signer(i)->sign_share(msg)});
    return *ring->threshold_verifier().combine(msg, shares);
  }
};

TEST(RememberedGroupVerifier, AGenuineSignatureIsCheckedOnceAForgedOneEveryTime) {
  Fixture f;
  RememberedGroupVerifier v(f.inner);
  const Bytes m1 = to_bytes("block 1"), m2 = to_bytes("block 2");
  const Bytes s1 = f.group_sig(m1);
  EXPECT_TRUE(v.verify_group(m1, s1));
  EXPECT_TRUE(v.verify_group(m1, s1));
  EXPECT_EQ(v.pairings(), 1u);
  Bytes forged = s1;
  forged[0] ^= 1;
  EXPECT_FALSE(v.verify_group(m1, forged));
  EXPECT_FALSE(v.verify_group(m1, forged));
  EXPECT_EQ(v.pairings(), 3u);
  EXPECT_FALSE(v.verify_group(m2, s1));  // a remembered signature, over another message
  EXPECT_TRUE(v.verify_group(m2, f.group_sig(m2)));
  EXPECT_EQ(v.pairings(), 5u);
}

TEST(RememberedGroupVerifier, ForgetsTheOldestBeyondItsCapacity) {
  Fixture f;
  RememberedGroupVerifier v(f.inner, 2);
  const Bytes a = to_bytes("a"), b = to_bytes("b"), c = to_bytes("c");
  const Bytes sa = f.group_sig(a), sb = f.group_sig(b), sc = f.group_sig(c);
  EXPECT_TRUE(v.verify_group(a, sa));
  EXPECT_TRUE(v.verify_group(b, sb));
  EXPECT_TRUE(v.verify_group(c, sc));  // a is forgotten
  EXPECT_EQ(v.pairings(), 3u);
  EXPECT_TRUE(v.verify_group(c, sc));
  EXPECT_EQ(v.pairings(), 3u);
  EXPECT_TRUE(v.verify_group(a, sa));
  EXPECT_EQ(v.pairings(), 4u);
}

// Single flight: while one thread checks a signature, another asking about the same bytes waits
// for that answer (one pairing between them), for a genuine and for a forged one alike.
TEST(RememberedGroupVerifier, ConcurrentChecksOfTheSameBytesCostOnePairing) {
  struct Gated final : crypto::ThresholdVerifier {
    std::shared_ptr<const crypto::ThresholdVerifier> real;
    std::shared_future<void> gate;
    mutable std::atomic<int> calls{0};
    size_t threshold() const override { return real->threshold(); }
    bool verify_share(crypto::NodeId s, ByteView m, ByteView sh) const override { return real->verify_share(s, m, sh); }
    std::optional<Bytes> combine(ByteView m, const std::vector<crypto::Share>& sh, std::vector<crypto::NodeId>* b) const override {
      return real->combine(m, sh, b);
    }
    bool verify_group(ByteView m, ByteView sig) const override {
      ++calls;
      gate.wait();
      return real->verify_group(m, sig);
    }
  };
  Fixture f;
  const Bytes m = to_bytes("block 9");
  const Bytes good = f.group_sig(m);
  Bytes forged = good;
  forged[0] ^= 1;
  for (const Bytes* sig : std::vector<const Bytes*>{&good, &forged}) {
    std::promise<void> open;
    auto gated = std::make_shared<Gated>();
    gated->real = f.inner;
    gated->gate = open.get_future().share();
    RememberedGroupVerifier v(gated);
    auto first = std::async(std::launch::async, [&] { return v.verify_group(m, *sig); });
    while (gated->calls.load() == 0) std::this_thread::yield();  // the first is inside its check
    auto second = std::async(std::launch::async, [&] { return v.verify_group(m, *sig); });
    while (v.waiting() == 0) std::this_thread::yield();           // the second waits for it
    open.set_value();
    const bool want = sig == &good;
    EXPECT_EQ(first.get(), want);
    EXPECT_EQ(second.get(), want);
    EXPECT_EQ(gated->calls.load(), 1);
    EXPECT_EQ(v.pairings(), 1u);
  }
}

}  // namespace
}  // namespace rampart::client
