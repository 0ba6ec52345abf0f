// The simulated world's set-up: which replicas are faulty and how, the fault schedule, and
// starting (or restarting) a replica from its disk.
#include <algorithm>

#include "sim/adversary_protocol.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {

// ---- setup -------------------------------------------------------------------------------

void World::setup_faults() {
  // GST, the end of network faults, is drawn per seed: between half and twice fault_phase_ms.
  fault_end_ = o.faults.empty() ? 0 : rng.range(o.fault_phase_ms / 2, 2 * o.fault_phase_ms) * kMs;
  std::vector<Fault> kinds, tactics;
  for (Fault f : kReplicaFaults) {
    if (o.faults.has(f)) kinds.push_back(f);
  }
  for (Fault f : kTactics) {
    if (o.faults.has(f)) tactics.push_back(f);
  }
  if (o.faults.has(Fault::isolate) || o.faults.has(Fault::selective)) {
    inspector_key_ = keys.signer(0);  // signs nothing: the inspector only reads
    inspector_ = o.protocol == "pbft" ? make_pbft_tactics(cfg, *inspector_key_, keys.verifier(), rng)
                                      : make_poe_tactics(cfg, *inspector_key_, rng);
  }
  if (o.verbose) {  // its own instance: whether inspector_ exists changes the run, tracing must not
    if (!inspector_key_) inspector_key_ = keys.signer(0);
    reader_ = o.protocol == "pbft" ? make_pbft_tactics(cfg, *inspector_key_, keys.verifier(), rng)
                                   : make_poe_tactics(cfg, *inspector_key_, rng);
  }
  if (o.faults.has(Fault::drift)) {
    for (auto& n : nodes) n.drift_pm = static_cast<uint32_t>(rng.range(900, 1100));
  }
  if (o.faults.has(Fault::crash_all) && fault_end_ > 0 && rng.chance(0.3)) {
    // Every replica at once, then back from its disk before GST.
    Event e;
    e.type = EvType::crash_all;
    e.c = rng.range(200, 1000) * kMs;  // down for
    schedule(rng.range(300, std::max<uint64_t>(fault_end_ / kMs / 2, 301)) * kMs, e);
  }
  std::vector<NodeId> faulty;
  if (o.force_byzantine >= 0) {
    faulty.push_back(static_cast<NodeId>(o.force_byzantine));
  } else if (!kinds.empty() && cfg.f > 0) {
    uint32_t m = static_cast<uint32_t>(rng.range(1, cfg.f));
    std::vector<NodeId> ids;
    for (NodeId i = 0; i < cfg.n; ++i) ids.push_back(i);
    // Half the seeds make the first primary faulty: equivocation and withholding need it.
    if (rng.chance(0.5)) {
      faulty.push_back(0);
      ids.erase(ids.begin());
    }
    while (faulty.size() < m) {
      size_t i = rng.below(ids.size());
      faulty.push_back(ids[i]);
      ids.erase(ids.begin() + static_cast<long>(i));
    }
  }
  for (NodeId id : faulty) {
    Node& n = nodes[id];
    n.behaviour = o.force_byzantine >= 0 ? o.force_behaviour : kinds[rng.below(kinds.size())];
    n.crashy = n.behaviour == Fault::crash;
    n.byzantine = !n.crashy;
    checker.set_correct(id, !n.byzantine);
    res.setup += (res.setup.empty() ? "" : " ") + std::to_string(id) + ":" + std::string(fault_name(n.behaviour));
    if (n.byzantine && !tactics.empty() && n.behaviour != Fault::silent) {
      // A strategic replica: its drawn tactic, or, for the other behaviours half the time, and
      // always with up to two more, tactics stacked (docs/simulator.md).
      const FaultSet t = draw_tactics(rng, n.behaviour, tactics, res.setup);
      if (!t.empty()) {
        n.link = std::make_unique<AdversaryLink>(*this, n);
        consensus::Config c = cfg;
        c.self = n.id;
        n.adv = std::make_unique<Adversary>(*n.link, c, o.protocol, keys.signer(n.id), keys.verifier(), rng,
                                            [this] { return rng.below(std::max<uint32_t>(o.clients, 1)); }, t);
        Event e;
        e.type = EvType::adversary_tick;
        e.a = id;
        schedule(rng.range(50, 200) * kMs, e);
      }
    }
    if (n.behaviour == Fault::withhold) {
      uint32_t victims = static_cast<uint32_t>(rng.range(1, cfg.f));
      while (n.withheld.size() < victims) {
        NodeId v = static_cast<NodeId>(rng.below(cfg.n));
        if (v != id) n.withheld.insert(v);
      }
    }
    if (n.crashy && fault_end_ > 0) {
      uint64_t crashes = rng.range(1, 2);
      uint64_t t = rng.range(100, 800) * kMs;
      for (uint64_t c = 0; c < crashes && t + 300 * kMs < fault_end_; ++c) {
        Event e;
        e.type = EvType::crash;
        e.a = id;
        schedule(t, e);
        uint64_t down = rng.range(100, 1000) * kMs;
        Event r;
        r.type = EvType::restart;
        r.a = id;
        r.c = rng.chance(0.5) ? 1 : 0;  // 1: restart from the last stable checkpoint on disk
        schedule(std::min(t + down, fault_end_), r);
        t += down + rng.range(200, 800) * kMs;
      }
    }
  }
  if (res.setup.empty()) res.setup = "no faulty replicas";
  if (o.faults.has(Fault::partition) && fault_end_ > 0) {
    uint64_t t = rng.range(50, 1000) * kMs;
    for (int p = 0; p < 2 && t < fault_end_; ++p) {
      Event e;
      e.type = EvType::partition;
      e.c = rng.next();
      schedule(t, e);
      uint64_t len = rng.range(200, 1500) * kMs;
      Event h;
      h.type = EvType::heal;
      schedule(std::min(t + len, fault_end_), h);
      t += len + rng.range(100, 1000) * kMs;
    }
  }
  if (fault_end_ > 0) {
    Event e;
    e.type = EvType::faults_end;
    schedule(fault_end_, e);
  }
}

