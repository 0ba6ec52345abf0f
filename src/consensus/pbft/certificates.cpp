#include "consensus/pbft/certificates.hpp"

#include <map>
#include <set>

#include "consensus/pbft/digest.hpp"

namespace rampart::consensus::pbft {
namespace {

// Counts distinct valid signers among `sigs` whose signing body is body_of(id); ids equal to
// `exclude` (the primary, for prepares) do not count.
template <typename BodyOf>
size_t count_valid(const Config& cfg, const crypto::Verifier& v, const std::vector<SigOf>& sigs,
                   BodyOf body_of, int64_t exclude = -1) {
  std::set<NodeId> seen;
  for (const auto& s : sigs) {
    if (s.id >= cfg.n || static_cast<int64_t>(s.id) == exclude || seen.count(s.id)) continue;
    if (!v.verify(s.id, body_of(s.id), s.sig)) continue;
    seen.insert(s.id);
  }
  return seen.size();
}

}  // namespace

bool verify_checkpoint_proof(const Config& cfg, const crypto::Verifier& v, const CheckpointProof& p) {
  if (p.seq == 0) return true;
  if (cfg.checkpoint_interval == 0 || p.seq % cfg.checkpoint_interval != 0) return false;
  size_t ok = count_valid(cfg, v, p.sigs, [&](NodeId id) { return checkpoint_body(p.seq, p.state, id); });
  return ok >= cfg.nf();
}

bool verify_prepared(const Config& cfg, const crypto::Verifier& v, const PreparedCert& c) {
  NodeId primary = cfg.primary_of(c.view);
  if (!v.verify(primary, pre_prepare_body(c.view, c.seq, c.digest), c.pp_sig)) return false;
  size_t ok = count_valid(
      cfg, v, c.prepares,
      [&](NodeId id) { return vote_body(MsgType::prepare, c.view, c.seq, c.digest, id); }, primary);
  return ok >= 2 * static_cast<size_t>(cfg.f);
}

bool verify_commit_cert(const Config& cfg, const crypto::Verifier& v, const CommitCert& c) {
  if (batch_digest(c.batch) != c.digest) return false;
  if (!v.verify(cfg.primary_of(c.view), pre_prepare_body(c.view, c.seq, c.digest), c.pp_sig)) return false;
  size_t ok = count_valid(cfg, v, c.commits, [&](NodeId id) {
    return vote_body(MsgType::commit, c.view, c.seq, c.digest, id);
  });
  return ok >= cfg.nf();
}

Status check_view_change(const Config& cfg, const crypto::Verifier& v, const ViewChange& m,
                         ByteView wire) {
  if (m.replica >= cfg.n) return err("view-change from unknown replica");
  if (m.signed_len > wire.size() || !v.verify(m.replica, wire.subspan(0, m.signed_len), m.sig))
    return err("view-change: bad signature");
  if (!verify_checkpoint_proof(cfg, v, m.stable)) return err("view-change: bad checkpoint proof");
  std::set<Seq> seqs;
  for (const auto& c : m.prepared) {
    if (c.seq <= m.stable.seq || c.seq > m.stable.seq + cfg.window)
      return err("view-change: prepared seq outside the window");
    if (c.view >= m.new_view) return err("view-change: prepared in a view not below the new one");
    if (!seqs.insert(c.seq).second) return err("view-change: two certificates for one seq");
    if (!verify_prepared(cfg, v, c)) return err("view-change: bad prepared certificate");
  }
  return {};
}

NewViewPlan compute_new_view(const std::vector<ViewChange>& vcs) {
  NewViewPlan plan;
  for (const auto& vc : vcs)
    if (vc.stable.seq > plan.stable.seq) plan.stable = vc.stable;
  Seq min_s = plan.stable.seq;
  // Highest-view certificate per seq above min-s. Two certificates of one view for one seq
  // name the same batch (their prepare quorums meet in a correct replica), so ties are moot.
  std::map<Seq, const PreparedCert*> best;
  for (const auto& vc : vcs)
    for (const auto& c : vc.prepared) {
      if (c.seq <= min_s) continue;
      auto it = best.find(c.seq);
      if (it == best.end() || c.view > it->second->view) best[c.seq] = &c;
    }
  // One batch, one seq: a batch prepared at one seq in an old view and re-proposed at another
  // in a later view (its first prepare never became committed) would otherwise be ordered twice.
  // Null the occurrences of a view strictly below the batch's highest one. If the batch was
  // committed at n1 in view v1, no certificate for it at another seq can have a view > v1:
  // correct backups of such a view hold it at n1 and refuse a second seq. Two certificates of
  // one view are both kept: a faulty primary can get one batch prepared at two seqs of its view
  // (each set of 2f prepares may meet the other only in faulty replicas), either may be the
  // committed one, and ordering a batch twice is harmless (requests are deduplicated after
  // ordering); nulling the higher seq on such a tie dropped a committed batch.
  plan.max_seq = best.empty() ? min_s : best.rbegin()->first;
  std::map<Hash32, View> top;
  for (const auto& [seq, c] : best) {
    if (c->digest == null_digest()) continue;  // null requests may repeat
    auto it = top.find(c->digest);
    if (it == top.end() || c->view > it->second) top[c->digest] = c->view;
  }
  for (auto it = best.begin(); it != best.end();) {
    auto t = top.find(it->second->digest);
    it = (t != top.end() && it->second->view < t->second) ? best.erase(it) : std::next(it);
  }
  for (Seq s = min_s + 1; s <= plan.max_seq; ++s) {
    PlannedSlot slot;
    slot.seq = s;
    auto it = best.find(s);
    if (it != best.end()) {
      slot.digest = it->second->digest;
    } else {
      slot.digest = null_digest();
    }
    plan.entries.push_back(std::move(slot));
  }
  return plan;
}

}  // namespace rampart::consensus::pbft
