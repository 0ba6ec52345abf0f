#include "replica/checkpoints.hpp"

#include <spdlog/spdlog.h>

namespace rampart::replica {

void Checkpoints::stable(uint64_t k, const Hash32& head) {
  if (!stable_ || stable_->first < k) stable_ = {k, head};
}

void Checkpoints::certified(const consensus::CheckpointCert& cert) {
  keep_.certs[cert.k] = cert;
  while (keep_.certs.size() > 2) keep_.certs.erase(keep_.certs.begin());
  try_store();
}

void Checkpoints::try_store() {
  if (!stable_) return;
  auto [k, head] = *stable_;
  auto cur = store_.checkpoint();
  if (cur && cur->k >= k) return;
  if (store_.last_final() < k) return;
  auto it = keep_.snapshots.find(k);
  if (it == keep_.snapshots.end()) return;
  if (it->second.head != head) {
    spdlog::critical("event=checkpoint_head_mismatch k={}", k);
    return;
  }
  auto cert = keep_.certs.find(k);
  if (cert == keep_.certs.end() || cert->second.head != head) return;  // comes right after
  ledger::CheckpointRecord rec;
  rec.k = k;
  rec.view = cert->second.view;
  rec.head = head;
  rec.state_digest = it->second.digest;
  rec.signatures = cert->second.sigs;
  if (auto st = store_.put_checkpoint(rec, it->second.state, true); !st) {
    spdlog::error("event=checkpoint_failed k={} error=\"{}\"", k, st.error().message);
    return;
  }
  host_.checkpoint_stored(k);
  while (keep_.snapshots.size() > 2) keep_.snapshots.erase(keep_.snapshots.begin());
  spdlog::info("event=checkpoint k={}", k);
}

}  // namespace rampart::replica
