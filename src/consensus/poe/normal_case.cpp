// PoE normal case: PROPOSE -> SUPPORT -> CERTIFY (threshold) or nf all-to-all SUPPORTs (MAC),
// then view-commit and speculative execution in sequence order.
#include <algorithm>

#include "consensus/poe/replica.hpp"

namespace rampart::consensus::poe {

// The primary keeps at most max_inflight proposals above its last execution and never
// proposes above the high watermark; the rest waits in the queue.
void PoeReplica::propose_more() {
  if (!is_primary()) return;
  while (!queue_.empty() && next_seq_ <= stable_ + cfg_.window &&
         next_seq_ <= last_executed_ + cfg_.max_inflight) {
    Hash32 d = queue_.front();
    queue_.pop_front();
    auto it = pending_.find(d);
    if (it == pending_.end() || in_open_slot(d)) continue;  // executed or proposed meanwhile
    Bytes batch = it->second.batch;
    // next_seq_ is past every k we signed in this view (resume_own_slots), so this succeeds;
    // if it did not, the batch waits for the next free k.
    if (!propose(next_seq_++, batch)) queue_.push_front(d);
  }
}

// The proposal is journaled (sign_vote) before it leaves: a primary restarted in its view never
// proposes another batch at (view_, k). False if it did before the restart.
bool PoeReplica::propose(Seq k, const Bytes& batch) {
  const Hash32 d = batch_digest(batch);
  if (!sign_vote(k, d)) return false;
  Slot& s = slots_[k];
  s.accepted = true;
  s.digest = d;
  s.batches[s.digest] = batch;
  env_.broadcast(encode(Propose{view_, k, s.digest, batch}));
  send_support(k, s);  // the primary's own share/signature counts towards nf
  return true;
}

// Threshold variant: the share goes to the primary (or is recorded, at the primary). MAC
// variant: the signature goes to everyone, and is recorded locally.
void PoeReplica::send_support(Seq k, const Slot& s) {
  if (!sign_vote(k, s.digest)) return;  // journaled before it leaves; never a second digest
  Bytes stmt = support_statement(view_, k, s.digest);
  Bytes sig = cfg_.mac_variant ? crypto_.signer->sign(stmt) : crypto_.tsigner->sign_share(stmt);
  Support m{view_, k, s.digest, sig};
  const NodeId p = cfg_.primary_of(view_);
  if (cfg_.mac_variant) {
    env_.broadcast(encode(m));
  } else if (p != cfg_.self) {
    env_.send(p, encode(m));
  }
  if (cfg_.mac_variant || p == cfg_.self) {
    auto& votes = slots_[k].votes;
    if (!votes.count(cfg_.self)) {
      votes[cfg_.self] = {s.digest, std::move(sig)};
      try_certify(k);
    }
  }
}

// A replica of our view still working on k <= our stable checkpoint (it re-sends PROPOSE or
// SUPPORT for it) lacks the checkpoint: send it the proof, once per retransmit tick. Before,
// only a FETCH drew STABLE, and only from the primary, so a *primary* behind its backups'
// checkpoint stayed there when the third signer of that checkpoint had since crashed and
// forgotten it: the primary re-proposed k <= the backups' low watermark every tick, the
// backups rejected each copy as outside the window (sim poe-mac f=1 seed 479: the view-1
// primary at stable 8, exec 8, the backups at stable 16, exec 20).
void PoeReplica::send_stable_to(NodeId to) {
  if (stable_ == 0 || !stable_sent_.insert(to).second) return;
  env_.send(to, encode(Stable{stable_, stable_view_, stable_head_, stable_proof_}));
}

// MAC variant: our recorded SUPPORT for (view_, k), again, to one replica that lacks it.
void PoeReplica::resend_support(NodeId to, Seq k, const Slot& s) {
  auto own = s.votes.find(cfg_.self);
  if (own == s.votes.end() || own->second.first != s.digest) return;
  env_.send(to, encode(Support{view_, k, s.digest, own->second.second}));
}

void PoeReplica::on_propose(NodeId from, ByteView msg) {
  auto m = decode_propose(msg, limits_);
  if (!m) return reject();
  if (m->v < view_) relay_view(from);
  if (in_vc_ || m->v != view_) return reject();              // wrong view
  if (from != cfg_.primary_of(view_)) return reject();       // wrong sender
  if (m->k <= stable_) send_stable_to(from);                 // the primary is behind us
  if (!in_window(m->k)) return reject();                     // outside the watermarks
  if (batch_digest(m->batch) != m->digest) return reject();  // digest does not match batch
  Slot& s = slots_[m->k];
  if (s.accepted) {
    // The certified batch may differ from what we accepted (equivocating primary): take its
    // bytes, but support nothing else.
    if (s.certified && s.cert_digest == m->digest && !s.batches.count(m->digest)) {
      s.batches[m->digest] = std::move(m->batch);
      record_committed(m->k);
      return try_execute();
    }
    // Duplicate (retransmission) or conflicting proposal for (v, k). A retransmitted PROPOSE
    // means the primary has no certificate for it yet: it lacks our SUPPORT. In the threshold
    // variant we are not certified before the primary is. In the MAC variant we may well be
    // (the others' SUPPORTs reached us, ours to the primary was lost), and the primary only
    // certifies with our vote if we send it again (sim poe-mac f=1 seed 24: a silent backup,
    // the primary stuck at exec 1 while the two others executed 9).
    if (s.digest == m->digest) {
      if (!s.certified) {
        send_support(m->k, s);
      } else if (cfg_.mac_variant) {
        resend_support(from, m->k, s);
      }
    }
    return reject();
  }
  if (s.certified && s.cert_digest != m->digest) return reject();  // conflicts with certificate
  auto fx = fixed_.find(m->k);
  if (fx != fixed_.end() && fx->second != m->digest) return reject();  // alters kept history
  // Final here (restarted from our own disk above the stable checkpoint): nothing but the kept
  // history may be proposed there, and we support nothing else.
  if (m->k <= final_ && fx == fixed_.end()) return reject();
  if (vote_conflicts(m->k, m->digest)) {
    // We supported another digest at (view_, k) before a restart (journal): support nothing
    // else. If this is the certified batch we lack, take its bytes as above.
    if (s.certified && !s.batches.count(m->digest)) {
      s.batches[m->digest] = std::move(m->batch);
      record_committed(m->k);
      try_execute();
    }
    return reject();
  }
  // A batch of the new view's history, or one whose certificate we hold already (the primary
  // answers a FETCH with the CERTIFY first), was checked by nf replicas, f+1 of them correct.
  // Checking its client signatures again made re-proposing a window of large batches after a
  // view change cost seconds of CPU at every backup, longer than the view's timer, and kept a
  // replica catching up busy re-checking what the others had checked.
  if (fx == fixed_.end() && !s.certified && !env_.validate_batch(m->batch)) return reject();
  s.accepted = true;
  s.digest = m->digest;
  s.batches[m->digest] = std::move(m->batch);
  const bool certified = s.certified;
  send_support(m->k, s);  // may execute and garbage-collect: do not touch s afterwards
  if (certified) {
    record_committed(m->k);
    try_execute();
  }
}

void PoeReplica::on_support(NodeId from, ByteView msg) {
  auto m = decode_support(msg, limits_);
  if (!m) return reject();
  if (m->v < view_) relay_view(from);
  if (cfg_.mac_variant && m->v > view_ && !in_vc_) {
    later_view_support(from, *m);
    return reject();
  }
  if (in_vc_ || m->v != view_) return reject();
  if (!cfg_.mac_variant && cfg_.primary_of(view_) != cfg_.self) return reject();  // not for us
  if (m->k <= stable_) send_stable_to(from);  // the sender is behind our stable checkpoint
  if (!in_window(m->k)) return reject();
  Slot& s = slots_[m->k];
  if (s.votes.count(from)) return reject();  // duplicate
  if (cfg_.mac_variant) {
    // The transport authenticated `from`; the signature makes the vote transferable (it goes
    // into certificates in VC-REQUESTs), so check it now.
    if (!crypto_.verifier->verify(from, support_statement(m->v, m->k, m->digest), m->sig)) {
      return reject();
    }
  } else if (s.certified) {
    return;  // late share after the certificate: nothing to do
  }
  // Threshold shares are checked optimistically by combine() in try_certify.
  s.votes[from] = {m->digest, std::move(m->sig)};
  try_certify(m->k);
}

// MAC variant only: SUPPORTs of a view above ours. A correct replica supports in view w only
// after installing w from an NV-PROPOSE of nf requests for w, so validly signed SUPPORTs of
// later views from f+1 distinct replicas (one of them correct) mean our view is dead and we
// missed its NV-PROPOSE. We ask for view + 1 and get the relayed NV-PROPOSE. The threshold
// variant learns this from a later view's CERTIFY, which the MAC variant never broadcasts
// (sim poe-mac f=1 seed 9331: a replica partitioned during the view change stayed in view 0,
// sending only FETCHes to the old primary, while the others ran view 1). f+1, not 1, so a
// faulty replica cannot push a view change on its own.
void PoeReplica::later_view_support(NodeId from, const Support& m) {
  if (!later_view_is_news(from, m.v)) return;
  if (!crypto_.verifier->verify(from, support_statement(m.v, m.k, m.digest), m.sig)) return;
  later_view_vote(from, m.v, "later_view_supports");
}

// A correct replica signs a SUPPORT (MAC variant) or a CHECKPOINT of view w only while it is in
// w, which it entered from an NV-PROPOSE of nf requests; so validly signed votes of views above
// ours from f + 1 distinct replicas (one of them correct) mean our view is dead and we missed its
// successor. We ask for view + 1 and get the relayed NV-PROPOSE. f + 1, so a faulty replica
// cannot push a view change on its own; joining one is safe in any case.
// Worth checking a signature for: a view above any this sender showed us before.
bool PoeReplica::later_view_is_news(NodeId from, View v) const {
  auto seen = later_views_.find(from);
  return seen == later_views_.end() || seen->second < v;
}

void PoeReplica::later_view_vote(NodeId from, View v, const char* reason) {
  View& seen = later_views_[from];
  seen = std::max(seen, v);
  uint32_t ahead = 0;
  for (auto it = later_views_.begin(); it != later_views_.end();) {
    if (it->second <= view_) {
      it = later_views_.erase(it);  // stale: we reached that view meanwhile
    } else {
      ++ahead;
      ++it;
    }
  }
  if (ahead >= cfg_.f + 1) start_view_change(view_ + 1, reason);
}

void PoeReplica::try_certify(Seq k) {
  Slot& s = slots_[k];
  if (s.certified) return;
  if (cfg_.mac_variant) {
    // Any digest with nf distinct valid signatures is view-committed.
    std::map<Hash32, std::vector<SigEntry>> by_digest;
    for (const auto& [id, v] : s.votes) by_digest[v.first].push_back({id, v.second});
    for (auto& [d, sigs] : by_digest) {
      if (sigs.size() >= cfg_.nf()) {
        sigs.resize(cfg_.nf());
        return certify(k, d, Certificate{{}, std::move(sigs)});
      }
    }
    return;
  }
  // Threshold variant, at the primary: combine nf shares for its own proposal.
  if (!s.accepted) return;
  std::vector<crypto::Share> shares;
  for (const auto& [id, v] : s.votes) {
    if (v.first == s.digest) shares.push_back({id, v.second});
  }
  if (shares.size() < cfg_.nf()) return;
  Bytes stmt = support_statement(view_, k, s.digest);
  std::vector<NodeId> bad;
  // nf = 1 (n = 1): the one share is the primary's own and may be the group signature itself:
  // no pairing check (crypto/interfaces.hpp).
  std::optional<Bytes> sig;
  if (cfg_.nf() == 1 && shares[0].signer == cfg_.self) sig = crypto_.tverifier->group_from_own_share(shares[0].sig);
  // Send first, check after: every backup checks a CERTIFY before it takes it, so the
  // combination leaves as soon as it is interpolated and our own pairing check runs beside
  // theirs instead of before them (~0.6 ms off every slot's path). Nothing of ours acts on it
  // unchecked: the slot is certified, journaled and executed here only once the check passes.
  // A bad share (a Byzantine backup) makes the backups refuse that CERTIFY; combine() below
  // then drops the bad share, and the good combination goes out. Once per slot, and only from
  // senders never caught with a bad share.
  std::optional<Bytes> sent;
  if (!sig && !s.sent_unchecked) {
    std::vector<crypto::Share> trusted;
    for (const auto& sh : shares)
      if (!bad_share_senders_.count(sh.signer)) trusted.push_back(sh);
    if (trusted.size() >= cfg_.nf()) sent = crypto_.tverifier->combine_unchecked(stmt, trusted);
    if (sent) {
      s.sent_unchecked = true;
      env_.broadcast(encode(Certify{view_, k, s.digest, *sent}));
      if (crypto_.tverifier->verify_group(stmt, *sent)) sig = sent;
    }
  }
  if (!sig) sig = crypto_.tverifier->combine(stmt, shares, &bad);
  for (NodeId id : bad) {
    s.votes.erase(id);  // a bad share: drop it so its sender's retransmission can replace it
    bad_share_senders_.insert(id);
    reject();
  }
  if (!sig) return;
  s.certified = true;
  s.cert_digest = s.digest;
  s.cert = Certificate{*sig, {}};
  record_committed(k);
  if (sig != sent) env_.broadcast(encode(Certify{view_, k, s.digest, *sig}));
  try_execute();
}

void PoeReplica::on_certify(NodeId from, ByteView msg) {
  auto m = decode_certify(msg, limits_);
  if (!m) return reject();
  if (m->v > view_ && !in_vc_) {
    // A valid certificate of a later view: nf replicas, so at least f+1 correct ones, are
    // past view_, and view_ is dead (we missed its NV-PROPOSE). Ask for the next view; replicas
    // already in a later view answer with the NV-PROPOSE of theirs (on_vc_request).
    Certificate c{m->group_sig, m->sigs};
    if (verify_certificate(m->v, m->k, m->digest, c)) start_view_change(view_ + 1, "later_view_certificate");
    return reject();
  }
  if (in_vc_ || m->v != view_) return reject();
  if (from != cfg_.primary_of(view_)) return reject();
  if (!in_window(m->k)) return reject();
  Slot& s = slots_[m->k];
  if (s.certified) return reject();  // duplicate
  Certificate c{std::move(m->group_sig), std::move(m->sigs)};
  if (!verify_certificate(m->v, m->k, m->digest, c)) return reject();
  if (!follow_view_certificate(m->k, m->digest)) return reject();
  certify(m->k, m->digest, std::move(c));
}

void PoeReplica::certify(Seq k, const Hash32& digest, Certificate cert) {
  if (!follow_view_certificate(k, digest)) return reject();
  Slot& s = slots_[k];
  s.certified = true;
  s.cert_digest = digest;
  s.cert = std::move(cert);
  record_committed(k);
  try_execute();
}

// A valid certificate of view_ at k names a digest our history of this view does not have (a
// kept entry, or what we executed there). By I1 it is the view's: the NV-PROPOSE we installed
// is not the one the view's certificates follow. A faulty primary, or a faulty replica relaying
// an NV-PROPOSE to us in a view change, can hand out another valid one; each keeps every proven
// entry (docs/protocols.md, I2), but a view runs on one history, and executing its certificates
// on top of the other one gave other results at the same k in the same view (sim poe-mac f=1
// seed 1367502045: the Byzantine replica relayed its own pick of requests to a replica that had
// missed the primary's). So undo what certificates of this view do not back yet (everything
// above our attestation), forget the kept entries of the other history, and follow the
// certificates from here; what they back is executed again in turn.
bool PoeReplica::follow_view_certificate(Seq k, const Hash32& digest) {
  auto fx = fixed_.find(k);
  auto ex = executed_.find(k);
  const bool kept_differs = fx != fixed_.end() && fx->second != digest;
  const bool executed_differs = k <= last_executed_ && ex != executed_.end() && ex->second.digest != digest;
  if (!kept_differs && !executed_differs) return true;
  const Seq base = std::max(stable_, final_);
  if (k <= base) return false;
  Seq keep = base;
  if (attest_view_ == view_) keep = std::max(keep, std::min(attest_upto_, k - 1));
  undo_to(keep);
  fixed_.erase(fixed_.upper_bound(keep), fixed_.end());
  ++stats_.history_switches;
  return true;
}

// Keep the certificate of the highest view for k (with its batch): VC-REQUESTs carry it.
void PoeReplica::record_committed(Seq k) {
  Slot& s = slots_[k];
  if (!s.certified) return;
  auto b = s.batches.find(s.cert_digest);
  if (b == s.batches.end()) return;
  auto it = committed_.find(k);
  if (it != committed_.end() &&
      (it->second.v > view_ || (it->second.v == view_ && it->second.digest == s.cert_digest))) {
    return;  // a higher view's, or this one already (and journaled)
  }
  const CommittedEntry& e = committed_[k] = CommittedEntry{view_, k, s.cert_digest, b->second, s.cert};
  // Durable before our execution of k answers a client (replies wait for an fsync covering
  // every earlier write) and before any VC-REQUEST (its view record is journaled first), so a
  // restarted replica that answered for k reports it again (restore_journal). Nothing else
  // depends on it — a replica that loses it never vouched for k — so the CERTIFY does not wait
  // for it (one fsync less on the path of every batch). One record per k and view.
  // The batch is left out when the ledger stores it with our block of k: k is executed
  // already with this digest, or is next and try_execute (which every caller runs next)
  // executes it now. That block is durable before any reply for k, so a restart that finds
  // the record without a batch in its ledger never answered for k.
  auto ex = executed_.find(k);
  const bool in_ledger = (k <= last_executed_ && ex != executed_.end() && ex->second.digest == e.digest) ||
                         (!in_vc_ && k == last_executed_ + 1 && last_executed_ >= stable_);
  env_.journal_put_lazy(k, static_cast<uint8_t>(JournalKind::certified), encode_certified_record(e, !in_ledger));
}

// Execute view-committed batches in sequence order; out-of-order commits wait in slots_.
void PoeReplica::try_execute() {
  // Once we asked for a higher view we execute nothing more of the old one: what we executed
  // must be in our VC-REQUEST (the safety argument in docs/protocols.md relies on it).
  if (in_vc_) return;
  bool progressed = false;
  // A certificate of this view is executed only on a prefix that certificates of this view back
  // (above our final point). After a view change we keep what we executed in earlier views, and
  // the history we installed may not be the one this view runs on (a faulty primary or relayer
  // can hand out another valid NV-PROPOSE): executing on it gave another result at the same k in
  // the same view (sim poe-mac f=1 seeds 1238593510, 1238633824). The kept entries' certificates
  // of this view come with the re-proposals; one that contradicts us makes us follow the view
  // (follow_view_certificate).
  Seq backed = std::max(stable_, final_);
  if (attest_view_ == view_) backed = std::max(backed, attest_upto_);
  while (last_executed_ >= stable_) {
    Seq k = last_executed_ + 1;
    auto it = slots_.find(k);
    if (it == slots_.end() || !it->second.certified) break;
    Slot& s = it->second;
    auto b = s.batches.find(s.cert_digest);
    if (b == s.batches.end()) break;  // certificate arrived before the batch
    while (backed + 1 < k) {
      auto sj = slots_.find(backed + 1);
      auto ej = executed_.find(backed + 1);
      if (sj == slots_.end() || !sj->second.certified || ej == executed_.end() ||
          ej->second.digest != sj->second.cert_digest) {
        break;
      }
      ++backed;
    }
    if (backed + 1 < k) break;  // waiting for this view's certificates of what we kept
    backed = k;
    ExecResult r = env_.execute(k, view_, b->second);
    executed_[k] = Executed{s.cert_digest, r.head};
    executed_index_[s.cert_digest] = k;
    last_executed_ = k;
    pending_.erase(s.cert_digest);
    progressed = true;
    // Back-off ends once the backlog is gone: while batches keep waiting, a view that only
    // trickles keeps the longer timeout (resetting on every execution made views with a large
    // history to re-certify time out again and again).
    if (pending_.empty()) failures_ = 0;
  }
  update_attestation();
  if (progressed) {
    update_progress_timer(true);
    propose_more();
  }
}

// How far this replica vouches in view_ (Env::attested, and its CHECKPOINT votes): the longest
// run above its stable checkpoint (or its final point after a restart) that it executed and
// holds a certificate *of view_* for. Executing k is not enough: after a view change a replica
// keeps what it executed in earlier views, and shares or checkpoint votes from executions in
// different views must never combine (docs/protocols.md, I2: f + 1 correct replicas must hold a
// certificate of that one view for the whole prefix). Kept entries are certified again in the
// new view; the replica vouches for them, and anything after them, once those certificates came.
void PoeReplica::update_attestation() {
  if (in_vc_) return;
  const Seq base = std::max(stable_, final_);
  if (attest_view_ != view_ || attest_upto_ > last_executed_) {
    attest_view_ = view_;
    attest_upto_ = 0;  // nothing vouched for in this view yet
  }
  if (last_executed_ < base) return;  // waiting for a state transfer
  const Seq from = std::max(attest_upto_, base);
  Seq k = from;
  while (k < last_executed_) {
    auto s = slots_.find(k + 1);
    auto ex = executed_.find(k + 1);
    if (s == slots_.end() || !s->second.certified || ex == executed_.end() ||
        ex->second.digest != s->second.cert_digest) {
      break;
    }
    ++k;
  }
  // Everything up to the stable checkpoint (or our final point) is final: it may be vouched for
  // in any view, and must be in ours, or a batch made final by a checkpoint could stay without
  // a proof when its executors vouched in different views (sim poe f=1 seed 4003: two in view 1,
  // one only in view 0, the fourth lying).
  if (k <= attest_upto_) return;
  attest_upto_ = k;
  env_.attested(view_, k);
  vote_checkpoints();
  if (pending_.empty()) {
    // The certificates we waited for came: the timer restarts for what is still owed, if any.
    if (progress_armed_) env_.cancel_timer(TimerKind::view_change);
    progress_armed_ = false;
    update_progress_timer(false);
  }
}

// A CHECKPOINT for each interval multiple above the stable checkpoint that we vouch for in view_
// and whose batches are all proven (Protocol::on_proven), once per view: votes of different views
// never combine, so after a view change we sign again. This also signs a checkpoint that is
// final on our own disk (after a restart), so that after a whole-cluster restart, when nobody
// holds it stable, nf replicas entering one view make it stable and the window moves.
void PoeReplica::vote_checkpoints() {
  if (in_vc_ || attest_view_ != view_) return;
  if (ckpt_voted_view_ != view_) {
    ckpt_voted_view_ = view_;
    ckpt_voted_upto_ = 0;
  }
  const Seq K = cfg_.checkpoint_interval;
  const Seq upto = std::min(attest_upto_, proven_);
  for (Seq c = (std::max(ckpt_voted_upto_, stable_) / K + 1) * K; c <= upto; c += K) {
    auto ex = executed_.find(c);
    if (ex != executed_.end()) send_checkpoint(c, ex->second.head);
    ckpt_voted_upto_ = c;
  }
}

void PoeReplica::on_proven(Seq k) {
  if (k <= proven_ && proven_ != ~Seq{0}) return;
  proven_ = k;
  vote_checkpoints();
}

// A backup that lacks proposals or certificates of this view asks the primary, which re-sends
// what it has from `from` on (bounded). A requester below the stable checkpoint gets its proof.
void PoeReplica::on_fetch(NodeId from, ByteView msg) {
  auto m = decode_fetch(msg, limits_);
  if (!m) return reject();
  if (m->v < view_) relay_view(from);  // it asks the primary of a view it missed the end of
  if (!is_primary() || m->v != view_) return reject();
  // Once per requester per retransmit tick (a correct backup asks no more often): each answer
  // is up to 2 * max_inflight proposals, and a faulty backup must not multiply that at will.
  if (!fetch_answered_.insert(from).second) return reject();
  if (m->from <= stable_ && stable_ > 0) {
    env_.send(from, encode(Stable{stable_, stable_view_, stable_head_, stable_proof_}));
  }
  Seq first = std::max(m->from, stable_ + 1);
  Seq last = std::min(next_seq_ - 1, first + 2 * Seq{cfg_.max_inflight});
  for (Seq k = first; k <= last; ++k) {
    auto it = slots_.find(k);
    if (it == slots_.end() || !it->second.accepted) continue;
    const Slot& s = it->second;
    // The certificate first: the requester then takes the batch without checking it again.
    if (s.certified) {
      env_.send(from, encode(Certify{view_, k, s.cert_digest, s.cert.group_sig, s.cert.sigs}));
    }
    auto b = s.batches.find(s.digest);
    if (b != s.batches.end()) env_.send(from, encode(Propose{view_, k, s.digest, b->second}));
  }
}

bool PoeReplica::verify_certificate(View v, Seq k, const Hash32& d, const Certificate& c) const {
  Bytes stmt = support_statement(v, k, d);
  if (!cfg_.mac_variant) {
    return c.sigs.empty() && crypto_.tverifier->verify_group(stmt, c.group_sig);
  }
  if (!c.group_sig.empty()) return false;
  std::set<NodeId> ok;
  for (const auto& e : c.sigs) {
    if (e.signer >= cfg_.n || ok.count(e.signer)) continue;
    if (crypto_.verifier->verify(e.signer, stmt, e.sig)) ok.insert(e.signer);
  }
  return ok.size() >= cfg_.nf();
}

}  // namespace rampart::consensus::poe
