#include "broker/reduce.hpp"

namespace rampart::broker {
namespace {

struct Splitter {
  std::span<const crypto::bls::PublicKey* const> pks;
  std::span<const crypto::bls::UncheckedSignature* const> sigs;
  crypto::bls::HashedMessage h;
  ReductionResult& out;

  // Marks [lo, hi) valid if its sum verifies; else splits (a single share that fails is invalid).
  void check(size_t lo, size_t hi) {
    auto apk = crypto::bls::aggregate_public_key_refs(pks.subspan(lo, hi - lo));
    auto asig = crypto::bls::aggregate_checked(sigs.subspan(lo, hi - lo));
    ++out.checks;
    // A sum at the identity or outside the subgroup (possible only for crafted shares) fails.
    if (apk.ok() && asig.ok() && crypto::bls::verify_hashed(*apk, h, *asig)) {
      for (size_t i = lo; i < hi; ++i) out.valid[i] = 1;
      if (lo == 0 && hi == pks.size()) out.aggregate = *asig;
      return;
    }
    if (hi - lo == 1) return;
    const size_t mid = lo + (hi - lo) / 2;
    check(lo, mid);
    check(mid, hi);
  }
};

}  // namespace

ReductionResult reduce(std::span<const crypto::bls::PublicKey* const> pks,
                       std::span<const crypto::bls::UncheckedSignature* const> sigs, ByteView msg) {
  ReductionResult out;
  const size_t n = std::min(pks.size(), sigs.size());
  out.valid.assign(n, 0);
  if (n == 0) return out;
  Splitter s{pks.first(n), sigs.first(n), crypto::bls::hash_message(msg), out};
  s.check(0, n);
  if (!out.aggregate) {
    // Some were invalid: the aggregate is the sum of the valid ones (no pairing needed: each
    // valid range verified, so their sums are genuine aggregates and so is the sum of those).
    std::vector<const crypto::bls::UncheckedSignature*> good;
    for (size_t i = 0; i < n; ++i)
      if (out.valid[i]) good.push_back(sigs[i]);
    if (!good.empty()) {
      auto agg = crypto::bls::aggregate_checked(good);
      if (agg.ok()) out.aggregate = *agg;
      else out.valid.assign(n, 0);  // sums to the identity: impossible for genuine signatures
    }
  }
  return out;
}

}  // namespace rampart::broker
