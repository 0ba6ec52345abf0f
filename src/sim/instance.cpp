// A simulated replica's Env: batching, forwarding to the primary, execution through the
// Executor, checkpoint snapshots and state transfer, reporting to the invariant checker.
#include <cstdio>
#include <iterator>

#include "common/codec.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {

namespace {
Bytes frame_u64(uint64_t v) {
  Writer w;
  w.u64(v);
  return w.take();
}

Bytes encode_state(const CkptSnap& s) {
  Writer w;
  w.u64(s.header.k);
  w.fixed(s.header.batch_digest);
  w.fixed(s.header.prev_hash);
  w.fixed(s.header.state_digest);
  w.fixed(s.header.results_root);
  w.bytes(s.state);
  return w.take();
}

std::optional<CkptSnap> decode_state(ByteView body) {
  Reader r(body);
  CkptSnap s;
  s.header.k = r.u64();
  s.header.batch_digest = r.fixed<32>();
  s.header.prev_hash = r.fixed<32>();
  s.header.state_digest = r.fixed<32>();
  s.header.results_root = r.fixed<32>();
  s.state = r.bytes(size_t{1} << 30);
  if (!r.finish()) return std::nullopt;
  return s;
}
}  // namespace

Instance::Instance(World& world, Node& n, uint32_t t, std::vector<bool> peers)
    : w(world), node(n), twin(t), peers_(std::move(peers)) {
  signer = w.keys.signer(n.id);
  tsigner = w.keys.threshold_signer(n.id);
  primary = w.cfg.primary_of(0);
  heads_[0] = Hash32{};
}

bool Instance::checked() const { return !node.byzantine; }

Hash32 Instance::head_of(const ledger::Block& header) const {
  return w.o.weaken == Weaken::state_checkpoints ? header.state_digest : ledger::block_hash(header);
}

void Instance::send(NodeId to, Bytes msg) {
  if (to == node.id || !talks_to(to)) return;
  w.replica_send(*this, to, Tag::consensus, std::move(msg));
}

void Instance::broadcast(Bytes msg) {
  for (NodeId p = 0; p < w.cfg.n; ++p) {
    if (p != node.id && talks_to(p)) w.replica_send(*this, p, Tag::consensus, msg);
  }
}

bool Instance::validate_batch(ByteView batch) { return replica::validate_batch(batch, w.client_verifier).ok(); }

consensus::ExecResult Instance::execute(consensus::Seq k, View v, ByteView batch) {
  replica::Outcome o = ex.execute(k, batch);
  // The block, with its batch, as the ledger appends it: durable with the next sync (the one our
  // vouching for k waits for, attested).
  if (twin == 0) node.disk.put_batch(k, ledger::batch_digest(batch), Bytes(batch.begin(), batch.end()));
  ledger::Block header;
  header.k = k;
  header.batch_digest = ledger::batch_digest(batch);
  auto prev = heads_.find(k - 1);
  header.prev_hash = prev == heads_.end() ? Hash32{} : prev->second;
  header.state_digest = o.state_digest;
  header.results_root = o.results_root;
  const Hash32 block = ledger::block_hash(header);
  const Hash32 head = head_of(header);
  heads_.erase(heads_.lower_bound(k), heads_.end());
  heads_[k] = block;
  if (w.o.verbose)
    std::printf("  [r%u executed k=%llu view %llu batch %s]\n", node.id, static_cast<unsigned long long>(k),
                static_cast<unsigned long long>(v), short_hex(o.batch_digest).c_str());
  if (checked()) {
    std::vector<std::pair<uint64_t, uint64_t>> done;
    for (const auto& r : o.replies) {
      if (r.kind == replica::ReplyKind::executed) done.emplace_back(r.client, r.seq);
    }
    w.checker.on_execute(node.id, k, o.batch_digest, o.results_root, head, std::move(done), v);
    w.on_executed(node.id, k, v, o.batch_digest);
  }
  // The protocol got past a checkpoint it had asked state for: a late snapshot must not
  // drag the replica back.
  if (want_state_ && k >= want_state_->first) want_state_.reset();
  outstanding_.erase(o.batch_digest);
  forwarded_by_.erase(o.batch_digest);
  // Forwarded batches whose every request was executed (in other batches) are done too.
  for (auto it = forwarded_by_.begin(); it != forwarded_by_.end();) {
    auto ob = outstanding_.find(it->first);
    if (ob != outstanding_.end() && !requests_done(ob->second)) {
      ++it;
      continue;
    }
    if (ob != outstanding_.end()) {
      proto->withdraw(ob->second);  // the protocol must not keep what we no longer count
      outstanding_.erase(ob);
    }
    it = forwarded_by_.erase(it);
  }
  executed_[k] = o.batch_digest;
  executed_set_.insert(o.batch_digest);
  if (k % w.cfg.checkpoint_interval == 0) snapshots_[k] = {header, ex.snapshot()};
  // Replies leave when the protocol lets us vouch for k (attested), tagged with that view.
  results_.erase(results_.lower_bound(k), results_.end());
  results_[k] = Results{o.results_root, block, header, std::move(o.replies), {}};
  if (w.o.weaken == Weaken::vouch_at_execution) vouch(v, k);  // as soon as executed, in that view
  schedule_proven_check();  // the proof of k may exist already (we lag)
  return {o.state_digest, o.results_root, head};
}

