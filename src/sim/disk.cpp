#include "sim/disk.hpp"

namespace rampart::sim {

void SimDisk::synced(uint64_t gen) {
  if (gen <= synced_) return;
  synced_ = gen;
  while (!ops_.empty() && ops_.front().gen <= gen) {
    auto& op = ops_.front().op;
    if (auto* p = std::get_if<Put>(&op)) {
      journal[p->key] = std::move(p->body);
    } else if (auto* b = std::get_if<Batch>(&op)) {
      batches[{b->k, b->digest}] = std::move(b->batch);
    } else {
      const Seq upto = std::get<Prune>(op).upto;
      for (auto it = journal.begin(); it != journal.end();)
        it = (it->first.first > 0 && it->first.first <= upto) ? journal.erase(it) : std::next(it);
      batches.erase(batches.begin(), batches.lower_bound({upto + 1, Hash32{}}));
    }
    ops_.pop_front();
  }
}

}  // namespace rampart::sim
