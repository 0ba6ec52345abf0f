// Liveness under message loss. On the retransmit timer a replica re-broadcasts its own
// messages for work it has not committed, its VIEW-CHANGE while a view change runs, and a
// STATUS. A peer answers a STATUS with what the sender misses: the NEW-VIEW of a later view,
// a stable-checkpoint proof, and commit certificates (CATCHUP) for batches it has not executed.
// Everything relayed is self-certifying, so a relay needs no trust.
#include "consensus/pbft/digest.hpp"
#include "consensus/pbft/replica.hpp"

namespace rampart::consensus::pbft {

void PbftReplica::on_retransmit() {
  StatusMsg st{view_, in_vc_, vc_target_, low_, last_exec_, cfg_.self, {}, 0};
  env_.broadcast(encode_status(st, *crypto_.signer));
  if (in_vc_) {
    if (!own_vc_wire_.empty()) env_.broadcast(own_vc_wire_);
  } else {
    bool primary = is_primary();
    for (auto it = slots_.upper_bound(last_exec_); it != slots_.end(); ++it) {
      const Slot& s = it->second;
      if (!s.has_pp || s.ccert) continue;
      Seq n = it->first;
      if (primary && s.batch) env_.broadcast(encode_pre_prepare({view_, n, s.digest, s.pp_sig, *s.batch}));
      if (s.sent_prepare)
        env_.broadcast(encode_vote({MsgType::prepare, view_, n, s.digest, cfg_.self, s.prepares.at(cfg_.self).sig}));
      if (s.sent_commit)
        env_.broadcast(encode_vote({MsgType::commit, view_, n, s.digest, cfg_.self, s.commits.at(cfg_.self).sig}));
    }
    // Our unstable checkpoints, in case peers missed them.
    for (auto it = own_ckpt_.upper_bound(low_); it != own_ckpt_.end(); ++it) {
      auto v = ckpt_votes_.find(it->first);
      if (v == ckpt_votes_.end() || !v->second.count(cfg_.self)) continue;
      env_.broadcast(encode_checkpoint({it->first, it->second, cfg_.self, v->second.at(cfg_.self).sig}));
    }
  }
  // Stuck below the stable checkpoint for whole periods: peers may have pruned the batches
  // we miss; ask the replica layer for the state (once per checkpoint).
  stuck_rounds_ = (last_exec_ < low_ && last_exec_ == exec_at_last_rt_) ? stuck_rounds_ + 1 : 0;
  // Peers keep one window of certificates below their stable checkpoint (>= ours): a gap of a
  // window or more cannot be bridged by CATCHUP; a smaller one usually can, so wait longer
  // before asking (a transfer that lands after we caught up makes the Env rewind us).
  bool pruned = low_ - last_exec_ >= cfg_.window;
  if (last_exec_ < low_ && stuck_rounds_ >= (pruned ? 2u : 8u) && transfer_requested_ < low_) {
    transfer_requested_ = low_;
    env_.need_state_transfer(low_, stable_proof_.state);
  }
  exec_at_last_rt_ = last_exec_;
}

const PbftReplica::CCert* PbftReplica::find_commit_cert(Seq k) const {
  if (auto it = slots_.find(k); it != slots_.end() && it->second.ccert) return &*it->second.ccert;
  if (auto it = retained_.find(k); it != retained_.end()) return &it->second;
  return nullptr;
}

void PbftReplica::handle_status(NodeId from, ByteView msg) {
  auto m = decode_status(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->replica != from) return reject(Reject::wrong_sender);
  if (!crypto_.verifier->verify(from, msg.subspan(0, m->signed_len), m->sig))
    return reject(Reject::bad_signature);
  peer_exec_[from] = m->last_executed;
  // Behind in views (or waiting for the NEW-VIEW of a view we already run).
  if (!in_vc_ && !nv_wire_.empty() && (m->view < view_ || (m->in_view_change && m->target <= view_)))
    env_.send(from, nv_wire_);
  if (m->stable < low_) {
    StableProof p{cfg_.self, stable_proof_, {}, 0};
    env_.send(from, encode_stable_proof(p, *crypto_.signer));
  }
  // Commit certificates for what the peer has not executed, up to one window ahead of it.
  for (Seq k = m->last_executed + 1; k <= m->last_executed + cfg_.window; ++k) {
    const CCert* c = find_commit_cert(k);
    if (!c || !c->batch) {
      if (k > last_exec_) break;  // nothing committed beyond our own execution gap
      continue;
    }
    Catchup cu{cfg_.self, CommitCert{c->view, k, c->digest, c->pp_sig, c->commits, *c->batch}, {}, 0};
    env_.send(from, encode_catchup(cu, *crypto_.signer));
  }
}

void PbftReplica::handle_catchup(NodeId from, ByteView msg) {
  auto m = decode_catchup(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->replica != from) return reject(Reject::wrong_sender);
  if (!crypto_.verifier->verify(from, msg.subspan(0, m->signed_len), m->sig))
    return reject(Reject::bad_signature);
  Seq k = m->cert.seq;
  if (k <= last_exec_) return reject(Reject::duplicate);
  if (k > last_exec_ + cfg_.window) return reject(Reject::out_of_window);
  auto it = slots_.find(k);
  if (it != slots_.end() && it->second.ccert) {
    CCert& have = *it->second.ccert;
    if (have.digest != m->cert.digest) return reject(Reject::conflict);
    // Committed here by digest (after a NEW-VIEW) without the bytes: these are they.
    if (have.batch) return reject(Reject::duplicate);
    if (batch_digest(m->cert.batch) != have.digest) return reject(Reject::invalid);
    have.batch = std::make_shared<const Bytes>(std::move(m->cert.batch));
    if (!it->second.batch && it->second.digest == have.digest) it->second.batch = have.batch;
    return try_execute();
  }
  if (!verify_commit_cert(cfg_, *crypto_.verifier, m->cert)) return reject(Reject::bad_signature);
  CommitCert& c = m->cert;
  slots_[k].ccert = CCert{c.view, c.digest, std::make_shared<const Bytes>(std::move(c.batch)), std::move(c.pp_sig),
                          std::move(c.commits)};
  try_execute();
}

}  // namespace rampart::consensus::pbft
