#include "replica/timeline.hpp"

namespace rampart::replica {

namespace {
using metrics::Declared;
// A sum in µs and a count per step: the mean is their ratio over any window.
const Declared kWaitUs{"rampart_step_batch_wait_us_total", "own batches: oldest request's arrival to the batch closing (µs)"};
const Declared kWaitN{"rampart_step_batch_wait_total", "own batches closed (timed)"};
const Declared kOwnUs{"rampart_step_own_batch_to_exec_us_total", "own batches: closed to executed here (µs)"};
const Declared kOwnN{"rampart_step_own_batch_to_exec_total", "own batches executed (timed)"};
const Declared kOrderUs{"rampart_step_ordering_us_total", "slots: first seen here (proposed or PROPOSE checked) to execution (µs)"};
const Declared kOrderN{"rampart_step_ordering_total", "slots ordered (timed)"};
const Declared kExecUs{"rampart_step_execute_us_total", "slots: executing them (µs)"};
const Declared kExecN{"rampart_step_execute_total", "slots executed (timed)"};
const Declared kProveUs{"rampart_step_prove_us_total", "blocks: executed to group signature (µs)"};
const Declared kProveN{"rampart_step_prove_total", "blocks proven (timed)"};
const Declared kDurableUs{"rampart_step_durable_us_total", "blocks: group signature to replies sent (µs)"};
const Declared kDurableN{"rampart_step_durable_total", "blocks replied (timed)"};
}  // namespace

void Timeline::batch_closed(uint64_t waited_us) {
  reg_[kWaitUs] += waited_us;
  reg_[kWaitN]++;
}

void Timeline::own_batch_executed(uint64_t us) {
  reg_[kOwnUs] += us;
  reg_[kOwnN]++;
}

void Timeline::seen(const Hash32& slot, uint64_t now_us) {
  seen_.emplace(slot, now_us);
  bound(seen_);
}

void Timeline::executed(uint64_t k, const Hash32& slot, uint64_t start_us, uint64_t end_us) {
  if (auto it = seen_.find(slot); it != seen_.end()) {
    if (start_us >= it->second) {
      reg_[kOrderUs] += start_us - it->second;
      reg_[kOrderN]++;
    }
    seen_.erase(it);
  }
  reg_[kExecUs] += end_us - start_us;
  reg_[kExecN]++;
  executed_[k] = end_us;
  bound(executed_);
}

void Timeline::proven(uint64_t k, uint64_t now_us) {
  auto it = executed_.find(k);
  if (it == executed_.end()) return;  // proven by a peer's proof before we executed, or replayed
  reg_[kProveUs] += now_us - it->second;
  reg_[kProveN]++;
  executed_.erase(it);
  proven_[k] = now_us;
  bound(proven_);
}

void Timeline::replied(uint64_t k, uint64_t now_us) {
  auto it = proven_.find(k);
  if (it == proven_.end()) return;
  reg_[kDurableUs] += now_us - it->second;
  reg_[kDurableN]++;
  proven_.erase(it);
}

}  // namespace rampart::replica