void Instance::attested(View v, consensus::Seq k) { vouch(v, k); }

void Instance::vouch(View v, consensus::Seq k) {
  request_sync();  // our replies (shares) leave once what they vouch for is durable
  if (w.o.verbose) std::printf("  [r%u attested view=%llu k=%llu]\n", node.id, static_cast<unsigned long long>(v), static_cast<unsigned long long>(k));
  for (auto& [j, r] : results_) {
    if (j > k) break;
    if (!r.views.insert(v).second) continue;
    Writer share;
    share.u64(v);
    share.u64(j);
    share.fixed(r.head);
    // The header too, so a replica that got k by state transfer finds the block (proof_of).
    share.fixed(r.header.results_root);
    share.fixed(r.header.batch_digest);
    share.fixed(r.header.prev_hash);
    share.fixed(r.header.state_digest);
    w.replica_send(*this, kShareSink, Tag::share, share.take());
    for (const auto& e : r.replies) {
      if (e.kind != replica::ReplyKind::stale) w.send_reply(*this, e, v, r.header);
    }
  }
}

void Instance::rollback(consensus::Seq k) {
  ex.rollback(k);
  // Results we had vouched for, undone: what the view-change argument says never happens to
  // a proven result, and what the adversary tries to turn into one (SimResult::vouched_rollbacks).
  for (auto it = results_.upper_bound(k); it != results_.end(); ++it)
    if (checked() && !it->second.views.empty()) ++w.res.vouched_rollbacks;
  heads_.erase(heads_.upper_bound(k), heads_.end());
  results_.erase(results_.upper_bound(k), results_.end());
  if (w.o.verbose) std::printf("  [r%u rolled back to k=%llu]\n", node.id, static_cast<unsigned long long>(k));
  if (checked()) w.checker.on_rollback(node.id, k);
  snapshots_.erase(snapshots_.upper_bound(k), snapshots_.end());
  for (auto it = executed_.upper_bound(k); it != executed_.end(); ++it) executed_set_.erase(it->second);
  executed_.erase(executed_.upper_bound(k), executed_.end());
  w.res.rollbacks++;
}

void Instance::final(consensus::Seq k) {
  ex.make_final(k);
  final_k_ = std::max(final_k_, k);
  if (checked()) w.checker.on_final(node.id, k);
  // Results stay a while for answers to retries from the reply cache (on_client_request).
  const consensus::Seq keep = 4 * w.cfg.window;
  if (k > keep) results_.erase(results_.begin(), results_.lower_bound(k - keep));
  heads_.erase(heads_.begin(), heads_.lower_bound(k));  // never rolled back below k
}

