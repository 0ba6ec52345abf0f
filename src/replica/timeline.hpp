#pragma once
// Where a slot's time goes at one replica: the steps of the request path between a batch
// closing and its replies leaving, summed in counters (`rampart_step_*`) that `bench cluster
// --timeline` reads before and after its window to print a mean per step and replica. Steps
// overlap across slots (the next slot is ordered while this one is proven), so they are
// durations along one slot's path, not shares of the CPU.
//
//   own batch wait      the oldest request of a batch this replica closed, arrival to close
//   own batch to exec   a batch this replica closed, to its execution here (a backup: the
//                       forward to the primary, the wait in its queue, the ordering)
//   ordering            the slot first seen here (proposed by us, or its PROPOSE checked) to
//                       its execution: PROPOSE, SUPPORT, CERTIFY (PBFT: pre-prepare .. commit)
//   execute             executing the slot (the app, the ledger append, the results tree)
//   prove               executed to the group signature over the block (share, combine)
//   durable             group signature to replies sent (its sync, nf DURABLE)
#include <cstdint>
#include <deque>
#include <map>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"

namespace rampart::replica {

class Timeline {
 public:
  explicit Timeline(metrics::Registry& reg) : reg_(reg) {}
  void batch_closed(uint64_t waited_us);
  void own_batch_executed(uint64_t closed_to_exec_us);
  void seen(const Hash32& slot, uint64_t now_us);
  void executed(uint64_t k, const Hash32& slot, uint64_t start_us, uint64_t end_us);
  void proven(uint64_t k, uint64_t now_us);
  void replied(uint64_t k, uint64_t now_us);

 private:
  static constexpr size_t kMaxTracked = 1024;  // slots in flight at once are far fewer
  template <class K>
  static void bound(std::map<K, uint64_t>& m) {
    while (m.size() > kMaxTracked) m.erase(m.begin());
  }
  metrics::Registry& reg_;
  std::map<Hash32, uint64_t> seen_;      // slot digest -> first seen (µs)
  std::map<uint64_t, uint64_t> executed_, proven_;  // k -> when (µs)
};

}  // namespace rampart::replica
