// The simulator's network: Byzantine output filters, message faults, the shares the world
// watches (a proof of execution any client could hold), and delivery to replica cores and
// clients.
#include "common/codec.hpp"
#include "ledger/block.hpp"
#include "replica/client_wire.hpp"
#include "replica/batch.hpp"
#include "replica/peer_msg.hpp"
#include "replica/witness.hpp"
#include "sim/adversary_protocol.hpp"
#include "sim/world.hpp"

namespace rampart::sim::core {

using replica::PeerTag;

// The adversary's way out: as its replica, on the network.
Link::Link(World& w, Node& n) : w_(w), n_(n) {}
void Link::send_consensus(NodeId to, Bytes body) { w_.net_send(n_.id, to, replica::wrap(PeerTag::consensus, body)); }
void Link::send_forward(NodeId to, Bytes batch) { w_.net_send(n_.id, to, replica::wrap(PeerTag::forward, batch)); }
bool Link::up() const { return n_.up; }

// What reaches a strategic replica is shown to its adversary first (views, requests, material
// to replay); false: its honest core never sees it (censor).
bool World::adversary_lets_in(Node& n, uint32_t from, ByteView payload) {
  if (!n.adv || payload.empty()) return true;
  using In = detail::Adversary::In;
  if (from >= cfg.n())
    return payload[0] != client::kTagRequest || n.adv->incoming(from, In::request, payload.subspan(1));
  const auto tag = static_cast<PeerTag>(payload[0]);
  const In kind = tag == PeerTag::consensus ? In::consensus : tag == PeerTag::forward ? In::forward : In::other;
  return n.adv->incoming(from, kind, payload.subspan(1));
}

void World::replica_send(SimReplica& from, NodeId to, Bytes wire) {
  Node& n = from.node;
  if (!n.up || wire.empty()) return;
  if (n.byzantine) {
    const auto tag = static_cast<PeerTag>(wire[0]);
    switch (n.behaviour) {
      case Fault::silent:
        return;
      case Fault::withhold:
        if (from.core && from.core->protocol().is_primary() && n.withheld.count(to)) return;
        break;
      case Fault::lie:
        // A share over another block: the hash it names is not the one it signs.
        if (tag == PeerTag::share && wire.size() > 20) wire[20] ^= 0x5a;
        // A delivery share naming another amended root (tag, broker, number, height, root): it
        // counts for no batch, so the correct replicas' shares alone must make nf.
        if (tag == PeerTag::delivery && wire.size() > 22) wire[22] ^= 0x5a;
        // A batch whose last client signature it forged, vouched for as its witness: f + 1
        // witnesses are needed, so correct replicas check it themselves and refuse it.
        if (tag == PeerTag::forward && wire.size() > 2) {
          wire.back() ^= 0x5a;
          const Hash32 d = replica::batch_digest(ByteView(wire).subspan(1));
          replica::WitnessMsg m{n.id, d, keys.signer(n.id)->sign(replica::witness_statement(n.id, d))};
          net_send(n.id, to, wire);
          wire = replica::encode_witness(m);
        }
        break;
      case Fault::bad_sig:
        if ((tag == PeerTag::share || tag == PeerTag::consensus || tag == PeerTag::state_resp || tag == PeerTag::witness ||
             tag == PeerTag::blocks_resp || tag == PeerTag::status) &&
            wire.size() > 1 && rng.chance(0.5)) {
          const size_t tail = std::min<size_t>(wire.size() - 1, 64);
          wire[wire.size() - 1 - rng.below(tail)] ^= static_cast<uint8_t>(1 + rng.below(255));
        }
        break;
      default:
        break;
    }
  }
  if (n.adv && static_cast<PeerTag>(wire[0]) == PeerTag::consensus)
    return n.adv->outgoing(to, Bytes(wire.begin() + 1, wire.end()));
  net_send(n.id, to, std::move(wire));
}

void World::reply_send(SimReplica& from, replica::SinkId to, ByteView frame) {
  Node& n = from.node;
  if (!n.up) return;
  uint32_t addr = 0;
  if (to < clients_.size()) {
    addr = cfg.n() + static_cast<uint32_t>(to);
  } else if (brokers_ && to >= kBrokerSinkBase && to - kBrokerSinkBase < brokers_->size()) {
    addr = brokers_->address(static_cast<uint32_t>(to - kBrokerSinkBase));  // a broker's connection
  } else {
    return;
  }
  Bytes f(frame.begin(), frame.end());
  if (n.byzantine && n.behaviour == Fault::lie && f.size() > 40) f[40] ^= 0x5a;  // a plausible lie
  if (n.byzantine && n.behaviour == Fault::silent) return;
  net_send(n.id, addr, std::move(f));
}

// A share that left a replica over (view, k, block hash), if it verifies: with nf of them a
// group signature exists that any client could hold, so the checker treats it as accepted.
void World::note_share(uint32_t from, ByteView body) {
  auto s = replica::decode_share(body);
  if (!s) return;
  if (!keys.threshold_verifier().verify_share(from, ledger::proof_message(s->view, s->k, s->hash), s->share)) return;
  auto& signers = shares_[{s->k, s->hash, s->view}];
  if (!signers.insert(from).second || signers.size() < cfg.nf()) return;
  if (!proofs_seen_.insert({s->k, s->hash}).second) return;
  auto root = root_of_block_.find(s->hash);
  if (root != root_of_block_.end()) checker.on_proof(s->k, root->second, s->view);
  if (crash_all_armed_) {
    Event c = *crash_all_armed_;
    c.d = 2;
    schedule(now_ + 1, std::move(c));  // before any sync requested now completes (>= 100 us)
  }
}

void World::net_send(uint32_t from, uint32_t to, Bytes payload) {
  const uint32_t n = cfg.n();
  if (from < n && to < n && !payload.empty() && payload[0] == static_cast<uint8_t>(PeerTag::share))
    note_share(from, ByteView(payload).subspan(1));
  res.messages++;
  const bool faulty_net = in_fault_phase();
  if (faulty_net) {
    if (!side_.empty() && from < n && to < n && side_[from] != side_[to]) return;
    const bool peers = from < n && to < n;
    const bool consensus = peers && !payload.empty() && payload[0] == static_cast<uint8_t>(PeerTag::consensus);
    const ByteView body = consensus ? ByteView(payload).subspan(1) : ByteView();
    if (consensus && o.faults.has(Fault::selective) && inspector_) {
      // The network delivers a certificate (PoE CERTIFY, PBFT COMMIT) to whom the adversary
      // chose, often a single replica: one alone holding it is what a view change can miss.
      const auto info = inspector_->inspect(body);
      if (info.kind == detail::Adversary::Protocol::Kind::certificate) {
        auto [it, fresh] = cert_audience_.try_emplace({from, info.view, info.k});
        if (fresh) {
          const double p = rng.chance(0.5) ? 1.0 / n : 0.7;
          for (uint32_t i = 0; i < n; ++i)
            if (rng.chance(p)) it->second.insert(i);
        }
        if (!it->second.count(to)) return;
      }
    }
    if (!cut_.empty() && peers && cut_[from] != cut_[to]) {
      // The view's cut: only view-change messages cross it, and only some of them (an isolated
      // replica may still help make a view it takes no other part in).
      const bool vc = consensus && inspector_ &&
                      inspector_->inspect(body).kind == detail::Adversary::Protocol::Kind::view_change;
      if (!vc || rng.chance(0.5)) return;
    }
    if (o.faults.has(Fault::loss) && rng.chance(0.05)) return;
  }
  uint64_t delay = rng.range(500, 3000);
  if (faulty_net && o.faults.has(Fault::reorder)) delay += rng.range(0, 30 * kMs);
  if (faulty_net && o.faults.has(Fault::delay) && rng.chance(0.05)) delay += rng.range(50, 500) * kMs;
  Event e;
  e.type = Ev::deliver;
  e.a = from;
  e.b = to;
  e.payload = std::move(payload);
  if (faulty_net && o.faults.has(Fault::duplicate) && rng.chance(0.05)) {
    Event dup = e;
    schedule(now_ + delay + rng.range(0, 20 * kMs), std::move(dup));
  }
  schedule(now_ + delay, std::move(e));
}

SimReplica* World::route(Node& n, uint32_t from) {
  if (n.inst.empty()) return nullptr;
  if (from >= cfg.n()) {
    // A client's request: both twins hear it, but the second only now and then, so the two
    // form different batches (equivocation material).
    if (n.inst.size() > 1 && rng.chance(0.5)) return n.inst[1].get();
    return n.inst[0].get();
  }
  for (auto& in : n.inst)
    if (in->talks_to(from)) return in.get();
  return nullptr;
}

void World::deliver(const Event& e) {
  const uint32_t n = cfg.n();
  if (e.b >= n) {
    if (e.b - n < clients_.size()) deliver_to_client(clients_[e.b - n], e.payload);
    else if (brokers_ && e.b - n - clients_.size() < brokers_->size())
      brokers_->on_frame(static_cast<uint32_t>(e.b - n - clients_.size()), e.payload);
    return;
  }
  Node& node = nodes[e.b];
  if (!node.up || !adversary_lets_in(node, e.a, e.payload)) return;
  SimReplica* in = route(node, e.a);
  if (!in || !in->core) return;
  if (e.a >= n && e.a - n >= clients_.size()) {
    // A broker's batch, on its own connection (the principal of its key names it).
    const auto b = static_cast<uint32_t>(e.a - n - clients_.size());
    const bool accepted = in->core->on_client_frame(kBrokerSinkBase + b, brokers_->principal(b), e.payload);
    brokers_->handed(b, node.id, e.payload, accepted, !node.byzantine);
    return;
  }
  if (e.a >= n) {
    const Client& c = clients_[e.a - n];
    in->core->on_client_frame(c.index, replica::Principal{c.id, false}, e.payload);
    return;
  }
  in->core->on_peer(e.a, e.payload);
}

}  // namespace rampart::sim::core