void Instance::checkpoint_stable(consensus::Seq k, const Hash32& head) {
  if (checked()) w.checker.on_checkpoint_stable(node.id, k, head);
  auto it = snapshots_.find(k);
  if (it != snapshots_.end() && head_of(it->second.header) == head && twin == 0 && k > node.durable_k) {
    node.durable_k = k;
    node.durable_snap = it->second;
  }
  // Keep k itself (peers may fetch it) and anything newer.
  snapshots_.erase(snapshots_.begin(), snapshots_.lower_bound(k));
}

void Instance::checkpoint_certified(const consensus::CheckpointCert& cert) {
  if (twin == 0 && cert.k == node.durable_k && cert.head == head_of(node.durable_snap.header)) {
    node.durable_cert = cert;
  }
}

// Only a crashing replica ever restarts, and it has one instance; an equivocating replica's
// twins never restart, so twin 1 does not write.
void Instance::request_sync() {
  if (twin != 0) return;
  gate = node.disk.request();
  if (node.crash_armed) {
    node.crash_armed = false;
    Event c;
    c.type = EvType::crash;
    c.a = node.id;
    c.d = 1;
    w.schedule(w.now() + 1, std::move(c));  // before any sync completes (>= 100 us)
  }
  Event e;
  e.type = EvType::sync_done;
  e.a = node.id;
  e.c = gate;
  e.d = node.epoch;
  w.schedule(w.now() + w.rng.range(100, 2000), std::move(e));  // an fsync: 0.1 to 2 ms
}

void Instance::journal_put(consensus::Seq seq, uint8_t kind, Bytes body) {
  if (twin != 0) return;
  node.disk.put({seq, kind}, std::move(body));
  request_sync();  // messages sent after this wait for the record
}

void Instance::journal_put_lazy(consensus::Seq seq, uint8_t kind, Bytes body) {
  if (twin == 0) node.disk.put({seq, kind}, std::move(body));
}

void Instance::journal_prune(consensus::Seq upto) {
  if (twin == 0) node.disk.prune(upto);  // ordered behind every earlier write
}

void Instance::view_changed(View v, NodeId p) {
  if (w.o.verbose) std::printf("  [r%u in view %llu]\n", node.id, static_cast<unsigned long long>(v));
  view = v;
  primary = p;
  w.on_view_installed(v);
  submitted_.clear();
  // Re-offer known batches to the new primary; deferred, since Env calls may not re-enter.
  Event e;
  e.type = EvType::resubmit;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  w.schedule(w.now(), std::move(e));
}

void Instance::view_change_started(View target, const char* reason) {
  if (w.o.verbose)
    std::printf("  [r%u asks for view %llu: %s]\n", node.id, static_cast<unsigned long long>(target), reason);
}

void Instance::need_state_transfer(consensus::Seq k, const Hash32& head) {
  if (want_state_ && want_state_->first >= k) return;
  want_state_ = std::make_pair(k, head);
  Event e;
  e.type = EvType::state_retry;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  w.schedule(w.now(), std::move(e));
}

void Instance::set_timer(consensus::TimerKind t, uint64_t after_ms) {
  auto i = static_cast<size_t>(t);
  if (i >= timer_gen.size()) return;
  Event e;
  e.type = EvType::proto_timer;
  e.a = node.id;
  e.b = twin;
  e.c = ++timer_gen[i];
  e.d = (node.epoch << 8) | i;
  // Each replica's own clock: a drifting one fires its timers early or late.
  w.schedule(w.now() + after_ms * 1000 * 1000 / node.drift_pm, std::move(e));
}

void Instance::cancel_timer(consensus::TimerKind t) {
  auto i = static_cast<size_t>(t);
  if (i < timer_gen.size()) ++timer_gen[i];
}

