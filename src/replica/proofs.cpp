#include "replica/proofs.hpp"

#include <algorithm>

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "ledger/block.hpp"

namespace rampart::replica {

namespace {
const metrics::Declared kBadShares{"rampart_bad_reply_shares_total",
                                   "invalid CART reply shares found while combining"};
const metrics::Declared kBadProofs{"rampart_bad_proofs_combined_total",
                                   "combined proofs whose background check failed (a bad share among nf): combined again, each share checked"};
const metrics::Declared kOtherResults{"rampart_proofs_for_other_results_total",
                                      "valid proofs for a block other than ours at its height: nf replicas executed it otherwise (speculation of ours a view change will undo)"};
}  // namespace

Hash32 proof_id(uint64_t k, View view, const Hash32& head, ByteView sig) {
  Writer w;
  w.u64(k);
  w.u64(view);
  w.fixed(head);
  w.bytes(sig);
  return crypto::blake3::hash(w.data());
}

void Proofs::executed(uint64_t k, View v, const ledger::Block& header, const Hash32& head,
                      std::vector<ReplyEntry> replies, std::shared_ptr<const crypto::merkle::Tree> tree) {
  auto& b = blocks_[k];
  b.executed = true;
  b.view = v;
  b.header = header;
  b.head = head;
  b.replies = std::move(replies);
  b.tree = std::move(tree);
  b.group_sig.clear();
  b.proof_id = {};
  b.checked = false;
  b.signed_view.reset();
  b.replied = false;
  b.persisted = false;
  // No share yet: we vouch for k only once the protocol says so (attested), which may be now
  // or, after a view change, once k's certificate of the new view came.
  if (b.early_proof && b.early_proof->head == head) {
    auto proof = std::move(*b.early_proof);
    b.early_proof.reset();
    adopt(k, b, proof.view, std::move(proof.sig), /*checked=*/true);
  }
}

void Proofs::rolled_back(uint64_t k) {
  for (auto it = blocks_.upper_bound(k); it != blocks_.end(); ++it) {
    BlockProof& b = it->second;
    b.executed = false;
    b.replies.clear();
    b.tree.reset();
    b.signed_view.reset();
    b.group_sig.clear();
    b.proof_id = {};
    b.checked = false;
    b.replied = false;
    b.persisted = false;
  }
}

void Proofs::attested(View v, uint64_t k) {
  uint64_t gen = 0;
  for (auto it = blocks_.upper_bound(host_.last_final()); it != blocks_.end() && it->first <= k; ++it) {
    BlockProof& b = it->second;
    // Signed while our proof is not checked: a combination that fails its check may need ours.
    if (!b.executed || b.checked || (b.signed_view && *b.signed_view >= v)) continue;
    b.signed_view = v;
    if (gen == 0) gen = p_.unsafe_ungated ? synced_ : host_.request_sync();
    own_shares_.push_back({gen, it->first, v, b.head, signer_.sign_share(ledger::proof_message(v, it->first, b.head))});
  }
  if (p_.unsafe_ungated && gen != 0) synced(synced_);
}

void Proofs::on_share(NodeId from, ShareMsg m) {
  const uint64_t k = m.k;
  if (from != p_.self) {
    // A peer still collecting shares for a block we already proved (it restarted, or lagged):
    // hand it the group signature (of whichever view) instead of making it wait for shares
    // nobody will resend.
    std::optional<std::pair<View, Bytes>> proof;
    if (auto it = blocks_.find(k); it != blocks_.end() && it->second.checked && it->second.head == m.hash) {
      proof = {it->second.proof_view, it->second.group_sig};
    } else if (k <= host_.last_final()) {
      if (auto b = host_.stored_block(k); b && b->proven() && ledger::block_hash(*b) == m.hash) proof = {b->view, b->proof};
    }
    if (proof) {
      host_.send_peer(from, encode_share({k, proof->first, m.hash, proof->second}, PeerTag::proof));
      return;
    }
  }
  if (k <= host_.last_final() && k <= host_.last_executed()) return;  // already proven and final
  if (far(k)) return;                                                  // far outside any window
  auto& b = blocks_[k];
  if (b.checked) return;
  auto slot = b.shares.find({m.view, m.hash});
  if (slot == b.shares.end()) {
    // Bounded: a correct replica signs one block per view, in the few views it vouches in.
    if (b.shares.size() >= 4 * size_t{p_.n}) return;
    slot = b.shares.emplace(std::make_pair(m.view, m.hash), std::vector<crypto::Share>{}).first;
  }
  for (const auto& s : slot->second)
    if (s.signer == from) return;
  slot->second.push_back({from, std::move(m.share)});
  if (b.group_sig.empty()) try_combine(k);  // else kept, should the combination fail its check
}

void Proofs::try_combine(uint64_t k, bool force) {
  auto it = blocks_.find(k);
  if (it == blocks_.end()) return;
  BlockProof& b = it->second;
  if (!b.executed || !b.group_sig.empty()) return;
  for (auto& [key, shares] : b.shares) {
    if (key.second != b.head || shares.size() < p_.nf) continue;
    // Shares of replicas never caught lying, if there are nf of them; a caught one's only when
    // they are not enough: when all n are in, or (tick) when the missing one may never come.
    std::vector<crypto::Share> trusted;
    if (!caught_.empty()) {
      for (const auto& s : shares)
        if (!caught_.count(s.signer)) trusted.push_back(s);
      if (trusted.size() < p_.nf) {
        if (!force && shares.size() < p_.n) continue;
        trusted.clear();
      }
    }
    // nf = 1 (n = 1): the one share is ours and may be the group signature itself: no pairing
    // check, ~0.9 ms a block (crypto/interfaces.hpp).
    if (p_.nf == 1 && shares[0].signer == p_.self)
      if (auto own = verifier_.group_from_own_share(shares[0].sig))
        return adopt(k, b, key.first, std::move(*own), /*checked=*/true);
    Bytes msg = ledger::proof_message(key.first, k, b.head);
    const auto& use = trusted.empty() ? shares : trusted;
    // Interpolated now, checked in the background (the class comment).
    if (auto sig = verifier_.combine_unchecked(msg, use)) return adopt(k, b, key.first, std::move(*sig), /*checked=*/false);
    std::vector<NodeId> bad;
    auto sig = verifier_.combine(msg, use, &bad);
    note_bad(shares, bad);
    if (sig) return adopt(k, b, key.first, std::move(*sig), /*checked=*/true);
  }
}

void Proofs::note_bad(std::vector<crypto::Share>& shares, const std::vector<NodeId>& bad) {
  if (bad.empty()) return;
  reg_[kBadShares] += bad.size();
  for (NodeId id : bad) caught_[id]++;
  std::erase_if(shares, [&](const crypto::Share& s) { return std::find(bad.begin(), bad.end(), s.signer) != bad.end(); });
}

void Proofs::on_proof(NodeId, ShareMsg m) {
  const uint64_t k = m.k;
  if (k <= host_.last_final() || far(k)) return;
  // Already proven here, or holding a checked proof for this block: nothing to verify. Peers
  // send their proof to whichever replica's share reached them last (on_share), so in the
  // normal case the slowest replica receives n - 1 proofs it has usually combined itself;
  // checking each was a pairing apiece.
  if (auto it = blocks_.find(k); it != blocks_.end()) {
    if (it->second.checked) return;
    if (it->second.early_proof && it->second.early_proof->head == m.hash) return;
  }
  if (!verifier_.verify_group(ledger::proof_message(m.view, k, m.hash), m.share)) {
    reg_[kBadShares]++;
    return;
  }
  auto& b = blocks_[k];
  if (!b.executed) {
    b.early_proof = BlockProof::Proof{m.view, m.hash, std::move(m.share)};
    return;
  }
  if (b.head != m.hash) {
    reg_[kOtherResults]++;  // nf replicas executed k otherwise: not ours to adopt
    return;
  }
  // Checked here: it replaces a combination of ours still waiting for its check.
  b.group_sig.clear();
  adopt(k, b, m.view, std::move(m.share), /*checked=*/true);
}

void Proofs::adopt(uint64_t k, BlockProof& b, View view, Bytes sig, bool checked) {
  b.proof_view = view;
  b.group_sig = std::move(sig);
  b.proof_id = proof_id(k, view, b.head, b.group_sig);
  b.checked = checked;
  // A proof that replaces one whose check failed is written, synced and answered anew.
  b.persisted = false;
  b.replied = false;
  b.check_owed = false;
  b.adopted_ms = host_.now_ms();
  if (!checked && vouched(b)) b.checked = true;  // the checkers were faster than our shares
  if (!b.checked && checks(k)) check_later(k, b);
  if (!b.checked && !b.check_owed && !check_timer_armed_) {
    check_timer_armed_ = true;
    host_.arm_check_timer(kCheckAfterMs);
  }
  proof_queue_.push_back(k);
  // Group commit: every proof that becomes ready in this round of events is written with one
  // sync, then their replies go out.
  if (!flush_deferred_) {
    flush_deferred_ = true;
    host_.defer([this] { flush(); });
  }
}

void Proofs::check_later(uint64_t k, BlockProof& b) {
  b.check_owed = true;
  host_.background(
      [&v = verifier_, msg = ledger::proof_message(b.proof_view, k, b.head), sig = b.group_sig] {
        return v.verify_group(msg, sig);
      },
      [this, k, id = b.proof_id](bool ok) { checked(k, id, ok); });
}

void Proofs::checked(uint64_t k, const Hash32& id, bool ok) {
  auto it = blocks_.find(k);
  // Undone, replaced or already vouched for meanwhile: this result is about nothing we hold.
  if (it == blocks_.end() || !it->second.executed || it->second.checked || it->second.proof_id != id ||
      it->second.group_sig.empty())
    return;
  BlockProof& b = it->second;
  b.check_owed = false;
  if (!ok) {
    reg_[kBadProofs]++;
    return recombine(k, b);
  }
  now_checked(k, b, /*by_us=*/true);
}

bool Proofs::vouched(const BlockProof& b) const {
  auto acks = b.durable.find(b.head);
  if (acks == b.durable.end()) return false;
  size_t n = 0;
  for (const auto& [from, a] : acks->second) n += from != p_.self && a.checked && a.proof == b.proof_id;
  return n >= size_t{p_.n - p_.nf + 1};
}

// Our proof is valid (we checked it, or f + 1 checkers checked these bytes): k is proven here
// once the proof is synced too. A checker tells the others, who wait for f + 1 of them.
void Proofs::now_checked(uint64_t k, BlockProof& b, bool by_us) {
  b.checked = true;
  if (!b.persisted) return;  // synced() takes it from here, and its DURABLE says checked
  b.durable[b.head][p_.self].checked = true;
  if (by_us) host_.broadcast_peer(encode_durable({k, b.head, b.proof_id, true, false}));
  host_.proof_persisted(k);
  host_.finality_may_advance();  // outside synced(), whose result would have said so
}

// Our combination failed its check: some share among it was bad. Combine again checking each
// share (one pairing apiece, only now), so the liars are caught and left out.
void Proofs::recombine(uint64_t k, BlockProof& b) {
  const View v = b.proof_view;
  b.group_sig.clear();
  b.proof_id = {};
  b.persisted = false;
  b.replied = false;
  auto slot = b.shares.find({v, b.head});
  if (slot == b.shares.end()) return;
  std::vector<NodeId> bad;
  auto sig = verifier_.combine(ledger::proof_message(v, k, b.head), slot->second, &bad);
  note_bad(slot->second, bad);
  if (sig) return adopt(k, b, v, std::move(*sig), /*checked=*/true);
  try_combine(k);  // another view's shares, if any; else the next share that comes
}

void Proofs::flush() {
  flush_deferred_ = false;
  std::vector<uint64_t> ks;
  for (uint64_t k : proof_queue_) {
    auto it = blocks_.find(k);
    if (it != blocks_.end() && it->second.executed && !it->second.group_sig.empty() && !it->second.persisted &&
        std::find(ks.begin(), ks.end(), k) == ks.end())
      ks.push_back(k);
  }
  proof_queue_.clear();
  // Durable before any client hears about it: the blocks (written earlier) and their proofs,
  // then one sync, which covers everything written before it.
  for (uint64_t k : ks)
    if (!host_.store_proof(k, blocks_[k].proof_view, blocks_[k].group_sig)) return;
  if (ks.empty()) return;
  const uint64_t gen = host_.request_sync();
  for (uint64_t k : ks) awaiting_sync_.push_back({k, gen, blocks_[k].proof_id});
}

bool Proofs::synced(uint64_t gen) {
  synced_ = std::max(synced_, gen);
  while (!own_shares_.empty() && own_shares_.front().gen <= synced_) {
    OwnShare s = std::move(own_shares_.front());
    own_shares_.pop_front();
    host_.broadcast_peer(encode_share({s.k, s.view, s.head, s.share}));
    on_share(p_.self, {s.k, s.view, s.head, std::move(s.share)});
  }
  std::vector<Awaiting> done;
  std::erase_if(awaiting_sync_, [&](const Awaiting& e) {
    if (e.gen > gen) return false;
    done.push_back(e);
    return true;
  });
  bool any = false;
  for (const Awaiting& e : done) {
    const uint64_t k = e.k;
    auto it = blocks_.find(k);
    // Rolled back meanwhile, or replaced by another proof (whose own write is still to sync).
    if (it == blocks_.end() || !it->second.executed || it->second.group_sig.empty() || it->second.proof_id != e.proof_id)
      continue;
    BlockProof& b = it->second;
    // Re-executed since the write (a rollback in between)? Only what the ledger holds counts.
    if (auto stored = host_.stored_block(k);
        !stored || stored->proof != b.group_sig || ledger::block_hash(*stored) != b.head)
      continue;
    b.persisted = true;
    b.durable[b.head][p_.self] = {b.proof_id, b.checked};
    host_.broadcast_peer(encode_durable({k, b.head, b.proof_id, b.checked, false}));
    b.durable_asked_ms = host_.now_ms();
    maybe_reply(k, b);
    // A proof of execution means nf replicas executed k with this result: exactly what a
    // client accepts, and what the protocols never roll back. Ours counts once checked.
    if (b.checked) {
      host_.proof_persisted(k);
      any = true;
    }
  }
  return any;
}

// Replies go out once the proof is synced here and at nf replicas in all: then any nf replicas
// that come back after every replica died include one that holds the proof (two sets of nf out
// of n share f + 1 members), and the restart handshake adopts the highest proven height.
void Proofs::maybe_reply(uint64_t k, BlockProof& b) {
  if (!b.persisted || b.replied) return;
  size_t acks = 0;
  for (const auto& [from, a] : b.durable[b.head]) acks += a.checked || a.proof == b.proof_id;
  if (acks < p_.nf) return;
  b.replied = true;
  host_.deliver_replies(k, b);
}

void Proofs::on_durable(NodeId from, const DurableMsg& m) {
  const uint64_t k = m.k;
  auto it = blocks_.find(k);
  if (m.ask) {
    // A peer still waiting for acknowledgements: say which proof is durable here, if any.
    if (it != blocks_.end() && it->second.persisted && it->second.head == m.head) {
      const BlockProof& b = it->second;
      host_.send_peer(from, encode_durable({k, b.head, b.proof_id, b.checked, false}));
    } else if (k <= host_.last_final()) {
      if (auto b = host_.stored_block(k); b && b->proven() && ledger::block_hash(*b) == m.head)
        host_.send_peer(from, encode_durable({k, m.head, proof_id(k, b->view, m.head, b->proof), true, false}));
    }
  }
  // Counted for blocks we still owe replies for, or have not executed yet (peers are often
  // ahead of us); settled or far-away blocks are not stored, as for shares.
  if (k <= host_.last_final() && k <= host_.last_executed() && it == blocks_.end()) return;
  if (far(k)) return;
  if (it == blocks_.end()) it = blocks_.emplace(k, BlockProof{}).first;
  // Replied already: only a checker's word still matters (it may make our proof checked).
  if (it->second.replied && (!m.checked || it->second.checked)) return;
  auto& by_head = it->second.durable;
  if (by_head.size() > p_.n && !by_head.count(m.head)) return;
  auto& ack = by_head[m.head][from];
  if (ack.proof != m.proof) ack = {m.proof, m.checked};  // checked says which bytes: not carried over
  else ack.checked = ack.checked || m.checked;
  BlockProof& b = it->second;
  if (m.checked && b.executed && !b.checked && !b.group_sig.empty() && m.proof == b.proof_id && vouched(b))
    now_checked(k, b, /*by_us=*/false);
  maybe_reply(k, b);
  if (it->second.replied && k <= host_.last_final()) retire(it);
}

// A final block's state is done with. Its replies, if they went out, are kept for retries, the
// oldest dropped beyond kAnsweredReplies.
std::map<uint64_t, BlockProof>::iterator Proofs::retire(std::map<uint64_t, BlockProof>::iterator it) {
  BlockProof& b = it->second;
  if (b.replied && b.tree && !b.group_sig.empty()) {
    answered_replies_ += b.replies.size();
    answered_[it->first] =
        AnsweredBlock{b.proof_view, std::move(b.header), std::move(b.replies), std::move(b.tree), std::move(b.group_sig)};
    while (answered_replies_ > kAnsweredReplies && !answered_.empty()) {
      answered_replies_ -= answered_.begin()->second.replies.size();
      answered_.erase(answered_.begin());
    }
  }
  return blocks_.erase(it);
}

void Proofs::finalized(uint64_t j) {
  // Replies still waiting for acknowledgements of durability stay until they are sent.
  for (auto it = blocks_.begin(); it != blocks_.end() && it->first <= j;) {
    if (it->second.persisted && !it->second.replied) {
      ++it;
      continue;
    }
    it = retire(it);
  }
}

void Proofs::blocked_at(uint64_t k) {
  auto it = blocks_.find(k);
  const uint64_t now = host_.now_ms();
  if (it == blocks_.end() || !it->second.executed || now - last_share_resend_ms_ <= kResendMs) return;
  last_share_resend_ms_ = now;
  for (const auto& [key, shares] : it->second.shares) {
    if (key.second != it->second.head) continue;
    for (const auto& s : shares)
      if (s.signer == p_.self) host_.broadcast_peer(encode_share({k, key.first, key.second, s.sig}));
  }
}

void Proofs::tick() {
  const uint64_t now = host_.now_ms();
  if (!caught_.empty()) {
    std::vector<uint64_t> waiting;
    for (const auto& [k, b] : blocks_)
      if (b.executed && b.group_sig.empty()) waiting.push_back(k);
    for (uint64_t k : waiting) try_combine(k, /*force=*/true);
  }
  check_overdue();
  for (auto& [k, b] : blocks_) {
    if (!b.persisted || b.replied || now - b.durable_asked_ms < kResendMs) continue;
    b.durable_asked_ms = now;
    host_.broadcast_peer(encode_durable({k, b.head, b.proof_id, b.checked, /*ask=*/true}));
  }
}

void Proofs::check_overdue() {
  check_timer_armed_ = false;
  const uint64_t now = host_.now_ms();
  uint64_t next = 0;  // ms until the youngest unvouched proof is overdue
  for (auto& [k, b] : blocks_) {
    if (!b.executed || b.group_sig.empty() || b.checked || b.check_owed) continue;
    // The checkers did not vouch for our proof in time (down, slow, or other bytes): check it.
    if (now - b.adopted_ms >= kCheckAfterMs) {
      check_later(k, b);
    } else {
      const uint64_t left = kCheckAfterMs - (now - b.adopted_ms);
      next = next == 0 ? left : std::min(next, left);
    }
  }
  if (next != 0) {
    check_timer_armed_ = true;
    host_.arm_check_timer(next);
  }
}

bool Proofs::proven(uint64_t k) {
  auto it = blocks_.find(k);
  // Executed here: our own proof decides (the ledger may hold one not checked yet, or one whose
  // check failed).
  if (it != blocks_.end() && it->second.executed) return it->second.persisted && it->second.checked;
  if (it != blocks_.end() && !it->second.group_sig.empty()) return false;  // not yet written
  auto b = host_.stored_block(k);
  return b && b->proven();
}

std::optional<Proofs::Answer> Proofs::answered(uint64_t k) const {
  if (auto it = answered_.find(k); it != answered_.end()) {
    const AnsweredBlock& a = it->second;
    return Answer{a.view, a.header, a.replies, *a.tree, a.group_sig};
  }
  // Final and replied, retired when finality next advances.
  if (auto it = blocks_.find(k); it != blocks_.end() && it->second.replied && it->second.tree && !it->second.group_sig.empty()) {
    const BlockProof& b = it->second;
    return Answer{b.proof_view, b.header, b.replies, *b.tree, b.group_sig};
  }
  return std::nullopt;
}

}  // namespace rampart::replica
