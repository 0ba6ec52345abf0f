// The simulated world: event loop, virtual network with faults, clients, crash/restart and
// partitions, the Byzantine output filters, tracing.
#include <algorithm>
#include <cstdio>

#include "app/kv/op.hpp"
#include "common/codec.hpp"
#include "sim/adversary_protocol.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {

namespace {
constexpr uint64_t kMs = 1000;  // simulated time is in microseconds

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
      FaultSet t;
      if (is_tactic(n.behaviour)) t.add(n.behaviour);
      if (is_tactic(n.behaviour) || rng.chance(0.5)) {
        for (uint64_t more = rng.range(is_tactic(n.behaviour) ? 0 : 1, 2); more > 0; --more) {
          Fault x = tactics[rng.below(tactics.size())];
          if (!t.has(x)) res.setup += "+" + std::string(fault_name(x));
          t.add(x);
        }
      }
      if (!t.empty()) {
        n.adv = std::make_unique<Adversary>(*this, n, t);
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

// ---- network -----------------------------------------------------------------------------

void World::replica_send(Instance& from, NodeId to, Tag tag, Bytes body) {
  Node& n = from.node;
  if (!n.up) return;
  if (n.byzantine) {
    switch (n.behaviour) {
      case Fault::silent:
        return;
      case Fault::withhold:
        if (from.primary == n.id && n.withheld.count(to)) return;
        break;
      case Fault::lie:
        if (tag == Tag::share && body.size() > 16) body[16] ^= 0x5a;  // a share over another block
        break;
      case Fault::bad_sig:
        if (tag == Tag::share && rng.chance(0.5)) return;  // an invalid share: combining drops it
        if ((tag == Tag::consensus || tag == Tag::state_resp) && !body.empty() && rng.chance(0.5)) {
          size_t tail = std::min<size_t>(body.size(), 64);
          body[body.size() - 1 - rng.below(tail)] ^= static_cast<uint8_t>(1 + rng.below(255));
        }
        break;
      default:
        break;
    }
  }
  if (n.adv && tag == Tag::consensus) return n.adv->outgoing(from, to, std::move(body));
  emit(from, to, tag, std::move(body));
}

void World::emit(Instance& from, uint32_t to, Tag tag, Bytes body) {
  Node& n = from.node;
  if (!n.byzantine && from.twin == 0 && from.gate > n.disk.synced_gen() && o.weaken != Weaken::ungated_votes) {
    n.held.push_back({from.gate, to, tag, std::move(body)});
    return;
  }
  net_send(n.id, to, tag, std::move(body));
}

void World::sync_done(Node& n, uint64_t gen) {
  n.disk.synced(gen);
  while (!n.held.empty() && n.held.front().gen <= gen) {
    Node::Held h = std::move(n.held.front());
    n.held.pop_front();
    net_send(n.id, h.to, h.tag, std::move(h.body));
  }
}

void World::send_reply(Instance& from, const replica::ReplyEntry& e, View view, const ledger::Block& header,
                       bool with_proof) {
  Hash32 r = header.results_root;
  Bytes result = e.result;
  if (from.node.byzantine && from.node.behaviour == Fault::lie) {
    r[0] ^= 0x5a;  // a plausible reply with wrong results
    result = app::kv::encode_result({app::kv::Code::ok, to_bytes("lie")});
  }
  Writer w;
  w.u64(e.client);
  w.u64(e.seq);
  w.u64(view);
  w.u64(header.k);
  w.fixed(r);
  w.fixed(header.batch_digest);
  w.fixed(header.prev_hash);
  w.fixed(header.state_digest);
  w.bytes(result);
  w.u8(with_proof ? 1 : 0);
  if (!from.node.up || (from.node.byzantine && from.node.behaviour == Fault::silent)) return;
  if (e.client >= clients_.size()) return;
  // A reply stands for the replica's CART share, which leaves only after the sync covering
  // what it vouches for.
  emit(from, cfg.n + static_cast<uint32_t>(e.client), Tag::reply, w.take());
}

// A share that left a replica, over (view, k, block hash): recorded as what a group signature
// can be combined from (proof()).
void World::note_share(uint32_t from, ByteView share) {
  Reader r(share);
  View view = r.u64();
  uint64_t k = r.u64();
  ledger::Block header;
  header.k = k;
  const Hash32 head = r.fixed<32>();
  header.results_root = r.fixed<32>();
  header.batch_digest = r.fixed<32>();
  header.prev_hash = r.fixed<32>();
  header.state_digest = r.fixed<32>();
  if (!r.finish()) return;
  const bool genuine = ledger::block_hash(header) == head;  // a liar's share names no real block
  if (genuine) block_of_root_[{k, header.results_root}].emplace(head, header);
  auto& signers = shares_[{k, head, view}];
  if (!signers.insert(from).second) return;
  // A strategic Byzantine replica signs a share over whatever a correct one signed: its share
  // joins every proof it can help form.
  if (!nodes[from].byzantine) {
    for (const auto& n : nodes)
      if (n.adv && n.up) signers.insert(n.id);
  }
  if (!genuine || !proof(k, head) || !proofs_seen_.insert({k, head}).second) return;
  // A proof formed. Any client may hold it: it is checked as an accepted result. Every replica
  // that executed k with this root holds it now (the process combines the shares it receives);
  // they hear of it outside any protocol call.
  checker.on_proof(k, header.results_root, *proof(k, head));
  if (crash_all_armed_) {
    Event c = *crash_all_armed_;
    c.d = 2;
    schedule(now_ + 1, std::move(c));  // before any sync requested now completes (>= 100 us)
  }
  for (auto& n : nodes) {
    Event e;
    e.type = EvType::proven_check;
    e.a = n.id;
    e.d = n.epoch;
    schedule(now_, std::move(e));
  }
}

std::optional<View> World::proof(consensus::Seq k, const Hash32& head) const {
  std::set<NodeId> any_view;  // Weaken::cross_view_proofs
  for (auto it = shares_.lower_bound({k, head, 0}); it != shares_.end(); ++it) {
    const auto& [key, signers] = *it;
    if (std::get<0>(key) != k || std::get<1>(key) != head) break;
    if (signers.size() >= cfg.nf()) return std::get<2>(key);
    if (o.weaken == Weaken::cross_view_proofs) {
      any_view.insert(signers.begin(), signers.end());
      if (any_view.size() >= cfg.nf()) return std::get<2>(key);
    }
  }
  return std::nullopt;
}

std::optional<std::pair<View, ledger::Block>> World::proof_of(consensus::Seq k, const Hash32& root) const {
  auto it = block_of_root_.find({k, root});
  if (it == block_of_root_.end()) return std::nullopt;
  for (const auto& [head, header] : it->second)
    if (auto v = proof(k, head)) return std::make_pair(*v, header);
  return std::nullopt;
}

void World::net_send(uint32_t from, uint32_t to, Tag tag, Bytes body) {
  if (tag == Tag::share) return note_share(from, body);
  res.messages++;
  bool faulty_net = in_fault_phase();
  if (faulty_net) {
    if (!side_.empty() && from < cfg.n && to < cfg.n && side_[from] != side_[to]) return;
    if (o.faults.has(Fault::selective) && tag == Tag::consensus && from < cfg.n && to < cfg.n && inspector_) {
      // The network delivers a certificate (PoE CERTIFY, PBFT COMMIT) to whom the adversary
      // chose, often a single replica: one alone holding it is what a view change can miss.
      const auto info = inspector_->inspect(body);
      if (info.kind == Adversary::Protocol::Kind::certificate) {
        auto [it, fresh] = cert_audience_.try_emplace({from, info.view, info.k});
        if (fresh) {
          const double p = rng.chance(0.5) ? 1.0 / cfg.n : 0.7;
          for (uint32_t i = 0; i < cfg.n; ++i)
            if (rng.chance(p)) it->second.insert(i);
        }
        if (!it->second.count(to)) return;
      }
    }
    if (!cut_.empty() && from < cfg.n && to < cfg.n && cut_[from] != cut_[to]) {
      // The view's cut: only view-change messages cross it, and only some of them (an isolated
      // replica may still help make a view it takes no other part in).
      const bool vc = tag == Tag::consensus && inspector_ &&
                      inspector_->inspect(body).kind == Adversary::Protocol::Kind::view_change;
      if (!vc || rng.chance(0.5)) return;
    }
    if (o.faults.has(Fault::loss) && rng.chance(0.05)) return;
  }
  uint64_t delay = rng.range(500, 3000);
  if (faulty_net && o.faults.has(Fault::reorder)) delay += rng.range(0, 30 * kMs);
  if (faulty_net && o.faults.has(Fault::delay) && rng.chance(0.05)) delay += rng.range(50, 500) * kMs;
  Event e;
  e.type = EvType::deliver;
  e.a = from;
  e.b = to;
  e.payload.reserve(body.size() + 1);
  e.payload.push_back(static_cast<uint8_t>(tag));
  e.payload.insert(e.payload.end(), body.begin(), body.end());
  if (faulty_net && o.faults.has(Fault::duplicate) && rng.chance(0.05)) {
    Event dup = e;
    schedule(now_ + delay + rng.range(0, 20 * kMs), std::move(dup));
  }
  schedule(now_ + delay, std::move(e));
}

Instance* World::route(Node& n, uint32_t from) {
  if (n.inst.empty()) return nullptr;
  if (from >= cfg.n) return n.inst[0].get();
  for (auto& in : n.inst) {
    if (in->talks_to(from)) return in.get();
  }
  return nullptr;
}

void World::deliver(const Event& e) {
  if (e.payload.empty()) return;
  Tag tag = static_cast<Tag>(e.payload[0]);
  ByteView body(e.payload.data() + 1, e.payload.size() - 1);
  if (e.b < cfg.n) {
    deliver_to_replica(nodes[e.b], e.a, tag, body);
  } else if (e.b - cfg.n < clients_.size()) {
    deliver_to_client(clients_[e.b - cfg.n], e.a, body);
  }
}

void World::deliver_to_replica(Node& n, uint32_t from, Tag tag, ByteView body) {
  if (!n.up) return;
  if (n.adv && !n.adv->incoming(from, tag, body)) return;
  if (tag == Tag::request) {
    if (from < cfg.n) return;
    auto r = replica::decode_request(body);
    if (!r) return;
    for (auto& in : n.inst) in->on_client_request(*r);
    return;
  }
  if (from >= cfg.n) return;  // only replicas speak the rest
  Instance* in = route(n, from);
  if (!in) return;
  switch (tag) {
    case Tag::consensus:
      in->proto->on_message(from, body);
      break;
    case Tag::forward:
      in->on_forward(from, body);
      break;
    case Tag::state_req: {
      Reader r(body);
      uint64_t k = r.u64();
      if (r.finish()) in->on_state_request(from, k);
      break;
    }
    case Tag::state_resp:
      in->on_state_response(body);
      break;
    default:
      break;
  }
}

// ---- clients -----------------------------------------------------------------------------

void World::client_next(Client& c) {
  if (c.done >= o.requests_per_client) return;
  ++c.seq;
  std::string key = "k" + std::to_string(rng.below(8));
  app::kv::Op op;
  uint64_t which = rng.below(10);
  if (which < 5) {
    op = app::kv::put(key, "c" + std::to_string(c.id) + "s" + std::to_string(c.seq));
  } else if (which < 8) {
    op = app::kv::get(key);
  } else {
    op = app::kv::del(key);
  }
  c.cur = replica::make_request(c.id, c.seq, app::kv::encode_op(op), *c.signer);
  c.waiting = true;
  c.attempt = 0;
  c.sent_at = now_;
  c.votes.clear();
  net_send(cfg.n + static_cast<uint32_t>(c.id), static_cast<uint32_t>(rng.below(cfg.n)), Tag::request,
           replica::encode_request(c.cur));
  Event e;
  e.type = EvType::client_timer;
  e.a = static_cast<uint32_t>(c.id);
  e.c = c.seq;
  e.d = 0;
  schedule(now_ + o.client_timeout_ms * kMs, std::move(e));
}

void World::client_timeout(Client& c, uint64_t seq, uint64_t attempt) {
  if (!c.waiting || c.cur.seq != seq || c.attempt != attempt) return;
  ++c.attempt;
  // Like a real client: after a timeout, send to every replica.
  Bytes req = replica::encode_request(c.cur);
  for (NodeId r = 0; r < cfg.n; ++r) net_send(cfg.n + static_cast<uint32_t>(c.id), r, Tag::request, req);
  Event e;
  e.type = EvType::client_timer;
  e.a = static_cast<uint32_t>(c.id);
  e.c = seq;
  e.d = c.attempt;
  schedule(now_ + o.client_timeout_ms * kMs * std::min<uint64_t>(c.attempt + 1, 8), std::move(e));
}

void World::deliver_to_client(Client& c, uint32_t from, ByteView body) {
  if (from >= cfg.n) return;
  Reader r(body);
  uint64_t client = r.u64();
  uint64_t seq = r.u64();
  View view = r.u64();
  uint64_t k = r.u64();
  ledger::Block header;
  header.k = k;
  Hash32 root = header.results_root = r.fixed<32>();
  header.batch_digest = r.fixed<32>();
  header.prev_hash = r.fixed<32>();
  header.state_digest = r.fixed<32>();
  Bytes result = r.bytes(1 << 20);
  const bool with_proof = r.u8() == 1;
  if (!r.finish() || client != c.id || !c.waiting || seq != c.cur.seq) return;
  // The proof signs the block hash, which the client computes from the header the reply carries:
  // it binds the results root the reply's result is proven against.
  const Hash32 head = ledger::block_hash(header);
  if (with_proof) {
    // One reply carrying the group signature is enough, as for a real CART client; a replica
    // can attach only a proof that nf shares made (proof()).
    auto v = proof(k, head);
    if (!v || *v != view) return;
  } else {
    // nf replicas vouching for one (view, k, block): what a CART proof is made of.
    const View key_view = o.weaken == Weaken::cross_view_proofs ? 0 : view;
    auto& voters = c.votes[{key_view, k, head, root, result}];
    voters.insert(from);
    if (voters.size() < cfg.nf()) return;
  }
  checker.on_accept(c.id, seq, k, root, view);
  if (gst_waiting_.erase(c.id) && now_ >= fault_end_) res.recovery_us = std::max(res.recovery_us, now_ - fault_end_);
  c.waiting = false;
  ++c.done;
  res.requests_accepted++;
  Event e;
  e.type = EvType::client_next;
  e.a = static_cast<uint32_t>(c.id);
  schedule(now_ + rng.range(0, 5 * kMs), std::move(e));
}

std::string World::replica_states() const {
  std::string out;
  for (const auto& n : nodes) {
    for (const auto& in : n.inst) {
      if (!in->proto) continue;
      consensus::Stats st = in->proto->stats();
      out += " r" + std::to_string(n.id) + (n.inst.size() > 1 ? "." + std::to_string(in->twin) : "") +
             "{view " + std::to_string(st.view) + ", exec " + std::to_string(st.last_executed) + "/" +
             std::to_string(in->ex.last_executed()) + ", stable " + std::to_string(st.stable_checkpoint) +
             (in->proto->has_pending() ? ", pending" : "") + (n.up ? "" : ", down") + "}";
    }
  }
  return out;
}

// Twins: each new view gets a new cut, drawn by the adversary, until GST. Whoever holds what the
// others lack is as likely to be cut off as anyone, so view changes form from every possible
// subset of requests over a run.
void World::on_view_installed(View v) {
  if (!in_fault_phase() || v <= cut_view_) return;
  for (auto& n : nodes)
    if (n.byzantine && n.inst.size() == 2) split_twins(n);  // Twins: a new split per view
  if (!o.faults.has(Fault::isolate)) return;
  cut_view_ = v;
  cut_.clear();
  if (!rng.chance(0.7)) return;
  cut_.assign(cfg.n, 0);
  if (rng.chance(0.5)) {
    // Hostile: the replicas that alone executed some batch (the fewest holders of a k's most
    // recent execution) are cut off, so the next view change goes without what they hold.
    const std::set<NodeId>* few = nullptr;
    for (auto it = executed_by_.rbegin(); it != executed_by_.rend(); ++it) {
      for (const auto& [vb, holders] : it->second)
        if (holders.size() <= cfg.f && (!few || holders.size() < few->size())) few = &holders;
      if (few) break;
    }
    if (few) {
      for (NodeId r : *few) cut_[r] = 1;
      return;
    }
  }
  for (uint64_t m = rng.range(1, cfg.f); m > 0; --m) cut_[rng.below(cfg.n)] = 1;
}

void World::on_executed(NodeId r, consensus::Seq k, View v, const Hash32& batch) {
  if (!o.faults.has(Fault::isolate) || !in_fault_phase()) return;
  executed_by_[k][{v, batch}].insert(r);
  while (executed_by_.size() > 2 * cfg.window) executed_by_.erase(executed_by_.begin());
}

// Twins: the other replicas split into two non-empty groups, each twin talking to one; drawn
// again at every new view, so a replica may hear one twin in one view and the other in the next.
void World::split_twins(Node& n) {
  std::vector<bool> a(cfg.n, false), b(cfg.n, false);
  std::vector<NodeId> others;
  for (NodeId i = 0; i < cfg.n; ++i) {
    if (i != n.id) others.push_back(i);
  }
  for (size_t i = others.size(); i > 1; --i) std::swap(others[i - 1], others[rng.below(i)]);
  size_t cut = rng.range(1, others.size() - 1);
  for (size_t i = 0; i < others.size(); ++i) (i < cut ? a : b)[others[i]] = true;
  n.inst[0]->set_peers(a);
  n.inst[1]->set_peers(b);
}

// Bounded memory under floods: a correct replica's protocol never holds more batches than its
// own clients' plus every backup's forwarding quota.
void World::check_memory() {
  const uint64_t bound = 4 * cfg.window + 2 * uint64_t{cfg.max_inflight} * cfg.n;
  for (const auto& n : nodes) {
    if (n.byzantine || !n.up) continue;
    for (const auto& in : n.inst) {
      if (!in->proto) continue;
      const uint64_t pending = in->proto->stats().pending;
      if (pending > bound)
        checker.report("memory: replica " + std::to_string(n.id) + " holds " + std::to_string(pending) +
                       " pending batches (bound " + std::to_string(bound) + ")");
    }
  }
}

bool World::all_done() const {
  for (const auto& c : clients_) {
    if (c.done < o.requests_per_client) return false;
  }
  return true;
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
    case EvType::partition: {
      Rng pr(e.c);
      side_.assign(cfg.n, 0);
      NodeId lone = static_cast<NodeId>(pr.below(cfg.n));
      side_[lone] = 1;  // at least one replica on each side
      for (NodeId i = 0; i < cfg.n; ++i) {
        if (i != lone && pr.chance(0.3)) side_[i] = 1;
      }
      if (std::all_of(side_.begin(), side_.end(), [](int s) { return s == 1; })) side_[(lone + 1) % cfg.n] = 0;
      break;
    }
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
  detail::World w(o);
  return w.run();
}

}  // namespace rampart::sim
