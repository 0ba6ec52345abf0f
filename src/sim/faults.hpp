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
  lie,         // a faulty replica's replies to clients carry wrong results
  silent,      // a faulty replica sends nothing
  count_
};

inline constexpr Fault kReplicaFaults[] = {Fault::crash, Fault::equivocate, Fault::withhold,
                                           Fault::bad_sig, Fault::lie, Fault::silent};

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
