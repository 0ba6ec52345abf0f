// The simulated world: construction, the event loop (crash, restart, partitions and timers
// included) and tracing. Set-up, the network and the clients are in world_setup.cpp,
// world_network.cpp and world_clients.cpp.
#include <algorithm>
#include <cstdio>

#include "sim/adversary_protocol.hpp"
#include "sim/core_world.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {

namespace {

const char* ev_name(EvType t) {
  switch (t) {
    case EvType::deliver: return "deliver";
    case EvType::proto_timer: return "timer";
    case EvType::batch_timer: return "batch-timer";
    case EvType::client_timer: return "client-timeout";
    case EvType::client_next: return "client-next";
    case EvType::crash: return "crash";
    case EvType::restart: return "restart";
    case EvType::partition: return "partition";
    case EvType::heal: return "heal";
    case EvType::faults_end: return "faults-end";
    case EvType::resubmit: return "resubmit";
    case EvType::state_retry: return "state-retry";
    case EvType::sync_done: return "sync";
    case EvType::proven_check: return "proven";
    case EvType::adversary_tick: return "adversary";
    case EvType::crash_all: return "crash-all";
  }
  return "?";
}

const char* tag_name(uint8_t t) {
  switch (static_cast<Tag>(t)) {
    case Tag::consensus: return "consensus";
    case Tag::request: return "request";
    case Tag::forward: return "forward";
    case Tag::reply: return "reply";
    case Tag::state_req: return "state-req";
    case Tag::state_resp: return "state-resp";
    case Tag::share: return "share";
  }
  return "-";
}

void fnv(uint64_t& h, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xff;
    h *= 1099511628211ull;
  }
}
}  // namespace

World::World(const SimOptions& opts)
    : o(opts),
      rng(opts.seed),
      checker(3 * opts.f + 1),
      keys(3 * opts.f + 1, 2 * opts.f + 1, opts.seed),
      client_keys(opts.clients, 1, opts.seed ^ 0x636c69656e7473ull),
      client_verifier(client_keys.verifier(), opts.clients) {
  cfg.n = 3 * o.f + 1;
  cfg.f = o.f;
  cfg.window = o.window;
  cfg.checkpoint_interval = o.checkpoint_interval;
  cfg.view_timeout_ms = o.view_timeout_ms;
  cfg.max_inflight = o.max_inflight;
  nodes.resize(cfg.n);
  for (NodeId i = 0; i < cfg.n; ++i) nodes[i].id = i;
  clients_.resize(o.clients);
  for (uint32_t c = 0; c < o.clients; ++c) {
    clients_[c].id = c;
    clients_[c].signer = std::make_unique<replica::ClientSignerFrom>(client_keys.signer(c));
  }
  ring_.resize(std::max<size_t>(o.trace_tail, 1));
}

void World::schedule(uint64_t at, Event e) {
  e.time = at;
  e.order = order_++;
  q_.push(std::move(e));
}

// ---- the loop ----------------------------------------------------------------------------

