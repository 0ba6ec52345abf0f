#include "replica/batch_auth.hpp"

#include "replica/batch.hpp"

namespace rampart::replica {

const metrics::Declared kSignaturesChecked{"rampart_client_signatures_checked_total",
                                           "client Ed25519 signatures this replica verified (0 with --client-auth none)"};

bool BatchAuth::authentic(ByteView batch, const Hash32& d) {
  if (known(d)) return true;
  if (is_bundle(batch)) {
    auto parts = batch_parts(batch);
    if (!parts) return false;
    for (ByteView p : *parts) {
      const Hash32 pd = batch_digest(p);
      if (known(pd)) continue;
      if (counts_) reg_[kSignaturesChecked] += claimed_requests(p);
      if (!check_(p)) return false;
      remember(pd);
    }
  } else {
    if (counts_) reg_[kSignaturesChecked] += claimed_requests(batch);
    if (!check_(batch)) return false;
  }
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
