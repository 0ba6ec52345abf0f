// The strategic Byzantine replica: what leaves it, what it hears, what it sends on its own.
#include "sim/adversary.hpp"

#include "replica/batch.hpp"
#include "sim/adversary_protocol.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {
namespace {
constexpr size_t kHeard = 512;  // messages kept to replay
constexpr size_t kRequests = 64;
}  // namespace

Adversary::Adversary(World& w, Node& n, FaultSet tactics)
    : w_(w), n_(n), tactics_(tactics), signer_(w.keys.signer(n.id)) {
  consensus::Config c = w.cfg;
  c.self = n.id;
  c.mac_variant = w.o.protocol == "poe-mac";
  p_ = w.o.protocol == "pbft" ? make_pbft_tactics(c, *signer_, w.keys.verifier(), w.rng)
                              : make_poe_tactics(c, *signer_, w.rng);
  victim_ = w.rng.below(std::max<uint32_t>(w.o.clients, 1));
}

Adversary::~Adversary() = default;

void Adversary::send(consensus::NodeId to, Bytes body) {
  if (to == n_.id || to >= w_.cfg.n) return;
  if (tactics_.has(Fault::replay) && said_.size() < kHeard) said_.push_back(body);
  w_.net_send(n_.id, to, Tag::consensus, std::move(body));
}

void Adversary::to_all(const Bytes& body) {
  for (consensus::NodeId i = 0; i < w_.cfg.n; ++i) send(i, body);
}

void Adversary::outgoing(Instance& from, consensus::NodeId to, Bytes body) {
  (void)from;
  const Protocol::Info info = p_->inspect(body);
  view_seen_ = std::max(view_seen_, info.view);
  using K = Protocol::Kind;
  if (tactics_.has(Fault::strip) && info.kind == K::view_change) {
    if (auto s = p_->strip(body)) body = std::move(*s);
  }
  if (tactics_.has(Fault::pick_nv) && info.kind == K::new_view) {
    if (auto s = p_->pick_nv(body, to)) body = std::move(*s);
  }
  if (tactics_.has(Fault::selective) &&
      (info.kind == K::proposal || info.kind == K::certificate || info.kind == K::support)) {
    // One audience per message, drawn the first time it goes out: a CERTIFY (PBFT: COMMIT) or a
    // proposal that reaches some replicas and never the others, whatever they ask.
    auto key = std::make_tuple(static_cast<uint8_t>(info.kind), info.view, info.k);
    auto [it, fresh] = audience_.try_emplace(key);
    if (fresh) {
      // Often a single replica: a certificate only one correct replica holds is what a later
      // view change can leave out.
      const double p = w_.rng.chance(0.5) ? 1.0 / w_.cfg.n : 0.5;
      for (consensus::NodeId i = 0; i < w_.cfg.n; ++i)
        if (i != n_.id && w_.rng.chance(p)) it->second.insert(i);
    }
    if (!it->second.count(to)) return;
  }
  send(to, std::move(body));
}

bool Adversary::incoming(consensus::NodeId from, Tag tag, ByteView body) {
  if (tag == Tag::request) {
    auto r = replica::decode_request(body);
    if (r && requests_.size() < kRequests) requests_.push_back(*r);
    return !r || this->request(*r);
  }
  if (tag == Tag::forward && tactics_.has(Fault::censor)) return !batch_has_client(body, victim_);
  if (tag != Tag::consensus) return true;
  const Protocol::Info info = p_->inspect(body);
  view_seen_ = std::max(view_seen_, info.view);
  p_->observe(from, body);
  if (tactics_.has(Fault::replay)) {
    if (heard_.size() >= kHeard) heard_.pop_front();
    heard_.emplace_back(from, Bytes(body.begin(), body.end()));
  }
  if (tactics_.has(Fault::censor) && p_->carries_client(body, victim_)) return false;
  return true;
}

bool Adversary::request(const replica::Request& r) const {
  return !(tactics_.has(Fault::censor) && r.client == victim_);
}

void Adversary::tick() {
  if (!n_.up) return;
  if (tactics_.has(Fault::lone_vc) && w_.rng.chance(0.5)) to_all(p_->lone_vc(view_seen_ + 1));
  if (tactics_.has(Fault::false_votes) && w_.rng.chance(0.3)) {
    for (auto& [to, m] : p_->false_votes(view_seen_)) send(to, std::move(m));
  }
  if (tactics_.has(Fault::replay) && w_.rng.chance(0.3)) {
    // Old messages, its own or others', long after: as itself (the transport names the sender).
    for (int i = 0; i < 4; ++i) {
      if (!said_.empty() && w_.rng.chance(0.5)) {
        to_all(said_[w_.rng.below(said_.size())]);
      } else if (!heard_.empty()) {
        to_all(heard_[w_.rng.below(heard_.size())].second);
      }
    }
  }
  if (tactics_.has(Fault::flood)) {
    for (auto& [to, m] : p_->flood(view_seen_, requests_)) send(to, std::move(m));
    // Replica-level forwards too: batches of genuine requests the others must check.
    if (!requests_.empty()) {
      for (int i = 0; i < 4; ++i) {
        Bytes b = batch_from(requests_, w_.rng);
        for (consensus::NodeId to = 0; to < w_.cfg.n; ++to)
          if (to != n_.id) w_.net_send(n_.id, to, Tag::forward, b);
      }
    }
  }
}

Bytes batch_from(const std::vector<replica::Request>& seen, Rng& rng) {
  replica::Batch b;
  for (const auto& r : seen)
    if (rng.chance(0.5)) b.requests.push_back(r);
  if (b.requests.empty() && !seen.empty()) b.requests.push_back(seen[rng.below(seen.size())]);
  return replica::encode_batch(b);
}

bool batch_has_client(ByteView batch, replica::ClientId c) {
  auto b = replica::decode_batch(batch);
  if (!b) return false;
  for (const auto& r : b->requests)
    if (r.client == c) return true;
  return false;
}

}  // namespace rampart::sim::detail
