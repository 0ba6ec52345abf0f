#include "replica/batch_auth.hpp"

#include "replica/batch.hpp"

namespace rampart::replica {

const metrics::Declared kSignaturesChecked{"rampart_client_signatures_checked_total",
                                           "client Ed25519 signatures this replica verified (0 with --client-auth none)"};

const metrics::Declared kPartsOnWitnesses{
    "rampart_batch_parts_on_witnesses_total",
    "batches (bundle parts) accepted on f + 1 witnesses' signatures, without checking their client signatures"};
const metrics::Declared kRequestsOnWitnesses{
    "rampart_requests_on_witnesses_total",
    "requests in those batches: accepted on f + 1 witnesses instead of this replica's check"};
const metrics::Declared kPartsChecked{"rampart_batch_parts_checked_total",
                                      "batches (bundle parts) whose client signatures this replica checked itself"};

bool BatchAuth::authentic(ByteView batch, const Hash32& d) {
  if (known(d)) return true;
  if (is_bundle(batch)) {
    auto parts = batch_parts(batch);
    if (!parts) return false;
    for (ByteView p : *parts) {
      const Hash32 pd = batch_digest(p);
      if (known(pd)) continue;
      if (!check_part(p, pd)) return false;
    }
  } else if (!check_part(batch, d)) {
    return false;
  }
  remember(d);
  return true;
}

// A part accepted on its certificate is not remembered as checked by us (the slot holding it
// is, once every part passed): the certificate can be looked up again.
bool BatchAuth::check_part(ByteView part, const Hash32& d) {
  if (certified(d)) {
    reg_[kPartsOnWitnesses]++;
    reg_[kRequestsOnWitnesses] += claimed_requests(part);
    return true;
  }
  reg_[kPartsChecked]++;
  if (counts_) reg_[kSignaturesChecked] += claimed_requests(part);
  if (!check_(part)) return false;
  remember(d);
  return true;
}

void BatchAuth::remember(const Hash32& d) {
  if (!verified_.insert(d).second) return;
  order_.push_back(d);
  while (order_.size() > kMaxRemembered) {
    verified_.erase(order_.front());
    order_.pop_front();
  }
}

// Only on the catch-up path: hashing the parts again costs nothing normally.
size_t BatchAuth::unchecked_requests(ByteView batch) const {
  if (!is_bundle(batch)) return claimed_requests(batch);
  size_t n = 0;
  if (auto parts = batch_parts(batch))
    for (ByteView p : *parts)
      if (!known(batch_digest(p))) n += claimed_requests(p);
  return n;
}

}  // namespace rampart::replica
