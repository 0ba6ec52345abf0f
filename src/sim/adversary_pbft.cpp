// The adversary's PBFT half: reads PBFT messages and forges validly signed ones with the
// Byzantine replica's own key (adversary_protocol.hpp).
#include <algorithm>
#include <map>

#include "consensus/pbft/certificates.hpp"
#include "consensus/pbft/messages.hpp"
#include "sim/adversary_protocol.hpp"

namespace rampart::sim::detail {
namespace {

using consensus::NodeId;
using consensus::Seq;
using consensus::View;
namespace pbft = consensus::pbft;

class PbftTactics final : public Adversary::Protocol {
 public:
  using Protocol::Protocol;

  Info inspect(ByteView msg) const override {
    auto t = pbft::peek_type(msg);
    if (!t) return {};
    switch (*t) {
      case pbft::MsgType::pre_prepare:
        if (auto m = pbft::decode_pre_prepare(msg)) return {Kind::proposal, m->view, m->seq};
        break;
      case pbft::MsgType::prepare:
      case pbft::MsgType::commit:
        if (auto m = pbft::decode_vote(msg))
          return {m->type == pbft::MsgType::commit ? Kind::certificate : Kind::support, m->view, m->seq};
        break;
      case pbft::MsgType::checkpoint:
        if (auto m = pbft::decode_checkpoint(msg)) return {Kind::checkpoint, 0, m->seq};
        break;
      case pbft::MsgType::view_change:
        if (auto m = pbft::decode_view_change(msg)) return {Kind::view_change, m->new_view > 0 ? m->new_view - 1 : 0, 0};
        break;
      case pbft::MsgType::new_view:
        if (auto m = pbft::decode_new_view(msg)) return {Kind::new_view, m->view, 0};
        break;
      default:
        break;
    }
    return {};
  }

  void observe(NodeId from, ByteView msg) override {
    auto t = pbft::peek_type(msg);
    if (!t || *t != pbft::MsgType::view_change) return;
    auto m = pbft::decode_view_change(msg);
    if (!m || m->replica != from) return;
    requests_[m->new_view][from] = Bytes(msg.begin(), msg.end());
    while (requests_.size() > 8) requests_.erase(requests_.begin());
    for (const auto& p : m->prepared) {
      auto& list = prepared_[p.seq];
      if (list.size() < 4) list.push_back(p);
    }
    while (prepared_.size() > 4 * cfg_.window) prepared_.erase(prepared_.begin());
  }

  std::optional<Bytes> strip(ByteView request) override {
    auto m = pbft::decode_view_change(request);
    if (!m) return std::nullopt;
    std::vector<pbft::PreparedCert> kept;
    for (auto& p : m->prepared) {
      if (rng_.chance(0.4)) continue;  // left out
      if (rng_.chance(0.4)) {
        // A stale prepared certificate for the same seq (an earlier view's), if one was seen.
        auto it = prepared_.find(p.seq);
        if (it != prepared_.end()) {
          for (const auto& old : it->second) {
            if (old.view < p.view) {
              p = old;
              break;
            }
          }
        }
      }
      kept.push_back(std::move(p));
    }
    m->prepared = std::move(kept);
    return pbft::encode_view_change(*m, signer_);
  }

