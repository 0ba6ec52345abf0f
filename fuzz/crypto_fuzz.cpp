// Every crypto decoder of untrusted bytes: BLS public keys and signatures (G1/G2, subgroup
// checks), threshold signature shares, threshold public key sets and secret shares, Merkle
// proofs, uncompressed reduction shares. Decoders must never crash, and whatever they accept must re-encode to the same bytes.
// The first input byte picks the decoder; the rest is its input, either taken as is or (cases
// 6-11) XOR-ed into a valid encoding, so the fuzzer also explores near-valid points and proofs
// (on the curve but off the subgroup, flipped flags, wrong counts) that random bytes rarely reach.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "crypto/bls.hpp"
#include "crypto/merkle.hpp"
#include "crypto/threshold.hpp"

using namespace rampart;
using namespace rampart::crypto;

namespace {
void require(bool ok) {
  if (!ok) std::abort();
}

template <size_t N>
bool same(const std::array<uint8_t, N>& a, ByteView b) {
  return b.size() == N && std::memcmp(a.data(), b.data(), N) == 0;
}

// valid ^ input (input cycled), so a zero input gives back the valid encoding.
Bytes mutate(ByteView valid, ByteView in) {
  Bytes out(valid.begin(), valid.end());
  if (in.empty()) return out;
  for (size_t i = 0; i < out.size(); ++i) out[i] ^= in[i % in.size()];
  if (in.size() > out.size()) out.insert(out.end(), in.begin() + out.size(), in.end());
  return out;
}

const threshold::Dealing& dealing() {
  static const threshold::Dealing d = *threshold::deal(4, 3, as_bytes("fuzz"));
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteView in(data + 1, size - 1);
  const uint8_t op = data[0] % 12;
  Bytes mutated;
  if (op >= 6) {
    static const auto sk = *bls::SecretKey::from_seed(Bytes(32, 9));
    static const auto pk = bls::public_key(sk).to_bytes();
    static const auto sig = bls::sign(sk, as_bytes("m")).to_bytes();
    static const auto raw_sig = bls::sign(sk, as_bytes("m")).to_raw();
    static const Bytes pub_set = dealing().pub.encode();
    static const Bytes proof = [] {
      std::vector<Hash32> leaves(11);
      return merkle::Tree(leaves).proof(9)->encode();
    }();
    const ByteView valid[] = {ByteView(pk), ByteView(sig), ByteView(pub_set), ByteView(proof), ByteView(raw_sig),
                              ByteView(raw_sig)};
    mutated = mutate(valid[op - 6], in);
    in = mutated;
  }
  static const uint8_t target[] = {0, 1, 2, 3, 4, 5, 0, 1, 3, 5, 6, 6};
  switch (target[op]) {
    case 0: {
      auto pk = bls::PublicKey::from_bytes(in);
      if (pk) require(same(pk->to_bytes(), in) && blst_p1_affine_in_g1(&pk->point));
      break;
    }
    case 1: {
      auto sig = bls::Signature::from_bytes(in);
      if (sig) {
        require(same(sig->to_bytes(), in) && blst_p2_affine_in_g2(&sig->point));
        // A decodable point is not a signature for an arbitrary message.
        static const bls::PublicKey pk = bls::public_key(*bls::SecretKey::from_seed(Bytes(32, 7)));
        (void)bls::verify(pk, as_bytes("fuzz"), *sig);
      }
      break;
    }
    case 2: {
      // A threshold share from the network: verify and try to combine it with genuine ones.
      const auto& d = dealing();
      Bytes msg = to_bytes("fuzz");
      require(!threshold::verify_share(d.pub, 0, msg, in) ||
              Bytes(in.begin(), in.end()) == threshold::sign_share(d.secrets[0], msg));
      threshold::BlsThresholdVerifier v(d.pub);
      std::vector<Share> shares = {{0, Bytes(in.begin(), in.end())},
                                   {1, threshold::sign_share(d.secrets[1], msg)},
                                   {2, threshold::sign_share(d.secrets[2], msg)},
                                   {3, threshold::sign_share(d.secrets[3], msg)}};
      auto sig = v.combine(msg, shares);
      require(sig.has_value() && v.verify_group(msg, *sig));  // three good shares suffice
      break;
    }
    case 3: {
      auto p = threshold::PublicKeySet::decode(in);
      if (p) require(p->encode() == Bytes(in.begin(), in.end()));
      break;
    }
    case 4: {
      auto s = threshold::SecretShare::decode(in);
      if (s) require(s->encode() == Bytes(in.begin(), in.end()));
      break;
    }
    case 6: {
      // A broker's reduction share (uncompressed, on the curve only): a sum with it is a
      // Signature only if it lands in G2, and whatever it is, checking it must not crash.
      auto u = bls::UncheckedSignature::from_raw(in);
      if (u) {
        require(blst_p2_affine_on_curve(&u->point) && !blst_p2_affine_is_inf(&u->point));
        static const auto genuine = *bls::UncheckedSignature::from_raw(bls::sign(*bls::SecretKey::from_seed(Bytes(32, 7)), as_bytes("fuzz")).to_raw());
        const bls::UncheckedSignature* both[] = {&*u, &genuine};
        auto sum = bls::aggregate_checked(both);
        if (sum) require(blst_p2_affine_in_g2(&sum->point));
      }
      break;
    }
    case 5: {
      auto p = merkle::Proof::decode(in);
      if (p) {
        require(p->encode() == Bytes(in.begin(), in.end()));
        Hash32 leaf{}, root{};
        (void)merkle::verify(root, leaf, *p);
      }
      break;
    }
  }
  return 0;
}
