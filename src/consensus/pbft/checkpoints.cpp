// Checkpoints: every checkpoint_interval batches a replica signs CHECKPOINT(k, digest), where the
// digest is the ledger head at k (ExecResult::head, called `state` in the messages: it binds the
// history that produced the state, not only the state); nf matching ones make k stable, move the
// low watermark to k and garbage-collect below it.
#include <algorithm>

#include "consensus/pbft/replica.hpp"

namespace rampart::consensus::pbft {

void PbftReplica::after_execute(Seq k, const Hash32& state) {
  if (k % cfg_.checkpoint_interval != 0) return;
  own_ckpt_[k] = state;
  if (k == low_) {
    // We adopted a stable checkpoint at k before reaching it (we lagged); now we did.
    if (state == stable_proof_.state) {
      report_stable(k, state);
    } else if (transfer_requested_ < k) {
      transfer_requested_ = k;  // our state diverged from what nf replicas signed
      env_.need_state_transfer(k, stable_proof_.state);
    }
    return;
  }
  if (k < low_) return;  // catching up below the stable checkpoint: nothing to sign
  if (k > proven_) {
    unsigned_ckpt_[k] = state;  // signed once its batches are proven (on_proven)
    return;
  }
  sign_checkpoint(k, state);
}

void PbftReplica::sign_checkpoint(Seq k, const Hash32& state) {
  Checkpoint c{k, state, cfg_.self, {}};
  c.sig = crypto_.signer->sign(checkpoint_body(k, state, cfg_.self));
  ckpt_votes_[k][cfg_.self] = {state, c.sig};
  env_.broadcast(encode_checkpoint(c));
  check_stable(k);
}

void PbftReplica::on_proven(Seq k) {
  if (proven_ != ~Seq{0} && k <= proven_) return;
  proven_ = k;
  while (!unsigned_ckpt_.empty() && unsigned_ckpt_.begin()->first <= proven_) {
    auto [n, state] = *unsigned_ckpt_.begin();
    unsigned_ckpt_.erase(unsigned_ckpt_.begin());
    if (n > low_) sign_checkpoint(n, state);
  }
}

void PbftReplica::handle_checkpoint(NodeId from, ByteView msg) {
  auto m = decode_checkpoint(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->replica != from) return reject(Reject::wrong_sender);
  if (!in_window(m->seq)) return reject(Reject::out_of_window);
  if (m->seq % cfg_.checkpoint_interval != 0) return reject(Reject::invalid);
  if (!crypto_.verifier->verify(from, checkpoint_body(m->seq, m->state, from), m->sig))
    return reject(Reject::bad_signature);
  auto& votes = ckpt_votes_[m->seq];
  if (votes.count(from)) return reject(Reject::duplicate);
  votes[from] = {m->state, std::move(m->sig)};
  check_stable(m->seq);
}

void PbftReplica::handle_stable_proof(NodeId from, ByteView msg) {
  auto m = decode_stable_proof(msg);
  if (!m.ok()) return reject(Reject::decode);
  if (m->replica != from) return reject(Reject::wrong_sender);
  if (!crypto_.verifier->verify(from, msg.subspan(0, m->signed_len), m->sig))
    return reject(Reject::bad_signature);
  if (m->proof.seq <= low_) return reject(Reject::duplicate);
  if (!verify_checkpoint_proof(cfg_, *crypto_.verifier, m->proof)) return reject(Reject::bad_signature);
  adopt_stable(m->proof);
  try_execute();
}

void PbftReplica::check_stable(Seq k) {
  auto it = ckpt_votes_.find(k);
  if (it == ckpt_votes_.end() || k <= low_) return;
  std::map<Hash32, std::vector<SigOf>> by_state;
  for (const auto& [id, v] : it->second) by_state[v.digest].push_back({id, v.sig});
  for (auto& [state, sigs] : by_state)
    if (sigs.size() >= cfg_.nf()) {
      adopt_stable(CheckpointProof{k, state, std::move(sigs)});
      return;
    }
}

void PbftReplica::adopt_stable(const CheckpointProof& proof) {
  if (proof.seq <= low_) return;
  low_ = proof.seq;
  stable_proof_ = proof;
  if (last_exec_ >= low_) {
    auto own = own_ckpt_.find(low_);
    if (own != own_ckpt_.end() && own->second == proof.state) {
      report_stable(low_, proof.state);
    } else if (transfer_requested_ < low_) {
      transfer_requested_ = low_;
      env_.need_state_transfer(low_, proof.state);
    }
  }
  // Otherwise we lag: catch-up certificates bring us to low_ (after_execute then reports it),
  // or, if peers pruned what we miss, on_retransmit asks the Env for a state transfer.
  journal_stable(proof);  // the proof first: it stands for the records pruned below it
  garbage_collect();
  if (is_primary()) propose_more();  // the window moved
}

void PbftReplica::report_stable(Seq k, const Hash32& state) {
  env_.checkpoint_stable(k, state);
  if (stable_proof_.seq != k || stable_proof_.state != state) return;
  CheckpointCert cert{k, 0, state, {}};
  for (const auto& s : stable_proof_.sigs) cert.sigs.push_back({s.id, s.sig});
  env_.checkpoint_certified(cert);
}

bool PbftReplica::verify_checkpoint(const CheckpointCert& cert) const {
  if (cert.k == 0) return false;  // genesis needs no certificate and proves nothing
  if (cert.view != 0) return false;  // PBFT's checkpoints name no view
  CheckpointProof p{cert.k, cert.head, {}};
  for (const auto& s : cert.sigs) p.sigs.push_back({s.signer, s.sig});
  return verify_checkpoint_proof(cfg_, *crypto_.verifier, p);
}

void PbftReplica::garbage_collect() {
  for (auto it = slots_.begin(); it != slots_.end() && it->first <= low_;) {
    Slot& s = it->second;
    if (it->first > last_exec_ && s.ccert) {  // still to execute (we lag)
      ++it;
      continue;
    }
    if (s.ccert && it->first <= last_exec_) retained_[it->first] = std::move(*s.ccert);
    it = slots_.erase(it);
  }
  // Keep one window of commit certificates below the stable checkpoint for replicas that lag.
  old_batches_.erase(old_batches_.begin(), old_batches_.upper_bound(low_));
  Seq keep_from = low_ > cfg_.window ? low_ - cfg_.window : 0;
  while (!retained_.empty() && retained_.begin()->first <= keep_from) retained_.erase(retained_.begin());
  while (!ckpt_votes_.empty() && ckpt_votes_.begin()->first <= low_) ckpt_votes_.erase(ckpt_votes_.begin());
  while (!own_ckpt_.empty() && own_ckpt_.begin()->first < low_) own_ckpt_.erase(own_ckpt_.begin());
  unsigned_ckpt_.erase(unsigned_ckpt_.begin(), unsigned_ckpt_.upper_bound(low_));
  while (!signed_.empty() && signed_.begin()->first <= low_) signed_.erase(signed_.begin());
  vote_has_batch_.erase(vote_has_batch_.begin(), vote_has_batch_.upper_bound(low_));
  prepared_leans_on_vote_.erase(prepared_leans_on_vote_.begin(), prepared_leans_on_vote_.upper_bound(low_));
  // Nothing at or below the stable checkpoint is ordered again: its journal records can go.
  if (low_ > journal_pruned_) {
    journal_pruned_ = low_;
    env_.journal_prune(low_);
  }
}

}  // namespace rampart::consensus::pbft
