// The strategic Byzantine replica: what leaves it, what it hears, what it sends on its own.
#include "sim/adversary.hpp"

#include "replica/batch.hpp"
#include "sim/adversary_protocol.hpp"

namespace rampart::sim::detail {
namespace {
constexpr size_t kHeard = 512;  // messages kept to replay
constexpr size_t kRequests = 64;
}  // namespace

Adversary::Adversary(AdversaryHost& host, const consensus::Config& cfg, const std::string& protocol,
                     std::unique_ptr<crypto::Signer> signer, const crypto::Verifier& verifier, Rng& rng,
                     const std::function<replica::ClientId()>& victim, FaultSet tactics)
    : host_(host), cfg_(cfg), rng_(rng), tactics_(tactics), signer_(std::move(signer)) {
  consensus::Config c = cfg;
  c.mac_variant = protocol == "poe-mac";
  p_ = protocol == "pbft" ? make_pbft_tactics(c, *signer_, verifier, rng) : make_poe_tactics(c, *signer_, rng);
  victim_ = victim();
}

Adversary::~Adversary() = default;

void Adversary::send(consensus::NodeId to, Bytes body) {
  if (to == cfg_.self || to >= cfg_.n) return;
  if (tactics_.has(Fault::replay) && said_.size() < kHeard) said_.push_back(body);
  host_.send_consensus(to, std::move(body));
}

void Adversary::to_all(const Bytes& body) {
  for (consensus::NodeId i = 0; i < cfg_.n; ++i) send(i, body);
}

void Adversary::outgoing(consensus::NodeId to, Bytes body) {
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
      const double p = rng_.chance(0.5) ? 1.0 / cfg_.n : 0.5;
      for (consensus::NodeId i = 0; i < cfg_.n; ++i)
        if (i != cfg_.self && rng_.chance(p)) it->second.insert(i);
    }
    if (!it->second.count(to)) return;
  }
  send(to, std::move(body));
}

bool Adversary::incoming(consensus::NodeId from, In kind, ByteView body) {
  if (kind == In::request) {
    auto r = replica::decode_request(body);
    if (r && requests_.size() < kRequests) requests_.push_back(*r);
    return !r || this->request(*r);
  }
  if (kind == In::forward && tactics_.has(Fault::censor)) return !batch_has_client(body, victim_);
  if (kind != In::consensus) return true;
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
  if (!host_.up()) return;
  if (tactics_.has(Fault::lone_vc) && rng_.chance(0.5)) to_all(p_->lone_vc(view_seen_ + 1));
  if (tactics_.has(Fault::false_votes) && rng_.chance(0.3)) {
    for (auto& [to, m] : p_->false_votes(view_seen_)) send(to, std::move(m));
  }
  if (tactics_.has(Fault::replay) && rng_.chance(0.3)) {
    // Old messages, its own or others', long after: as itself (the transport names the sender).
    for (int i = 0; i < 4; ++i) {
      if (!said_.empty() && rng_.chance(0.5)) {
        to_all(said_[rng_.below(said_.size())]);
      } else if (!heard_.empty()) {
        to_all(heard_[rng_.below(heard_.size())].second);
      }
    }
  }
  if (tactics_.has(Fault::flood)) {
    for (auto& [to, m] : p_->flood(view_seen_, requests_)) send(to, std::move(m));
    // Replica-level forwards too: batches of genuine requests the others must check.
    if (!requests_.empty()) {
      for (int i = 0; i < 4; ++i) {
        Bytes b = batch_from(requests_, rng_);
        for (consensus::NodeId to = 0; to < cfg_.n; ++to)
          if (to != cfg_.self) host_.send_forward(to, b);
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
