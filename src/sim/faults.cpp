#include "sim/faults.hpp"

namespace rampart::sim {

namespace {
constexpr std::string_view kNames[] = {"loss",      "delay",   "duplicate", "reorder",  "partition", "crash",
                                       "equivocate", "withhold", "bad_sig", "lie", "silent", "strip",
                                       "pick_nv",   "selective", "censor",  "lone_vc", "false_votes", "replay",
                                       "flood",     "drift",     "crash_all", "isolate", "broker"};
static_assert(std::size(kNames) == static_cast<size_t>(Fault::count_));
}  // namespace

std::string_view fault_name(Fault f) { return kNames[static_cast<size_t>(f)]; }

bool is_tactic(Fault f) {
  for (Fault t : kTactics)
    if (t == f) return true;
  return false;
}

FaultSet FaultSet::all() {
  FaultSet s;
  for (size_t i = 0; i < static_cast<size_t>(Fault::count_); ++i) s.add(static_cast<Fault>(i));
  return s;
}

Result<FaultSet> FaultSet::parse(std::string_view list) {
  FaultSet s;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty() || item == "none") continue;
    if (item == "all") {
      s = all();
      continue;
    }
    if (item == "dup") item = "duplicate";
    if (item == "badsig" || item == "bad-sig") item = "bad_sig";
    bool found = false;
    for (size_t i = 0; i < std::size(kNames); ++i) {
      if (kNames[i] == item) {
        s.add(static_cast<Fault>(i));
        found = true;
      }
    }
    if (!found) return err("unknown fault '" + std::string(item) + "'");
  }
  return s;
}

bool FaultSet::any_replica_fault() const {
  for (Fault f : kReplicaFaults) {
    if (has(f)) return true;
  }
  return false;
}

std::string FaultSet::str() const {
  std::string out;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (!has(static_cast<Fault>(i))) continue;
    if (!out.empty()) out += ',';
    out += kNames[i];
  }
  return out.empty() ? "none" : out;
}

}  // namespace rampart::sim
