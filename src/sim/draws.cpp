#include "sim/draws.hpp"

#include <algorithm>

namespace rampart::sim {

FaultSet draw_tactics(Rng& rng, Fault behaviour, const std::vector<Fault>& tactics, std::string& setup) {
  FaultSet t;
  if (is_tactic(behaviour)) t.add(behaviour);
  if (is_tactic(behaviour) || rng.chance(0.5)) {
    for (uint64_t more = rng.range(is_tactic(behaviour) ? 0 : 1, 2); more > 0; --more) {
      const Fault x = tactics[rng.below(tactics.size())];
      if (!t.has(x)) setup += "+" + std::string(fault_name(x));
      t.add(x);
    }
  }
  return t;
}

std::vector<int> partition_sides(uint64_t seed, uint32_t n) {
  Rng pr(seed);
  std::vector<int> side(n, 0);
  const auto lone = static_cast<uint32_t>(pr.below(n));
  side[lone] = 1;  // at least one replica on each side
  for (uint32_t i = 0; i < n; ++i)
    if (i != lone && pr.chance(0.3)) side[i] = 1;
  if (std::all_of(side.begin(), side.end(), [](int s) { return s == 1; })) side[(lone + 1) % n] = 0;
  return side;
}

std::pair<std::vector<bool>, std::vector<bool>> twin_peers(Rng& rng, uint32_t self, uint32_t n) {
  std::vector<bool> a(n, false), b(n, false);
  std::vector<uint32_t> others;
  for (uint32_t i = 0; i < n; ++i)
    if (i != self) others.push_back(i);
  for (size_t i = others.size(); i > 1; --i) std::swap(others[i - 1], others[rng.below(i)]);
  const size_t cut = rng.range(1, others.size() - 1);
  for (size_t i = 0; i < others.size(); ++i) (i < cut ? a : b)[others[i]] = true;
  return {std::move(a), std::move(b)};
}

std::vector<int> draw_cut(Rng& rng, const ExecutedBy& executed_by, uint32_t n, uint32_t f) {
  if (!rng.chance(0.7)) return {};
  std::vector<int> cut(n, 0);
  if (rng.chance(0.5)) {
    const std::set<uint32_t>* few = nullptr;
    for (auto it = executed_by.rbegin(); it != executed_by.rend(); ++it) {
      for (const auto& [vb, holders] : it->second)
        if (holders.size() <= f && (!few || holders.size() < few->size())) few = &holders;
      if (few) break;
    }
    if (few) {
      for (uint32_t r : *few) cut[r] = 1;
      return cut;
    }
  }
  for (uint64_t m = rng.range(1, f); m > 0; --m) cut[rng.below(n)] = 1;
  return cut;
}

}  // namespace rampart::sim
