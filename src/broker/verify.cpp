#include "broker/verify.hpp"

#include "crypto/merkle.hpp"

namespace rampart::broker {

VerifiedBatch batch_roots(const DistilledBatch& b) {
  VerifiedBatch out;
  auto leaves = entry_leaves(b.entries, b.raise);
  out.root = crypto::merkle::root(leaves);
  if (b.stragglers.empty()) {
    out.amended_root = out.root;
  } else {
    amend_leaves(leaves, b.entries, b.stragglers);
    out.amended_root = crypto::merkle::root(leaves);
  }
  return out;
}

Result<VerifiedBatch> verify_distilled(const DistilledBatch& b, const Directory& dir) {
  const Entries& e = b.entries;
  if (e.size() == 0) return err("broker batch: empty");
  std::vector<uint8_t> straggler(e.size(), 0);
  for (const auto& s : b.stragglers) {
    long i = e.find(s.id);
    if (i < 0) return err("broker batch: straggler " + std::to_string(s.id) + " is not in the batch");
    straggler[i] = 1;
  }
  std::vector<const crypto::bls::PublicKey*> reducers;
  reducers.reserve(e.size() - b.stragglers.size());
  std::vector<const ClientKeys*> keys(e.size());
  for (size_t i = 0; i < e.size(); ++i) {
    keys[i] = dir.find(e.ids[i]);
    if (!keys[i]) return err("broker batch: unknown client id " + std::to_string(e.ids[i]));
    if (!straggler[i]) reducers.push_back(&keys[i]->bls);
  }

  VerifiedBatch out;
  auto leaves = entry_leaves(e, b.raise);
  out.root = crypto::merkle::root(leaves);
  if (!reducers.empty()) {
    if (!b.has_aggregate) return err("broker batch: no aggregate signature for the reducing clients");
    auto sig = crypto::bls::Signature::from_bytes(b.aggregate);
    if (!sig) return err("broker batch: aggregate: " + sig.error().message);
    auto apk = crypto::bls::aggregate_public_key_refs(reducers);
    if (!apk) return err("broker batch: " + apk.error().message);
    if (!crypto::bls::verify(*apk, reduce_statement(out.root), *sig))
      return err("broker batch: aggregate signature does not verify over the root");
  } else if (b.has_aggregate) {
    return err("broker batch: aggregate present though every entry is a straggler");
  }

  if (b.stragglers.empty()) {
    out.amended_root = out.root;
    return out;
  }
  amend_leaves(leaves, e, b.stragglers);
  out.amended_root = crypto::merkle::root(leaves);
  std::vector<Bytes> msgs;
  msgs.reserve(b.stragglers.size());
  std::vector<crypto::ed25519::BatchItem> items;
  items.reserve(b.stragglers.size());
  for (const auto& s : b.stragglers) {
    const long i = e.find(s.id);
    msgs.push_back(submit_statement(s.id, s.seq, e.payload(i)));
    items.push_back({&keys[i]->ed25519, msgs.back(), s.sig});
  }
  std::vector<uint8_t> ok;
  if (crypto::ed25519::verify_batch(items, &ok) != items.size()) {
    for (size_t j = 0; j < ok.size(); ++j)
      if (!ok[j]) return err("broker batch: straggler " + std::to_string(b.stragglers[j].id) + " signature does not verify");
  }
  return out;
}

}  // namespace rampart::broker