void World::step(const Event& e) {
  switch (e.type) {
    case EvType::deliver:
      deliver(e);
      break;
    case EvType::proto_timer: {
      Node& n = nodes[e.a];
      size_t kind = e.d & 0xff;
      if (!n.up || (e.d >> 8) != n.epoch || e.b >= n.inst.size()) break;
      Instance& in = *n.inst[e.b];
      if (in.timer_gen[kind] == e.c) in.proto->on_timer(static_cast<consensus::TimerKind>(kind));
      break;
    }
    case EvType::batch_timer: {
      Node& n = nodes[e.a];
      if (n.up && e.d == n.epoch && e.b < n.inst.size()) n.inst[e.b]->on_batch_timer(e.c);
      break;
    }
    case EvType::sync_done: {
      Node& n = nodes[e.a];
      if (n.up && e.d == n.epoch) sync_done(n, e.c);
      break;
    }
    case EvType::proven_check: {
      Node& n = nodes[e.a];
      if (n.up && e.d == n.epoch)
        for (auto& in : n.inst) in->check_proven();
      break;
    }
    case EvType::resubmit:
    case EvType::state_retry: {
      Node& n = nodes[e.a];
      if (!n.up || e.c != n.epoch || e.b >= n.inst.size()) break;
      if (e.type == EvType::resubmit) {
        n.inst[e.b]->on_resubmit();
      } else {
        n.inst[e.b]->on_state_retry();
      }
      break;
    }
    case EvType::client_next:
      client_next(clients_[e.a]);
      break;
    case EvType::client_timer:
      client_timeout(clients_[e.a], e.c, e.d);
      break;
    case EvType::crash: {
      Node& n = nodes[e.a];
      if (!n.up) break;
      if (e.d == 0) {
        // Armed: the crash comes right after the replica's next vote leaves, before the sync
        // that makes its record durable (Instance::request_sync); or in 200 ms if it votes none.
        n.crash_armed = true;
        Event later = e;
        later.d = 1;
        schedule(now_ + 200 * kMs, later);
        break;
      }
      n.crash_armed = false;
      n.up = false;
      ++n.epoch;
      n.disk.crash();  // written, never synced
      n.held.clear();  // waiting for that sync: never left
      break;
    }
    case EvType::restart: {
      Node& n = nodes[e.a];
      if (n.up) break;
      n.up = true;
      ++n.epoch;
      start_node(n, e.c == 1);
      break;
    }
    case EvType::partition:
      side_ = partition_sides(e.c, cfg.n);
      break;
    case EvType::heal:
      side_.clear();
      break;
    case EvType::adversary_tick: {
      Node& n = nodes[e.a];
      if (n.adv) n.adv->tick();
      check_memory();
      Event next = e;
      schedule(now_ + rng.range(50, 150) * kMs, std::move(next));
      break;
    }
    case EvType::crash_all:
      if (e.d == 0 && (e.c / kMs) % 2 == 0) {
        // Armed (half the runs): the power fails just as a client's proof forms (note_share),
        // when the shares that formed it may rest on records not yet synced; or in 200 ms.
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
        n.up = false;
        ++n.epoch;
        n.disk.crash();
        n.held.clear();
        Event r;
        r.type = EvType::restart;
        r.a = n.id;
        r.c = 1;  // from its disk
        schedule(std::min(now_ + e.c, std::max(fault_end_, now_ + 1)), r);
      }
      break;
    case EvType::faults_end:
      cut_.clear();
      gst_waiting_.clear();
      for (const auto& c : clients_)
        if (c.waiting) gst_waiting_.insert(c.id);
      side_.clear();
      for (auto& n : nodes) {
        if (!n.up) {
          n.up = true;
          ++n.epoch;
          start_node(n, true);
        }
      }
      break;
  }
}

void World::trace(const Event& e) {
  uint8_t tag = e.type == EvType::deliver && !e.payload.empty() ? e.payload[0] : 0;
  uint8_t first = e.type == EvType::deliver && e.payload.size() > 1 ? e.payload[1] : 0;
  TraceEntry t{e.time, e.type, e.a, e.b, e.c, e.d, tag, first, static_cast<uint32_t>(e.payload.size())};
  fnv(hash_, e.time);
  fnv(hash_, (static_cast<uint64_t>(e.type) << 56) ^ (uint64_t{e.a} << 32) ^ e.b);
  fnv(hash_, e.c);
  fnv(hash_, e.d);
  for (uint8_t b : e.payload) {
    hash_ ^= b;
    hash_ *= 1099511628211ull;
  }
  ring_[ring_pos_++ % ring_.size()] = t;
  if (!o.verbose) return;
  std::string line = describe(t);
  if (reader_ && tag == static_cast<uint8_t>(Tag::consensus)) {
    // What the message is: kind, view and sequence number.
    static constexpr const char* kKinds[] = {"", "proposal", "certificate", "support", "checkpoint",
                                             "view-change", "new-view", "forward"};
    const auto info = reader_->inspect(ByteView(e.payload).subspan(1));
    const auto kind = static_cast<size_t>(info.kind);
    if (kind > 0 && kind < std::size(kKinds)) {
      const bool vc = info.kind == Adversary::Protocol::Kind::view_change;  // inspect gives the view it leaves
      line += std::string(" ") + kKinds[kind] + (vc ? " for v" : " v") + std::to_string(info.view + (vc ? 1 : 0));
      if (info.k) line += " k" + std::to_string(info.k);
    }
  }
  std::printf("%s\n", line.c_str());
}

