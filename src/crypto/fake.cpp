#include "crypto/fake.hpp"

#include <blake3.h>

#include <algorithm>
#include <cstring>

namespace rampart::crypto {
namespace {

constexpr uint8_t kDomainSig = 1;
constexpr uint8_t kDomainShare = 2;

Hash32 derive(uint64_t seed, uint64_t index) {
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, "rampart fake keyring v1");
  uint8_t buf[16];
  std::memcpy(buf, &seed, 8);
  std::memcpy(buf + 8, &index, 8);
  blake3_hasher_update(&h, buf, sizeof buf);
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

Bytes keyed(const Hash32& key, uint8_t domain, ByteView msg) {
  blake3_hasher h;
  blake3_hasher_init_keyed(&h, key.data());
  blake3_hasher_update(&h, &domain, 1);
  blake3_hasher_update(&h, msg.data(), msg.size());
  Bytes out(32);
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

class FakeSigner final : public Signer {
 public:
  FakeSigner(const FakeKeyring& k, NodeId id) : k_(k), id_(id) {}
  Bytes sign(ByteView msg) const override { return k_.mac(id_, msg, kDomainSig); }

 private:
  const FakeKeyring& k_;
  NodeId id_;
};

class FakeThresholdSigner final : public ThresholdSigner {
 public:
  FakeThresholdSigner(const FakeKeyring& k, NodeId id) : k_(k), id_(id) {}
  Bytes sign_share(ByteView msg) const override { return k_.mac(id_, msg, kDomainShare); }

 private:
  const FakeKeyring& k_;
  NodeId id_;
};

class FakeVerifier final : public Verifier {
 public:
  explicit FakeVerifier(const FakeKeyring& k) : k_(k) {}
  bool verify(NodeId signer, ByteView msg, ByteView sig) const override {
    if (signer >= k_.n()) return false;
    return equal_ct(k_.mac(signer, msg, kDomainSig), sig);
  }

 private:
  const FakeKeyring& k_;
};

class FakeThresholdVerifier final : public ThresholdVerifier {
 public:
  explicit FakeThresholdVerifier(const FakeKeyring& k) : k_(k) {}
  size_t threshold() const override { return k_.t(); }
  bool verify_share(NodeId signer, ByteView msg, ByteView share) const override {
    if (signer >= k_.n()) return false;
    return equal_ct(k_.mac(signer, msg, kDomainShare), share);
  }
  std::optional<Bytes> combine(ByteView msg, const std::vector<Share>& shares,
                               std::vector<NodeId>* bad_out) const override {
    std::vector<NodeId> seen;
    for (const auto& s : shares) {
      if (std::find(seen.begin(), seen.end(), s.signer) != seen.end()) continue;
      if (!verify_share(s.signer, msg, s.sig)) {
        if (bad_out) bad_out->push_back(s.signer);
        continue;
      }
      seen.push_back(s.signer);
    }
    if (seen.size() < k_.t()) return std::nullopt;
    return k_.group_mac(msg);
  }
  // As BLS interpolation does: the group signature when the first t distinct shares are valid,
  // else garbage that depends on that set of shares alone, in any order (replicas combining the
  // same bad set agree on the same wrong bytes), so the simulator exercises a proof whose check
  // fails.
  std::optional<Bytes> combine_unchecked(ByteView msg, const std::vector<Share>& shares) const override {
    std::vector<const Share*> first;
    for (const auto& s : shares) {
      if (first.size() == k_.t()) break;
      if (std::none_of(first.begin(), first.end(), [&](const Share* f) { return f->signer == s.signer; })) first.push_back(&s);
    }
    if (first.size() < k_.t()) return std::nullopt;
    bool all_valid = true;
    for (const Share* f : first) all_valid = all_valid && verify_share(f->signer, msg, f->sig);
    if (all_valid) return k_.group_mac(msg);
    std::sort(first.begin(), first.end(), [](const Share* a, const Share* b) { return a->signer < b->signer; });
    blake3_hasher h;
    blake3_hasher_init_derive_key(&h, "rampart fake keyring: a combination with a bad share");
    blake3_hasher_update(&h, msg.data(), msg.size());
    for (const Share* f : first) blake3_hasher_update(&h, f->sig.data(), f->sig.size());
    Bytes out(32);
    blake3_hasher_finalize(&h, out.data(), out.size());
    return out;
  }
  bool verify_group(ByteView msg, ByteView group_sig) const override {
    return equal_ct(k_.group_mac(msg), group_sig);
  }

 private:
  const FakeKeyring& k_;
};

}  // namespace

FakeKeyring::FakeKeyring(uint32_t n, size_t t, uint64_t seed) : t_(t) {
  for (uint32_t i = 0; i < n; ++i) secrets_.push_back(derive(seed, i));
  group_secret_ = derive(seed, ~0ull);
  verifier_ = std::make_unique<FakeVerifier>(*this);
  tverifier_ = std::make_unique<FakeThresholdVerifier>(*this);
}

std::unique_ptr<Signer> FakeKeyring::signer(NodeId id) const {
  return std::make_unique<FakeSigner>(*this, id);
}
std::unique_ptr<ThresholdSigner> FakeKeyring::threshold_signer(NodeId id) const {
  return std::make_unique<FakeThresholdSigner>(*this, id);
}
Bytes FakeKeyring::mac(NodeId id, ByteView msg, uint8_t domain) const {
  return keyed(secrets_.at(id), domain, msg);
}
Bytes FakeKeyring::group_mac(ByteView msg) const { return keyed(group_secret_, 0, msg); }

}  // namespace rampart::crypto