void Instance::on_client_request(const replica::Request& r) {
  if (!replica::verify_request(r, w.client_verifier)) return;
  if (node.adv && !node.adv->request(r)) return;  // censored
  if (stash_.size() < 8) stash_.push_back(r);
  // A retry of the client's last executed request: answer from the reply cache (same k and
  // results root as the first answer). Once k is final here its block holds a proof, which the
  // reply carries (replicas that got k by state transfer answer too); before, we send our share
  // again in every view we vouched for k in, and check that our view is not a dead one.
  if (auto c = ex.cached(r.client); c && c->seq == r.seq) {
    replica::ReplyEntry e{r.client, r.seq, replica::ReplyKind::cached, c->result};
    auto res = results_.find(c->k);
    if (c->k <= final_k_) {
      // The block's hash: ours if we executed it, else the one the proof was made over.
      if (auto p = w.proof_of(c->k, c->root)) w.send_reply(*this, e, p->first, p->second, /*with_proof=*/true);
      return;
    }
    proto->client_waits();
    if (res != results_.end() && res->second.root == c->root) {
      for (View v : res->second.views) w.send_reply(*this, e, v, res->second.header);
    }
    return;
  }
  if (!pending_keys_.insert({r.client, r.seq}).second) return;
  pending_.push_back(r);
  if (pending_.size() >= w.o.batch_size) {
    close_batch();
  } else if (!batch_armed_) {
    batch_armed_ = true;
    Event e;
    e.type = EvType::batch_timer;
    e.a = node.id;
    e.b = twin;
    e.c = batch_gen_;
    e.d = node.epoch;
    w.schedule(w.now() + w.o.batch_timeout_ms * 1000, std::move(e));
  }
}

void Instance::on_batch_timer(uint64_t gen) {
  if (gen == batch_gen_ && !pending_.empty()) close_batch();
}

void Instance::close_batch() {
  Bytes b = replica::encode_batch(replica::Batch{std::move(pending_)});
  pending_.clear();
  pending_keys_.clear();
  ++batch_gen_;
  batch_armed_ = false;
  if (twin == 1) b = mutate(std::move(b));
  outstanding_[replica::batch_digest(b)] = b;
  submit(b);
  if (primary != node.id) w.replica_send(*this, primary, Tag::forward, std::move(b));
}

void Instance::submit(Bytes batch) {
  Hash32 d = replica::batch_digest(batch);
  if (executed_set_.count(d) || !submitted_.insert(d).second) return;
  proto->submit(std::move(batch));
}

bool Instance::requests_done(const Bytes& batch) const {
  auto b = replica::decode_batch(batch);
  if (!b) return true;
  for (const auto& r : b->requests) {
    auto c = ex.cached(r.client);
    if (!c || c->seq < r.seq) return false;
  }
  return true;
}

// The protocol forgot its pending batches when it installed a transferred state (it cannot
// tell which of them the state holds). Offer again what is still undone, as the process does
// (NodeImpl::protocol_state_transferred): without it a batch submitted before the transfer
// stayed "submitted" here, every retry of its requests formed the same batch, and a censoring
// primary was never replaced (sim seeds 543712553 poe-mac f=2, 5184 poe-mac f=1).
void Instance::reoffer_after_transfer() {
  submitted_.clear();
  std::vector<Bytes> again;
  for (auto it = outstanding_.begin(); it != outstanding_.end();) {
    if (requests_done(it->second)) {
      forwarded_by_.erase(it->first);
      it = outstanding_.erase(it);
      continue;
    }
    // A backup hands on others' batches only as primary (on_forward); its own it submits.
    if (primary == node.id || !forwarded_by_.count(it->first)) again.push_back(it->second);
    ++it;
  }
  for (auto& b : again) submit(std::move(b));
}

Bytes Instance::mutate(Bytes batch) {
  auto b = replica::decode_batch(batch);
  if (!b) return batch;
  if (!stash_.empty()) {
    b->requests.push_back(stash_[w.rng.below(stash_.size())]);
  } else if (b->requests.size() >= 2) {
    std::reverse(b->requests.begin(), b->requests.end());
  }
  return replica::encode_batch(*b);
}

void Instance::on_forward(NodeId from, ByteView batch) {
  // Each forwarder gets a bounded share of what we hold for it (the process bounds its parts
  // queue the same way): a faulty one forwarding many valid batches cannot fill our memory.
  size_t held = 0;
  for (const auto& [d, f] : forwarded_by_) held += f == from && outstanding_.count(d);
  if (held >= 2 * size_t{w.cfg.max_inflight}) return;
  if (!validate_batch(batch)) return;
  Bytes b(batch.begin(), batch.end());
  if (twin == 1) b = mutate(std::move(b));
  Hash32 d = replica::batch_digest(b);
  if (executed_set_.count(d) || outstanding_.count(d)) return;
  outstanding_[d] = b;
  forwarded_by_[d] = from;
  // As the process does: the primary orders it; a backup keeps it, to hand it on should it
  // become primary (on_resubmit), and does not make it pending in its own protocol.
  if (primary == node.id) submit(std::move(b));
}

