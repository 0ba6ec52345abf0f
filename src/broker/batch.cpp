#include "broker/batch.hpp"

#include <algorithm>

#include "broker/reduce.hpp"

namespace rampart::broker {
namespace {

uint64_t highest_seq(const std::vector<Member>& m) {
  uint64_t r = 0;
  for (const auto& x : m) r = std::max(r, x.seq);
  return r;
}

}  // namespace

Batch::Batch(uint32_t broker, uint64_t number, Entries entries, std::vector<Member> members)
    : members_(std::move(members)),
      tree_(entry_leaves(entries, highest_seq(members_))),
      straggler_(members_.size(), 0) {
  wire_.broker = broker;
  wire_.number = number;
  wire_.raise = highest_seq(members_);
  wire_.entries = std::move(entries);
}

Inclusion Batch::inclusion(size_t i, const std::optional<DeliveryCert>& legitimacy) const {
  Inclusion m;
  m.broker = wire_.broker;
  m.number = wire_.number;
  m.root = tree_.root();
  m.raise = wire_.raise;
  m.proof = *tree_.proof(static_cast<uint32_t>(i));
  const Entries& e = wire_.entries;
  auto neighbour = [&](size_t j) {
    Neighbour n;
    n.id = e.ids[j];
    n.payload.assign(e.payload(j).begin(), e.payload(j).end());
    n.proof = *tree_.proof(static_cast<uint32_t>(j));
    return n;
  };
  if (i > 0) m.left = neighbour(i - 1);
  if (i + 1 < e.size()) m.right = neighbour(i + 1);
  m.legitimacy = legitimacy;
  return m;
}

bool Batch::add_share(size_t i, const crypto::bls::UncheckedSignature& sig) {
  if (stage_ != Stage::proposal || i >= members_.size() || members_[i].share) return false;
  members_[i].share = sig;
  ++shares_;
  return true;
}

size_t Batch::distill(const Directory& dir) {
  std::vector<size_t> who;
  std::vector<const crypto::bls::PublicKey*> pks;
  std::vector<const crypto::bls::UncheckedSignature*> sigs;
  for (size_t i = 0; i < members_.size(); ++i) {
    const ClientKeys* k = dir.find(wire_.entries.ids[i]);
    if (!members_[i].share || !k) continue;
    who.push_back(i);
    pks.push_back(&k->bls);
    sigs.push_back(&*members_[i].share);
  }
  ReductionResult r = reduce(pks, sigs, reduce_statement(tree_.root()));
  std::fill(straggler_.begin(), straggler_.end(), 1);
  for (size_t j = 0; j < who.size(); ++j)
    if (r.valid[j]) straggler_[who[j]] = 0;
  wire_.has_aggregate = r.aggregate.has_value();
  if (r.aggregate) wire_.aggregate = r.aggregate->to_bytes();
  wire_.stragglers.clear();
  for (size_t i = 0; i < members_.size(); ++i)
    if (straggler_[i]) wire_.stragglers.push_back({wire_.entries.ids[i], members_[i].seq, members_[i].sig});
  if (!wire_.stragglers.empty()) {
    auto leaves = entry_leaves(wire_.entries, wire_.raise);
    amend_leaves(leaves, wire_.entries, wire_.stragglers);
    amended_ = std::make_unique<crypto::merkle::Tree>(std::move(leaves));
  }
  stage_ = Stage::distilled;
  return r.checks;
}

void Batch::deliver(DeliveryCert cert) {
  cert_ = std::move(cert);
  stage_ = Stage::delivered;
}

Delivery Batch::delivery(size_t i) const {
  Delivery d;
  d.cert = *cert_;
  d.seq = straggler_[i] ? members_[i].seq : wire_.raise;
  d.proof = *(amended_ ? *amended_ : tree_).proof(static_cast<uint32_t>(i));
  return d;
}

}  // namespace rampart::broker