std::string World::describe(const TraceEntry& t) const {
  char buf[192];
  if (t.type == EvType::deliver) {
    auto who = [&](uint32_t a) { return a < cfg.n ? "r" + std::to_string(a) : "c" + std::to_string(a - cfg.n); };
    std::snprintf(buf, sizeof buf, "%10.3f ms  %-14s %s -> %s %s%s (%u bytes)", static_cast<double>(t.time) / 1000.0,
                  ev_name(t.type), who(t.a).c_str(), who(t.b).c_str(), tag_name(t.tag),
                  t.tag == static_cast<uint8_t>(Tag::consensus) ? (" type " + std::to_string(t.first)).c_str() : "",
                  t.size);
  } else {
    std::snprintf(buf, sizeof buf, "%10.3f ms  %-14s a=%u b=%u c=%llu d=%llu", static_cast<double>(t.time) / 1000.0,
                  ev_name(t.type), t.a, t.b, static_cast<unsigned long long>(t.c),
                  static_cast<unsigned long long>(t.d));
  }
  return buf;
}

SimResult World::run() {
  setup_faults();
  for (auto& n : nodes) {
    start_node(n, false);
    if (n.inst.empty() || !n.inst.back()->proto) {
      res.skipped = true;
      return res;
    }
  }
  for (auto& c : clients_) {
    Event e;
    e.type = EvType::client_next;
    e.a = static_cast<uint32_t>(c.id);
    schedule(rng.range(0, 10) * kMs, std::move(e));
  }
  uint64_t deadline = fault_end_ + o.liveness_bound_ms * kMs;
  // Run until every client is done and no correct replica still owes the re-execution of an
  // accepted result it rolled back (see InvariantChecker::unsettled).
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
    for (const auto& c : clients_) {
      if (c.done < o.requests_per_client) {
        pending += " c" + std::to_string(c.id) + "(seq " + std::to_string(c.cur.seq) + ", waiting since " +
                   std::to_string(c.sent_at / kMs) + " ms)";
      }
    }
    checker.report("liveness: requests still pending " + std::to_string((now_ - std::min(now_, fault_end_)) / kMs) +
                   " ms after the faults stopped (step " + std::to_string(res.steps) + "):" + pending +
                   "; replicas:" + replica_states());
  }
  if (checker.ok()) checker.check_end();
  res.ok = checker.ok();
  res.violations = checker.violations();
  res.trace_hash = hash_;
  res.sim_time_us = now_;
  res.batches_final = checker.max_final();
  for (auto& n : nodes) {
    if (!n.inst.empty() && n.inst[0]->proto) res.view_changes = std::max(res.view_changes, n.inst[0]->proto->stats().view_changes);
  }
  size_t count = std::min<size_t>(res.steps, ring_.size());
  for (size_t i = 0; i < count; ++i) {
    res.trace.push_back(describe(ring_[(ring_pos_ - count + i) % ring_.size()]));
  }
  return res;
}

}  // namespace rampart::sim::detail

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
  if (o.core) return core::run(o);
  detail::World w(o);
  return w.run();
}

}  // namespace rampart::sim
