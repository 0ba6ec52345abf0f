// The simulator's entry point: the protocol's factory by name, then one run of the world
// (sim/world.hpp).
#include "sim/simulator.hpp"

#include "sim/world.hpp"

namespace rampart::sim {

ProtocolFactory factory_for(const std::string& protocol) {
  if (protocol == "poe") return [](const auto& c, auto cr, auto& e) { return consensus::make_poe(c, cr, e); };
  // PoE's MAC variant: SUPPORT signed by each replica and sent to all, view-commit at nf
  // matching SUPPORTs (no threshold signatures). Same protocol object, one Config switch.
  if (protocol == "poe-mac") {
    return [](const consensus::Config& c, consensus::Crypto cr, consensus::Env& e) {
      consensus::Config mac = c;
      mac.mac_variant = true;
      return consensus::make_poe(mac, cr, e);
    };
  }
  if (protocol == "pbft") return [](const auto& c, auto cr, auto& e) { return consensus::make_pbft(c, cr, e); };
  return nullptr;
}

SimResult run_sim(const SimOptions& opts) {
  SimOptions o = opts;
  if (!o.factory) o.factory = factory_for(o.protocol);
  if (!o.factory) {
    SimResult r;
    r.ok = false;
    r.violations.push_back("unknown protocol '" + o.protocol + "'");
    return r;
  }
  return core::run(o);
}

}  // namespace rampart::sim
