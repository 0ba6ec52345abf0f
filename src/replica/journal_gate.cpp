#include "replica/journal_gate.hpp"

#include <algorithm>

namespace rampart::replica {

bool JournalGate::write(consensus::Seq seq, uint8_t kind, ByteView body) {
  if (failed_) return false;
  if (!host_.write_record(seq, kind, body)) {
    failed_ = true;  // we could not make a vote durable, so we do not vote
    held_.clear();
    return false;
  }
  return true;
}

void JournalGate::send(std::optional<consensus::NodeId> to, Bytes wire) {
  if (failed_) return;
  if (gen_ > synced_ && !ungated_) {
    held_.push_back({gen_, to, std::move(wire)});
    return;
  }
  host_.send_now(to, std::move(wire));
}

void JournalGate::synced(uint64_t gen) {
  synced_ = std::max(synced_, gen);
  while (!held_.empty() && held_.front().gen <= synced_) {
    host_.send_now(held_.front().to, std::move(held_.front().wire));
    held_.pop_front();
  }
}

}  // namespace rampart::replica