void World::start_node(Node& n, bool from_checkpoint) {
  n.inst.clear();
  std::vector<bool> all(cfg.n, true);
  all[n.id] = false;
  if (n.behaviour == Fault::equivocate && n.byzantine) {
    n.inst.push_back(std::make_unique<Instance>(*this, n, 0, all));
    n.inst.push_back(std::make_unique<Instance>(*this, n, 1, all));
    split_twins(n);
  } else {
    n.inst.push_back(std::make_unique<Instance>(*this, n, 0, all));
  }
  for (auto& in : n.inst) {
    consensus::Config c = cfg;
    c.self = n.id;
    consensus::Crypto cr{in->signer.get(), &keys.verifier(), in->tsigner.get(), &keys.threshold_verifier()};
    in->proto = o.factory(c, cr, *in);
    if (!in->proto) return;
  }
  bool restored = false;
  const Hash32 durable_head = o.weaken == Weaken::state_checkpoints ? n.durable_snap.header.state_digest
                                                                    : ledger::block_hash(n.durable_snap.header);
  if (from_checkpoint && n.durable_k > 0) {
    restored = n.inst[0]->ex.restore(n.durable_snap.state).ok();
    if (restored) n.inst[0]->restored_at(n.durable_snap);
  }
  checker.on_reset(n.id, restored ? n.durable_k : 0);
  for (auto& in : n.inst) in->proto->start();
  if (!n.disk.journal.empty()) {
    // The protocol's journal survived on disk (with or without the snapshot): restart from it.
    consensus::RestartPoint rp;
    if (restored) {
      rp.k = n.durable_k;
      rp.head = durable_head;
      if (n.durable_cert.k == n.durable_k) rp.checkpoint = n.durable_cert;
    }
    for (const auto& [key, body] : n.disk.journal) rp.journal.push_back({key.first, key.second, body});
    for (const auto& [key, b] : n.disk.batches) {
      if (key.first > rp.checkpoint.k) rp.batches.push_back({key.first, b});
    }
    n.inst[0]->proto->on_restart(rp);
  } else if (restored) {
    n.inst[0]->proto->on_state_transferred(n.durable_k, durable_head);
  }
}

}  // namespace rampart::sim::detail
