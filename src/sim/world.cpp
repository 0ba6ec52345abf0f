// The simulator's world: construction, the fault schedule, starting, crashing and
// restarting replica cores, the event loop and its trace. The network is in network.cpp,
// the clients and the run-time checks in clients.cpp.
#include "sim/world.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "crypto/blake3.hpp"
#include "ledger/genesis.hpp"
#include "ledger/verify.hpp"
#include "replica/client_wire.hpp"

namespace rampart::sim::core {

namespace {
const char* ev_name(Ev t) {
  switch (t) {
    case Ev::deliver: return "deliver";
    case Ev::timer: return "timer";
    case Ev::call: return "deferred";
    case Ev::sync_done: return "sync";
    case Ev::tick: return "tick";
    case Ev::client_next: return "client-next";
    case Ev::client_timer: return "client-timeout";
    case Ev::crash: return "crash";
    case Ev::restart: return "restart";
    case Ev::partition: return "partition";
    case Ev::heal: return "heal";
    case Ev::faults_end: return "faults-end";
    case Ev::crash_all: return "crash-all";
    case Ev::adversary_tick: return "adversary";
    case Ev::broker: return "broker";
  }
  return "?";
}

void fnv(uint64_t& h, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
}

ClusterConfig config_of(const SimOptions& o) {
  ClusterConfig c;
  c.f = o.f;
  for (uint32_t i = 0; i < 3 * o.f + 1; ++i) {
    ReplicaEntry r;
    r.id = i;
    c.replicas.push_back(r);
  }
  c.protocol = o.protocol == "pbft" ? "pbft" : "poe";
  c.crypto = "fake";
  c.app = "kv";
  c.batch_size = o.batch_size;
  c.batch_timeout_ms = static_cast<uint32_t>(o.batch_timeout_ms);
  c.view_timeout_ms = o.view_timeout_ms;
  c.checkpoint_interval = o.checkpoint_interval;
  c.window = o.window;
  return c;
}
}  // namespace

World::World(const SimOptions& opts)
    : o(opts), cfg(config_of(opts)), rng(opts.seed), checker(3 * opts.f + 1), keys(3 * opts.f + 1, 2 * opts.f + 1, opts.seed) {
  nodes.resize(cfg.n());
  const Bytes genesis = ledger::genesis_config(cfg);
  for (NodeId i = 0; i < cfg.n(); ++i) {
    nodes[i].id = i;
    nodes[i].store = std::make_unique<SimStore>(genesis);
  }
  clients_.resize(o.clients);
  for (uint32_t i = 0; i < o.clients; ++i) {
    Client& c = clients_[i];
    c.index = i;
    Writer w;
    w.u64(o.seed);
    w.u64(i);
    const Hash32 seed = crypto::blake3::hash(w.take());
    c.key = crypto::ed25519::KeyPair::from_seed(seed).value();
    c.id = client::client_id_of(c.key->public_key());
  }
  if (o.brokers > 0) brokers_ = std::make_unique<Brokers>(*this);
  ring_.resize(std::max<size_t>(o.trace_tail, 1));
}

void World::schedule(uint64_t at, Event e) {
  e.time = at;
  e.order = order_++;
  q_.push(std::move(e));
}

void World::setup_faults() {
  // GST, the end of network faults, is drawn per seed: between half and twice fault_phase_ms.
  fault_end_ = o.faults.empty() ? 0 : rng.range(o.fault_phase_ms / 2, 2 * o.fault_phase_ms) * kMs;
  std::vector<Fault> kinds, tactics;
  for (Fault f : kReplicaFaults)
    if (o.faults.has(f)) kinds.push_back(f);
  for (Fault f : kTactics)
    if (o.faults.has(f)) tactics.push_back(f);
  if (o.faults.has(Fault::isolate) || o.faults.has(Fault::selective)) {
    inspector_key_ = keys.signer(0);  // signs nothing: the inspector only reads
    consensus::Config pc = replica::protocol_config(cfg, 0, o.max_inflight);
    pc.mac_variant = o.protocol == "poe-mac";
    inspector_ = o.protocol == "pbft" ? detail::make_pbft_tactics(pc, *inspector_key_, keys.verifier(), rng)
                                      : detail::make_poe_tactics(pc, *inspector_key_, rng);
  }
  if (o.faults.has(Fault::drift))
    for (auto& n : nodes) n.drift_pm = static_cast<uint32_t>(rng.range(900, 1100));
  if (o.faults.has(Fault::crash_all) && fault_end_ > 0 && rng.chance(0.3)) {
    Event e;  // every replica at once, then back from its disk before GST
    e.type = Ev::crash_all;
    e.c = rng.range(200, 1000) * kMs;  // down for
    schedule(rng.range(300, std::max<uint64_t>(fault_end_ / kMs / 2, 301)) * kMs, e);
  }
  std::vector<NodeId> faulty;
  if (o.force_byzantine >= 0) {
    faulty.push_back(static_cast<NodeId>(o.force_byzantine));
  } else if (!kinds.empty() && cfg.f > 0) {
    const auto m = static_cast<uint32_t>(rng.range(1, cfg.f));
    std::vector<NodeId> ids;
    for (NodeId i = 0; i < cfg.n(); ++i) ids.push_back(i);
    if (rng.chance(0.5)) {  // half the seeds make the first primary faulty
      faulty.push_back(0);
      ids.erase(ids.begin());
    }
    while (faulty.size() < m) {
      const size_t i = rng.below(ids.size());
      faulty.push_back(ids[i]);
      ids.erase(ids.begin() + static_cast<long>(i));
    }
  }
  for (NodeId id : faulty) {
    Node& n = nodes[id];
    n.behaviour = o.force_byzantine >= 0 ? o.force_behaviour : kinds[rng.below(kinds.size())];
    n.byzantine = n.behaviour != Fault::crash;
    checker.set_correct(id, !n.byzantine);
    res.setup += (res.setup.empty() ? "" : " ") + std::to_string(id) + ":" + std::string(fault_name(n.behaviour));
    if (n.byzantine && !tactics.empty() && n.behaviour != Fault::silent) {
      // A strategic replica: its drawn tactic, or, for the other behaviours half the time, and
      // always with up to two more, tactics stacked.
      const FaultSet t = draw_tactics(rng, n.behaviour, tactics, res.setup);
      if (!t.empty()) make_adversary(n, t);
    }
    if (n.behaviour == Fault::withhold) {
      const auto victims = static_cast<uint32_t>(rng.range(1, cfg.f));
      while (n.withheld.size() < victims) {
        const auto v = static_cast<NodeId>(rng.below(cfg.n()));
        if (v != id) n.withheld.insert(v);
      }
    }
    if (n.behaviour == Fault::crash && fault_end_ > 0) {
      uint64_t t = rng.range(100, 800) * kMs;
      for (uint64_t c = rng.range(1, 2); c > 0 && t + 300 * kMs < fault_end_; --c) {
        Event e;
        e.type = Ev::crash;
        e.a = id;
        schedule(t, e);
        const uint64_t down = rng.range(100, 1000) * kMs;
        Event r;
        r.type = Ev::restart;
        r.a = id;
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
      e.type = Ev::partition;
      e.c = rng.next();
      schedule(t, e);
      const uint64_t len = rng.range(200, 1500) * kMs;
      Event h;
      h.type = Ev::heal;
      schedule(std::min(t + len, fault_end_), h);
      t += len + rng.range(100, 1000) * kMs;
    }
  }
  if (fault_end_ > 0) {
    Event e;
    e.type = Ev::faults_end;
    schedule(fault_end_, e);
  }
}

void World::make_adversary(Node& n, FaultSet tactics) {
  n.link = std::make_unique<Link>(*this, n);
  n.adv = std::make_unique<detail::Adversary>(*n.link, replica::protocol_config(cfg, n.id, o.max_inflight), o.protocol, keys.signer(n.id), keys.verifier(), rng,
                                              [this] { return clients_[rng.below(clients_.size())].id; }, tactics);
  Event e;
  e.type = Ev::adversary_tick;
  e.a = n.id;
  schedule(rng.range(50, 200) * kMs, e);
}

// A replica (re)starts from what its disk holds, as the process does: the ledger is opened
// (unsynced writes are gone), the core recovers from it and runs the restart handshake.
void World::start_node(Node& n) {
  n.inst.clear();
  // As the process opens its ledger: a proof written before its check came back (replica/
  // proofs.hpp) makes nothing final unless it verifies.
  n.store->reopen([&tv = keys.threshold_verifier()](const ledger::Block& b) { return ledger::verify_proof(b, tv).ok(); });
  std::vector<bool> all(cfg.n(), true);
  all[n.id] = false;
  n.inst.push_back(std::make_unique<SimReplica>(*this, n, 0, all));
  if (n.byzantine && n.behaviour == Fault::equivocate) {
    n.inst.push_back(std::make_unique<SimReplica>(*this, n, 1, all));
    split_twins(n);
  }
  for (auto& in : n.inst) {
    if (auto st = in->start(); !st) {
      checker.report("replica " + std::to_string(n.id) + " cannot start: " + st.error().message);
      return;
    }
  }
  Event t;
  t.type = Ev::tick;
  t.a = n.id;
  t.c = n.epoch;
  schedule(now_ + rng.range(0, 200) * kMs, t);
}

void World::crash_node(Node& n) {
  if (!n.up) return;
  n.up = false;
  n.crash_armed = false;
  ++n.epoch;
  n.store->crash();  // written, never synced
  n.inst.clear();
}

void World::step(const Event& e) {
  auto live = [&](uint32_t node, uint32_t twin, uint64_t epoch) -> SimReplica* {
    Node& n = nodes[node];
    if (!n.up || n.epoch != epoch || twin >= n.inst.size() || !n.inst[twin]->core) return nullptr;
    return n.inst[twin].get();
  };
  switch (e.type) {
    case Ev::deliver:
      deliver(e);
      break;
    case Ev::timer:
      if (auto* in = live(e.a, e.b, e.c)) in->fire_timer(static_cast<uint16_t>(e.d & 0xffff), e.d >> 16);
      break;
    case Ev::call:
      if (live(e.a, e.b, e.c)) e.fn();
      break;
    case Ev::sync_done:
      if (auto* in = live(e.a, e.b, e.c)) {
        in->store.synced(e.d);
        in->core->on_synced(e.d, {});
      }
      break;
    case Ev::tick: {
      Node& n = nodes[e.a];
      if (!n.up || n.epoch != e.c) break;
      for (auto& in : n.inst)
        if (in->core) in->core->tick();
      Event next = e;
      schedule(now_ + 200 * kMs * 1000 / n.drift_pm, std::move(next));
      break;
    }
    case Ev::client_next:
      client_next(clients_[e.a]);
      break;
    case Ev::client_timer:
      client_timeout(clients_[e.a], e.c, e.d);
      break;
    case Ev::crash: {
      Node& n = nodes[e.a];
      if (!n.up) break;
      if (e.d == 0) {
        // Armed: the crash comes right after the replica's next sync request, before that sync
        // completes (SimReplica::request_sync); or in 200 ms.
        n.crash_armed = true;
        Event later = e;
        later.d = 1;
        schedule(now_ + 200 * kMs, later);
        break;
      }
      crash_node(n);
      break;
    }
    case Ev::restart: {
      Node& n = nodes[e.a];
      if (n.up) break;
      n.up = true;
      ++n.epoch;
      start_node(n);
      break;
    }
    case Ev::partition:
      side_ = partition_sides(e.c, cfg.n());
      break;
    case Ev::heal:
      side_.clear();
      break;
    case Ev::crash_all:
      if (e.d == 0 && (e.c / kMs) % 2 == 0) {
        // Armed (half the runs): the power fails just as a proof forms (note_share), when the
        // shares that formed it may rest on records not yet synced; or in 200 ms.
        crash_all_armed_ = e;
        Event later = e;
        later.d = 1;
        schedule(now_ + 200 * kMs, later);
        break;
      }
      if (e.d != 0 && !crash_all_armed_) break;  // fired already
      crash_all_armed_.reset();
      for (auto& n : nodes) {
        if (!n.up) continue;
        crash_node(n);
        Event r;
        r.type = Ev::restart;
        r.a = n.id;
        schedule(std::min(now_ + e.c, std::max(fault_end_, now_ + 1)), r);
      }
      break;
    case Ev::adversary_tick: {
      Node& n = nodes[e.a];
      if (n.adv) n.adv->tick();
      check_memory();
      Event next = e;
      schedule(now_ + rng.range(50, 150) * kMs, std::move(next));
      break;
    }
    case Ev::broker:
      if (brokers_) brokers_->on_event(e);
      break;
    case Ev::faults_end:
      cut_.clear();
      side_.clear();
      gst_waiting_.clear();
      for (const auto& c : clients_)
        if (c.waiting) gst_waiting_.insert(c.index);
      for (auto& n : nodes) {
        if (!n.up) {
          n.up = true;
          ++n.epoch;
          start_node(n);
        }
      }
      break;
  }
}

void World::trace(const Event& e) {
  const uint8_t first = e.type == Ev::deliver && !e.payload.empty() ? e.payload[0] : 0;
  Traced t{e.time, e.type, e.a, e.b, e.c, e.d, first, static_cast<uint32_t>(e.payload.size())};
  fnv(hash_, e.time);
  fnv(hash_, (static_cast<uint64_t>(e.type) << 56) ^ (uint64_t{e.a} << 32) ^ e.b);
  fnv(hash_, e.c);
  fnv(hash_, e.d);
  for (uint8_t b : e.payload) {
    hash_ ^= b;
    hash_ *= 1099511628211ull;
  }
  ring_[ring_pos_++ % ring_.size()] = t;
  if (o.verbose) std::printf("%s\n", describe(t).c_str());
}

std::string World::describe(const Traced& t) const {
  char buf[192];
  if (t.type == Ev::deliver) {
    auto who = [&](uint32_t a) {
      if (a < cfg.n()) return "r" + std::to_string(a);
      if (a - cfg.n() < clients_.size()) return "c" + std::to_string(a - cfg.n());
      return "b" + std::to_string(a - cfg.n() - clients_.size());  // a broker
    };
    std::snprintf(buf, sizeof buf, "%10.3f ms  %-14s %s -> %s tag %u (%u bytes)", static_cast<double>(t.time) / 1000.0,
                  ev_name(t.type), who(t.a).c_str(), who(t.b).c_str(), t.first, t.size);
  } else {
    std::snprintf(buf, sizeof buf, "%10.3f ms  %-14s a=%u b=%u c=%llu d=%llu", static_cast<double>(t.time) / 1000.0,
                  ev_name(t.type), t.a, t.b, static_cast<unsigned long long>(t.c), static_cast<unsigned long long>(t.d));
  }
  return buf;
}

SimResult World::run() {
  setup_faults();
  if (brokers_) brokers_->setup();  // the directory, before any replica starts
  for (auto& n : nodes) start_node(n);
  for (auto& c : clients_) {
    Event e;
    e.type = Ev::client_next;
    e.a = c.index;
    schedule(rng.range(0, 10) * kMs, std::move(e));
  }
  if (brokers_) brokers_->start();
  const uint64_t deadline = fault_end_ + o.liveness_bound_ms * kMs;
  while (!q_.empty() && res.steps < o.max_steps && checker.ok() && (!all_done() || checker.unsettled())) {
    Event e = q_.top();
    q_.pop();
    if (e.time > deadline) break;
    now_ = e.time;
    trace(e);
    step(e);
    ++res.steps;
  }
  if (checker.ok() && !all_done()) {
    std::string pending;
    for (const auto& c : clients_)
      if (c.done < o.requests_per_client)
        pending += " c" + std::to_string(c.index) + "(seq " + std::to_string(c.seq) + ", waiting since " +
                   std::to_string(c.sent_at / kMs) + " ms)";
    if (brokers_) pending += brokers_->pending();
    checker.report("liveness: requests still pending " + std::to_string((now_ - std::min(now_, fault_end_)) / kMs) +
                   " ms after the faults stopped (step " + std::to_string(res.steps) + "):" + pending +
                   "; replicas:" + replica_states());
  }
  if (checker.ok()) checker.check_end();
  if (checker.ok() && brokers_) brokers_->check_end();
  res.ok = checker.ok();
  res.violations = checker.violations();
  res.trace_hash = hash_;
  res.sim_time_us = now_;
  res.batches_final = checker.max_final();
  for (auto& n : nodes)
    if (!n.inst.empty() && n.inst[0]->core)
      res.view_changes = std::max(res.view_changes, n.inst[0]->core->protocol().stats().view_changes);
  const size_t count = std::min<size_t>(res.steps, ring_.size());
  for (size_t i = 0; i < count; ++i) res.trace.push_back(describe(ring_[(ring_pos_ - count + i) % ring_.size()]));
  return res;
}

SimResult run(const SimOptions& o) {
  // The core logs as the process does; a sweep of thousands of seeds must not.
  const auto level = spdlog::get_level();
  if (!o.verbose) spdlog::set_level(spdlog::level::off);
  World w(o);
  SimResult r = w.run();
  spdlog::set_level(level);
  return r;
}

std::optional<Bytes> World::final_slot(uint64_t k) const {
  for (const auto& n : nodes) {
    if (n.byzantine || !n.store || n.store->last_final() < k) continue;
    if (auto b = n.store->batch(k)) return std::move(*b);
  }
  return std::nullopt;
}

}  // namespace rampart::sim::core
