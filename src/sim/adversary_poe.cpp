// The adversary's PoE half: reads PoE messages and forges validly signed ones with the Byzantine
// replica's own key (adversary_protocol.hpp).
#include <algorithm>
#include <map>

#include "consensus/poe/messages.hpp"
#include "sim/adversary_protocol.hpp"

namespace rampart::sim::detail {
namespace {

using consensus::NodeId;
using consensus::Seq;
using consensus::View;
namespace poe = consensus::poe;

class PoeTactics final : public Adversary::Protocol {
 public:
  PoeTactics(const consensus::Config& cfg, const crypto::Signer& s, Rng& rng)
      : Protocol(cfg, s, rng), limits_(poe::limits_for(cfg)) {}

  Info inspect(ByteView msg) const override {
    auto t = poe::peek_type(msg);
    if (!t) return {};
    switch (*t) {
      case poe::MsgType::propose:
        if (auto m = poe::decode_propose(msg, limits_)) return {Kind::proposal, m->v, m->k};
        break;
      case poe::MsgType::support:
        if (auto m = poe::decode_support(msg, limits_)) return {Kind::support, m->v, m->k};
        break;
      case poe::MsgType::certify:
        if (auto m = poe::decode_certify(msg, limits_)) return {Kind::certificate, m->v, m->k};
        break;
      case poe::MsgType::checkpoint:
        if (auto m = poe::decode_checkpoint(msg, limits_)) return {Kind::checkpoint, m->v, m->k};
        break;
      case poe::MsgType::vc_request:
        if (auto m = poe::decode_vc_request(msg, limits_)) return {Kind::view_change, m->new_view > 0 ? m->new_view - 1 : 0, 0};
        break;
      case poe::MsgType::nv_propose:
        if (auto m = poe::decode_nv_propose(msg, limits_)) return {Kind::new_view, m->v, 0};
        break;
      case poe::MsgType::forward:
        return {Kind::forward, 0, 0};
      default:
        break;
    }
    return {};
  }

  void observe(NodeId from, ByteView msg) override {
    auto t = poe::peek_type(msg);
    if (!t) return;
    if (*t == poe::MsgType::vc_request) {
      auto m = poe::decode_vc_request(msg, limits_);
      if (!m || m->sender != from) return;
      requests_[m->new_view][from] = Bytes(msg.begin(), msg.end());
      while (requests_.size() > 8) requests_.erase(requests_.begin());
      for (const auto& e : m->entries) archive(e.k, e.v, e.digest, e.cert);
    } else if (*t == poe::MsgType::certify) {
      if (auto m = poe::decode_certify(msg, limits_)) archive(m->k, m->v, m->digest, {m->group_sig, m->sigs});
    }
  }

  std::optional<Bytes> strip(ByteView request) override {
    auto r = poe::decode_vc_request(request, limits_);
    if (!r) return std::nullopt;
    std::vector<poe::CommittedEntry> kept;
    for (auto& e : r->entries) {
      if (rng_.chance(0.4)) continue;  // left out
      if (rng_.chance(0.4)) {
        // A stale certificate for the same k (an earlier view's), if one was seen.
        auto it = certs_.find(e.k);
        if (it != certs_.end()) {
          for (const auto& old : it->second) {
            if (old.v < e.v) {
              e.v = old.v;
              e.digest = old.digest;
              e.cert = old.cert;
              break;
            }
          }
        }
      }
      kept.push_back(std::move(e));
    }
    r->entries = std::move(kept);
    return sign(*r);
  }

  std::optional<Bytes> pick_nv(ByteView new_view, NodeId to) override {
    (void)to;  // each recipient gets its own draw
    auto nv = poe::decode_nv_propose(new_view, limits_);
    if (!nv) return std::nullopt;
    std::map<NodeId, Bytes> pool;
    for (const auto& q : nv->requests) {
      if (auto r = poe::decode_vc_request(q, limits_)) pool.emplace(r->sender, q);
    }
    for (const auto& [sender, raw] : requests_[nv->v]) pool.emplace(sender, raw);
    if (pool.size() < cfg_.nf()) return std::nullopt;
    // Most hostile: the requests reporting the least (fewest certificates, of the lowest views),
    // so the new view keeps as little as any valid set allows; or, half the time, a random set.
    std::vector<std::pair<std::pair<View, size_t>, Bytes>> scored;
    for (auto& [sender, raw] : pool) {
      auto r = poe::decode_vc_request(raw, limits_);
      View top = 0;
      for (const auto& e : r->entries) top = std::max(top, e.v);
      scored.push_back({{top, r->entries.size()}, raw});
    }
    if (rng_.chance(0.5)) {
      std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    } else {
      for (size_t i = scored.size(); i > 1; --i) std::swap(scored[i - 1], scored[rng_.below(i)]);
    }
    poe::NvPropose out{nv->v, {}};
    for (size_t i = 0; i < cfg_.nf(); ++i) out.requests.push_back(scored[i].second);
    return poe::encode(out);
  }

