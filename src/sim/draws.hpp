#pragma once
// The world's random choices about who is cut off from whom (sim/world.hpp): which tactics a
// strategic replica stacks, how a partition splits the replicas, which peers each twin talks to,
// and the cut a new view gets under Fault::isolate. Each call draws from the world's Rng in a
// fixed order, so a seed replays exactly.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "sim/faults.hpp"
#include "sim/rng.hpp"

namespace rampart::sim {

// A strategic replica's tactics: its drawn behaviour if that is a tactic, and, for the other
// behaviours half the time, up to two more from `tactics` (non-empty); each new one is named in
// `setup` ("+strip").
FaultSet draw_tactics(Rng& rng, Fault behaviour, const std::vector<Fault>& tactics, std::string& setup);

// Partition sides (0 or 1) for n replicas from the partition event's seed: both sides non-empty.
std::vector<int> partition_sides(uint64_t seed, uint32_t n);

// Twins: the replicas other than `self` in two non-empty groups, one per twin.
std::pair<std::vector<bool>, std::vector<bool>> twin_peers(Rng& rng, uint32_t self, uint32_t n);

// Who executed what, by correct replicas: k -> (view, batch digest) -> replicas.
using ExecutedBy = std::map<uint64_t, std::map<std::pair<uint64_t, Hash32>, std::set<uint32_t>>>;
// Fault::isolate: the cut for a new view (empty: none). Half the time it is hostile, cutting off
// the few replicas that alone executed some recent batch.
std::vector<int> draw_cut(Rng& rng, const ExecutedBy& executed_by, uint32_t n, uint32_t f);

}  // namespace rampart::sim
