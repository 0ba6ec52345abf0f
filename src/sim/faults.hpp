#pragma once
// The faults the simulator can inject, parsed from `--faults loss,delay,...` (`all` = every one,
// `none` = none). Network faults act on every link during the fault phase; replica faults pick
// at most f faulty replicas per seed.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rampart::sim {

enum class Fault : uint8_t {
  loss,        // messages dropped
  delay,       // some messages delayed by up to half a second
  duplicate,   // messages delivered twice
  reorder,     // large delivery jitter
  partition,   // replicas split into two groups for a while, then healed
  crash,       // a faulty replica crashes and restarts (from its checkpoint or from scratch)
  equivocate,  // a faulty primary sends different proposals for the same k to different replicas
  withhold,    // a faulty primary withholds its messages from some replicas
  bad_sig,     // a faulty replica corrupts bytes of its messages (signatures, shares, snapshots)
  lie,         // a faulty replica's replies and shares are for other results
  silent,      // a faulty replica sends nothing
  // The strategic adversary (adversary.hpp): validly signed messages of its choosing.
  strip,        // view-change requests without some certificates, or with stale ones
  pick_nv,      // as new primary: the most hostile valid requests, different ones per replica
  selective,    // its proposals and certificates reach chosen subsets
  censor,       // as primary, orders every batch but one client's
  lone_vc,      // requests for the next view while everything is idle
  false_votes,  // checkpoints of other histories, votes for other digests
  replay,       // old messages again, long after
  flood,        // FORWARD / FETCH / WANT (PBFT: STATUS) at a high rate
  // The world.
  drift,      // each replica's timers run on its own clock, up to 10% fast or slow
  crash_all,  // every replica crashes at once and restarts from its disk
  isolate,    // a new partition at every new view (Twins): 1..f replicas cut off, view changes leak
  // The broker path (sim/brokers.hpp, with SimOptions::brokers >= 2): brokers other than the
  // first lie, half the time each, in one way drawn per seed (sim::core::BrokerLie).
  broker,
  count_
};

inline constexpr Fault kReplicaFaults[] = {Fault::crash,     Fault::equivocate, Fault::withhold,  Fault::bad_sig,
                                           Fault::lie,       Fault::silent,     Fault::strip,     Fault::pick_nv,
                                           Fault::selective, Fault::censor,     Fault::lone_vc,   Fault::false_votes,
                                           Fault::replay,    Fault::flood};
inline constexpr Fault kTactics[] = {Fault::strip,   Fault::pick_nv,     Fault::selective, Fault::censor,
                                     Fault::lone_vc, Fault::false_votes, Fault::replay,    Fault::flood};
bool is_tactic(Fault f);

std::string_view fault_name(Fault f);

class FaultSet {
 public:
  static FaultSet all();
  static Result<FaultSet> parse(std::string_view list);
  bool has(Fault f) const { return bits_ & (1u << static_cast<unsigned>(f)); }
  void add(Fault f) { bits_ |= 1u << static_cast<unsigned>(f); }
  bool empty() const { return bits_ == 0; }
  bool any_replica_fault() const;
  std::string str() const;

 private:
  uint32_t bits_ = 0;
};

}  // namespace rampart::sim