  Bytes lone_vc(View target) override {
    poe::VcRequest r;
    r.new_view = target;
    r.sender = cfg_.self;
    return sign(r);
  }

  std::vector<std::pair<NodeId, Bytes>> false_votes(View v) override {
    std::vector<std::pair<NodeId, Bytes>> out;
    const Seq K = std::max<Seq>(cfg_.checkpoint_interval, 1);
    const Seq k = K * rng_.range(1, std::max<Seq>(4 * cfg_.window / K, 1));
    const Hash32 other = random_hash();
    poe::Checkpoint c{v, k, other, signer_.sign(poe::checkpoint_statement(v, k, other))};
    const Seq at = rng_.range(1, 4 * cfg_.window);
    const Hash32 d = random_hash();
    // A vote for a digest nobody proposed: an ordinary signature (valid in the MAC variant, a
    // well-formed bad share in the threshold one).
    poe::Support s{v, at, d, signer_.sign(poe::support_statement(v, at, d))};
    poe::Stable st{k, v, other, {{cfg_.self, c.sig}}};  // a proof with too few signatures
    for (NodeId i = 0; i < cfg_.n; ++i) {
      out.push_back({i, poe::encode(c)});
      out.push_back({i, poe::encode(s)});
      if (rng_.chance(0.3)) out.push_back({i, poe::encode(st)});
    }
    if (rng_.chance(0.3)) {
      for (NodeId i = 0; i < cfg_.n; ++i) out.push_back({i, lone_vc(v + 3)});  // far ahead
    }
    return out;
  }

  std::vector<std::pair<NodeId, Bytes>> flood(View v, const std::vector<replica::Request>& seen) override {
    std::vector<std::pair<NodeId, Bytes>> out;
    const NodeId p = cfg_.primary_of(v);
    if (!seen.empty()) {
      for (int i = 0; i < 8; ++i) out.push_back({p, poe::encode(poe::Forward{batch_from(seen, rng_)})});
    }
    for (int i = 0; i < 4; ++i) out.push_back({p, poe::encode(poe::Fetch{v, rng_.range(1, 4 * cfg_.window)})});
    poe::Want want;
    for (int i = 0; i < 8; ++i) want.digests.push_back(random_hash());
    for (NodeId i = 0; i < cfg_.n; ++i) out.push_back({i, poe::encode(want)});
    return out;
  }

  bool carries_client(ByteView msg, replica::ClientId c) const override {
    auto t = poe::peek_type(msg);
    if (t == poe::MsgType::forward) {
      auto m = poe::decode_forward(msg, limits_);
      return m && batch_has_client(m->batch, c);
    }
    return false;
  }

 private:
  struct Cert {
    View v;
    Hash32 digest;
    poe::Certificate cert;
  };

  void archive(Seq k, View v, const Hash32& d, poe::Certificate cert) {
    auto& list = certs_[k];
    for (const auto& c : list)
      if (c.v == v && c.digest == d) return;
    if (list.size() < 4) list.push_back({v, d, std::move(cert)});
    while (certs_.size() > 4 * cfg_.window) certs_.erase(certs_.begin());
  }

  Bytes sign(poe::VcRequest& r) {
    r.body = poe::vc_body(r);
    r.sig = signer_.sign(poe::vc_statement(r.body));
    return poe::encode(r);
  }

  Hash32 random_hash() {
    Hash32 h{};
    for (auto& b : h) b = static_cast<uint8_t>(rng_.next());
    return h;
  }

  poe::Limits limits_;
  std::map<View, std::map<NodeId, Bytes>> requests_;  // valid-looking VC-REQUESTs seen, by view
  std::map<Seq, std::vector<Cert>> certs_;            // certificates seen, for stale reports
};

}  // namespace

std::unique_ptr<Adversary::Protocol> make_poe_tactics(const consensus::Config& cfg, const crypto::Signer& s, Rng& rng) {
  return std::make_unique<PoeTactics>(cfg, s, rng);
}

}  // namespace rampart::sim::detail