  std::optional<Bytes> pick_nv(ByteView new_view, NodeId to) override {
    (void)to;
    auto nv = pbft::decode_new_view(new_view);
    if (!nv || cfg_.primary_of(nv->view) != cfg_.self) return std::nullopt;  // only our own NEW-VIEW
    std::map<NodeId, std::pair<pbft::ViewChange, Bytes>> pool;
    auto add = [&](const Bytes& wire) {
      auto m = pbft::decode_view_change(wire);
      if (m && m->new_view == nv->view && pbft::check_view_change(cfg_, verifier(), *m, wire).ok())
        pool.emplace(m->replica, std::make_pair(std::move(*m), wire));
    };
    for (const auto& w : nv->view_changes) add(w);
    for (const auto& [sender, wire] : requests_[nv->view]) add(wire);
    if (pool.size() < cfg_.nf()) return std::nullopt;
    std::vector<std::pair<std::pair<View, size_t>, NodeId>> scored;
    for (const auto& [id, vc] : pool) {
      View top = 0;
      for (const auto& p : vc.first.prepared) top = std::max(top, p.view);
      scored.push_back({{top, vc.first.prepared.size()}, id});
    }
    if (rng_.chance(0.5)) {
      std::sort(scored.begin(), scored.end());
    } else {
      for (size_t i = scored.size(); i > 1; --i) std::swap(scored[i - 1], scored[rng_.below(i)]);
    }
    pbft::NewView out;
    out.view = nv->view;
    std::vector<pbft::ViewChange> chosen;
    for (size_t i = 0; i < cfg_.nf(); ++i) {
      const auto& vc = pool.at(scored[i].second);
      chosen.push_back(vc.first);
      out.view_changes.push_back(vc.second);
    }
    pbft::NewViewPlan plan = pbft::compute_new_view(chosen);
    for (const auto& e : plan.entries)
      out.entries.push_back({e.seq, e.digest, signer_.sign(pbft::pre_prepare_body(nv->view, e.seq, e.digest))});
    return pbft::encode_new_view(out, signer_);
  }

  Bytes lone_vc(View target) override {
    pbft::ViewChange m;
    m.new_view = target;
    m.replica = cfg_.self;
    return pbft::encode_view_change(m, signer_);
  }

  std::vector<std::pair<NodeId, Bytes>> false_votes(View v) override {
    std::vector<std::pair<NodeId, Bytes>> out;
    const Seq K = std::max<Seq>(cfg_.checkpoint_interval, 1);
    const Seq k = K * rng_.range(1, std::max<Seq>(2 * cfg_.window / K, 1));
    const Hash32 other = random_hash();
    pbft::Checkpoint c{k, other, cfg_.self, signer_.sign(pbft::checkpoint_body(k, other, cfg_.self))};
    const Seq at = rng_.range(1, 2 * cfg_.window);
    const Hash32 d = random_hash();
    pbft::Vote commit{pbft::MsgType::commit, v, at, d, cfg_.self,
                      signer_.sign(pbft::vote_body(pbft::MsgType::commit, v, at, d, cfg_.self))};
    for (NodeId i = 0; i < cfg_.n; ++i) {
      out.push_back({i, pbft::encode_checkpoint(c)});
      out.push_back({i, pbft::encode_vote(commit)});
    }
    if (rng_.chance(0.3)) {
      for (NodeId i = 0; i < cfg_.n; ++i) out.push_back({i, lone_vc(v + 3)});  // far ahead
    }
    return out;
  }

  std::vector<std::pair<NodeId, Bytes>> flood(View v, const std::vector<replica::Request>&) override {
    // "I have nothing": each STATUS asks its receivers to send what we lack.
    std::vector<std::pair<NodeId, Bytes>> out;
    pbft::StatusMsg s;
    s.view = v;
    s.replica = cfg_.self;
    Bytes m = pbft::encode_status(s, signer_);
    for (int r = 0; r < 4; ++r)
      for (NodeId i = 0; i < cfg_.n; ++i) out.push_back({i, m});
    return out;
  }

  bool carries_client(ByteView, replica::ClientId) const override { return false; }

 private:
  // Checks requests we relay in our NEW-VIEW (an invalid one would only make it invalid).
  const crypto::Verifier& verifier() const { return *verifier_; }

  Hash32 random_hash() {
    Hash32 h{};
    for (auto& b : h) b = static_cast<uint8_t>(rng_.next());
    return h;
  }

  std::map<View, std::map<NodeId, Bytes>> requests_;
  std::map<Seq, std::vector<pbft::PreparedCert>> prepared_;

 public:
  const crypto::Verifier* verifier_ = nullptr;
};

}  // namespace

std::unique_ptr<Adversary::Protocol> make_pbft_tactics(const consensus::Config& cfg, const crypto::Signer& s,
                                                       const crypto::Verifier& v, Rng& rng) {
  auto t = std::make_unique<PbftTactics>(cfg, s, rng);
  t->verifier_ = &v;
  return t;
}

}  // namespace rampart::sim::detail
