#include "replica/witness.hpp"

#include <algorithm>

#include "common/codec.hpp"

namespace rampart::replica {

const metrics::Declared kWitnessesSent{"rampart_witnesses_sent_total",
                                       "WITNESS messages this replica signed for batches it checked"};
const metrics::Declared kWitnessesRefused{
    "rampart_witnesses_refused_total",
    "WITNESS messages refused: a signer outside the origin's witnesses, or a bad signature"};

Bytes witness_statement(uint32_t origin, const Hash32& d) {
  static constexpr std::string_view kDomain = "rampart/direct-witness/v1";
  Writer w;
  w.raw(as_bytes(kDomain));
  w.u32(origin);
  w.fixed(d);
  return w.take();
}

WitnessBook::WitnessBook(Params p, const crypto::Signer& signer, const crypto::Verifier& verifier,
                         metrics::Registry& reg)
    : p_(p), signer_(signer), verifier_(verifier), reg_(reg), by_signer_(p.n) {}

std::optional<Bytes> WitnessBook::vouch(uint32_t origin, const Hash32& d) {
  if (!is_witness(p_.self, origin) || has_vote(p_.self, d)) return std::nullopt;
  WitnessMsg m{origin, d, signer_.sign(witness_statement(origin, d))};
  record(p_.self, origin, d);
  reg_[kWitnessesSent]++;
  return encode_witness(m);
}

WitnessBook::Added WitnessBook::add(uint32_t from, const WitnessMsg& m) {
  if (from >= p_.n || from == p_.self || !is_witness(from, m.origin)) {
    reg_[kWitnessesRefused]++;
    return Added::refused;
  }
  // Checked before the signature so duplicates and late witnesses cost no verification.
  if (certified(m.digest) || has_vote(from, m.digest)) return Added::ignored;
  if (!verifier_.verify(from, witness_statement(m.origin, m.digest), m.sig)) {
    reg_[kWitnessesRefused]++;
    return Added::refused;
  }
  return record(from, m.origin, m.digest) ? Added::certified : Added::counted;
}

bool WitnessBook::certified(const Hash32& d) const {
  auto it = entries_.find(d);
  return it != entries_.end() && it->second.certified;
}

size_t WitnessBook::size() const {
  size_t s = 0;
  for (const auto& q : by_signer_) s += q.size();
  return s;
}

bool WitnessBook::has_vote(uint32_t signer, const Hash32& d) const {
  auto it = entries_.find(d);
  if (it == entries_.end()) return false;
  return std::any_of(it->second.votes.begin(), it->second.votes.end(),
                     [&](const Vote& v) { return v.signer == signer; });
}

bool WitnessBook::record(uint32_t signer, uint32_t origin, const Hash32& d) {
  Entry& e = entries_[d];
  e.votes.push_back({signer, origin});
  by_signer_[signer].push_back(d);
  // Only votes naming the same origin add up: each comes from a distinct member of its set.
  const size_t same = static_cast<size_t>(
      std::count_if(e.votes.begin(), e.votes.end(), [&](const Vote& v) { return v.origin == origin; }));
  const bool completed = !e.certified && same >= p_.f + 1;
  if (completed) e.certified = true;
  if (by_signer_[signer].size() > kMaxPerSigner) evict(signer);
  return completed;
}

// The signer's oldest vote goes; a certificate it helped form may lapse, which only means a
// replica that still needs it checks the batch itself.
void WitnessBook::evict(uint32_t signer) {
  const Hash32 old = by_signer_[signer].front();
  by_signer_[signer].pop_front();
  auto it = entries_.find(old);
  if (it == entries_.end()) return;
  auto& votes = it->second.votes;
  std::erase_if(votes, [&](const Vote& v) { return v.signer == signer; });
  if (votes.empty()) {
    entries_.erase(it);
    return;
  }
  it->second.certified = std::any_of(votes.begin(), votes.end(), [&](const Vote& o) {
    return static_cast<size_t>(std::count_if(votes.begin(), votes.end(),
                                             [&](const Vote& v) { return v.origin == o.origin; })) >= p_.f + 1;
  });
}

}  // namespace rampart::replica
