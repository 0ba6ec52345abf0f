// The simulated world's network: the Byzantine output filters, journal gating of a replica's
// messages, replies, the proofs the world keeps, message faults and delivery.
#include <algorithm>

#include "app/kv/op.hpp"
#include "common/codec.hpp"
#include "sim/adversary_protocol.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {

// ---- network -----------------------------------------------------------------------------

void AdversaryLink::send_consensus(NodeId to, Bytes body) { w_.net_send(n_.id, to, Tag::consensus, std::move(body)); }
void AdversaryLink::send_forward(NodeId to, Bytes batch) { w_.net_send(n_.id, to, Tag::forward, std::move(batch)); }
bool AdversaryLink::up() const { return n_.up; }

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
  if (n.adv && tag == Tag::consensus) return n.adv->outgoing(to, std::move(body));
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
  if (n.adv) {
    const auto kind = tag == Tag::request   ? Adversary::In::request
                      : tag == Tag::forward ? Adversary::In::forward
                      : tag == Tag::consensus ? Adversary::In::consensus
                                              : Adversary::In::other;
    if (!n.adv->incoming(from, kind, body)) return;
  }
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

}  // namespace rampart::sim::detail
