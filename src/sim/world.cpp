// The simulated world: event loop, virtual network with faults, clients, crash/restart and
// partitions, the Byzantine output filters, tracing.
#include <algorithm>
#include <cstdio>

#include "app/kv/op.hpp"
#include "common/codec.hpp"
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
  fault_end_ = o.faults.empty() ? 0 : o.fault_phase_ms * kMs;
  std::vector<Fault> kinds;
  for (Fault f : kReplicaFaults) {
    if (o.faults.has(f)) kinds.push_back(f);
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
    // Twins: split the other replicas into two non-empty groups; each twin sees one group.
    std::vector<bool> a(cfg.n, false), b(cfg.n, false);
    std::vector<NodeId> others;
    for (NodeId i = 0; i < cfg.n; ++i) {
      if (i != n.id) others.push_back(i);
    }
    size_t cut = rng.range(1, others.size() - 1);
    for (size_t i = 0; i < others.size(); ++i) (i < cut ? a : b)[others[i]] = true;
    n.inst.push_back(std::make_unique<Instance>(*this, n, 0, a));
    n.inst.push_back(std::make_unique<Instance>(*this, n, 1, b));
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
  const Hash32 durable_head = ledger::block_hash(n.durable_snap.header);
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
  emit(from, to, tag, std::move(body));
}

void World::emit(Instance& from, uint32_t to, Tag tag, Bytes body) {
  Node& n = from.node;
  if (!n.byzantine && from.twin == 0 && from.gate > n.disk.synced_gen()) {
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
  if (ledger::block_hash(header) == head) block_of_root_[{k, header.results_root}].emplace(head, header);
  auto& signers = shares_[{k, head, view}];
  if (!signers.insert(from).second || signers.size() != cfg.nf()) return;
  // A proof formed: every replica that executed k with this root holds it now (the process
  // combines the shares it receives); they hear of it outside any protocol call.
  for (auto& n : nodes) {
    Event e;
    e.type = EvType::proven_check;
    e.a = n.id;
    e.d = n.epoch;
    schedule(now_, std::move(e));
  }
}

std::optional<View> World::proof(consensus::Seq k, const Hash32& head) const {
  for (auto it = shares_.lower_bound({k, head, 0}); it != shares_.end(); ++it) {
    const auto& [key, signers] = *it;
    if (std::get<0>(key) != k || std::get<1>(key) != head) break;
    if (signers.size() >= cfg.nf()) return std::get<2>(key);
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
      in->on_forward(body);
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
    auto& voters = c.votes[{view, k, head, root, result}];
    voters.insert(from);
    if (voters.size() < cfg.nf()) return;
  }
  checker.on_accept(c.id, seq, k, root);
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
    case EvType::faults_end:
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
  if (o.verbose) std::printf("%s\n", describe(t).c_str());
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