void Instance::on_resubmit() {
  std::vector<Bytes> batches;
  for (const auto& [d, b] : outstanding_) {
    if (!executed_set_.count(d)) batches.push_back(b);
  }
  for (auto& b : batches) {
    if (primary == node.id) {
      submit(std::move(b));
    } else {
      w.replica_send(*this, primary, Tag::forward, std::move(b));
    }
  }
}

void Instance::on_state_request(NodeId from, consensus::Seq k) {
  const CkptSnap* s = nullptr;
  if (auto it = snapshots_.find(k); it != snapshots_.end()) {
    s = &it->second;
  } else if (node.durable_k == k && k > 0) {
    s = &node.durable_snap;
  } else {
    return;
  }
  w.replica_send(*this, from, Tag::state_resp, encode_state(*s));
}

void Instance::on_state_response(ByteView body) {
  auto offered = decode_state(body);
  if (!offered || !want_state_ || want_state_->first != offered->header.k) return;
  const consensus::Seq k = offered->header.k;
  ByteView snap = offered->state;
  // A late response: the protocol meanwhile executed k (by certificates) and maybe beyond.
  // Installing it would rewind the executor under the protocol's feet.
  if (proto->stats().last_executed >= k) {
    want_state_.reset();
    return;
  }
  // Verify before installing: the header must be the head nf replicas signed, and the snapshot
  // must reproduce its state digest (restored into a scratch executor first).
  const Hash32 head = want_state_->second;
  if (head_of(offered->header) != head) return;
  app::kv::KvStore scratch_kv;
  replica::Executor scratch(scratch_kv);
  if (!scratch.restore(snap).ok() || scratch.state_digest() != offered->header.state_digest) return;
  if (!ex.restore(snap).ok()) return;
  want_state_.reset();
  final_k_ = std::max(final_k_, k);
  executed_.clear();
  executed_set_.clear();
  results_.clear();
  heads_.clear();
  heads_[k] = ledger::block_hash(offered->header);
  snapshots_.clear();
  snapshots_[k] = *offered;
  if (twin == 0 && k > node.durable_k) {
    node.durable_k = k;
    node.durable_snap = *offered;
    node.durable_cert = {};  // the snapshot came without its certificate
  }
  if (w.o.verbose) std::printf("  [r%u installed state k=%llu]\n", node.id, static_cast<unsigned long long>(k));
  if (checked()) w.checker.on_state_installed(node.id, k, head);
  w.res.state_transfers++;
  proto->on_state_transferred(k, head);
  reoffer_after_transfer();
  // A stable checkpoint is signed only once its batches are proven: they are.
  if (k > proven_upto_) {
    proven_upto_ = k;
    proto->on_proven(k);
  }
}

void Instance::schedule_proven_check() {
  Event e;
  e.type = EvType::proven_check;
  e.a = node.id;
  e.d = node.epoch;
  w.schedule(w.now(), std::move(e));
}

void Instance::check_proven() {
  if (!proto) return;
  consensus::Seq p = proven_upto_;
  for (auto r = results_.upper_bound(p); r != results_.end() && r->first == p + 1 && w.proof(r->first, r->second.head);
       ++r) {
    p = r->first;
  }
  if (p <= proven_upto_) return;
  proven_upto_ = p;
  proto->on_proven(p);
}

void Instance::on_state_retry() {
  if (!want_state_) return;
  for (NodeId p = 0; p < w.cfg.n; ++p) {
    if (p != node.id && talks_to(p)) w.replica_send(*this, p, Tag::state_req, frame_u64(want_state_->first));
  }
  Event e;
  e.type = EvType::state_retry;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  w.schedule(w.now() + 200'000, std::move(e));
}

}  // namespace rampart::sim::detail
