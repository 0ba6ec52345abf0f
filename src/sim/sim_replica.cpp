// A replica core's host in the simulator: its network, clock, timers, deferred calls and disk
// syncs are events of the world; its decisions go to the invariant checker.
#include "crypto/blake3.hpp"
#include "ledger/genesis.hpp"
#include "replica/distilled.hpp"
#include "replica/peer_msg.hpp"
#include "broker/signup.hpp"
#include "sim/world.hpp"

namespace rampart::sim::core {

SimReplica::SimReplica(World& world, Node& n, uint32_t t, std::vector<bool> peers)
    : w(world),
      node(n),
      twin(t),
      own_store_(t == 0 ? nullptr : std::make_unique<SimStore>(ledger::genesis_config(world.cfg))),
      store(t == 0 ? *n.store : *own_store_),
      peers_(std::move(peers)) {
  signer_ = w.keys.signer(n.id);
  tsigner_ = w.keys.threshold_signer(n.id);
}

Status SimReplica::start() {
  replica::ReplicaOptions ro;
  ro.self = node.id;
  ro.auth = replica::ClientAuth::ed25519;
  ro.crypto = consensus::Crypto{signer_.get(), &w.keys.verifier(), tsigner_.get(), &w.keys.threshold_verifier()};
  ro.factory = w.o.factory;
  ro.max_inflight = w.o.max_inflight;
  ro.events = this;
  ro.unsafe_ungated_votes = w.o.weaken == Weaken::ungated_votes;
  ro.directory = w.broker_directory();
  auto c = replica::Replica::create(w.cfg, std::move(ro), store, *this, reg_);
  if (!c) return c.error();
  core = std::move(*c);
  height_ = store.last_final();
  if (checked()) w.checker.on_reset(node.id, store.last_final());
  core->start();
  return {};
}

bool SimReplica::checked() const { return !node.byzantine && twin == 0; }

void SimReplica::send_peer(NodeId to, Bytes wire) {
  if (to == node.id || !talks_to(to)) return;
  if (!wire.empty() && wire[0] == static_cast<uint8_t>(replica::PeerTag::share)) {
    if (auto s = replica::decode_share(ByteView(wire).subspan(1))) vouched_.insert(s->k);
  }
  w.replica_send(*this, to, std::move(wire));
}

void SimReplica::broadcast_peer(Bytes wire) {
  for (NodeId p = 0; p < w.cfg.n(); ++p)
    if (p != node.id && talks_to(p)) send_peer(p, wire);
}

bool SimReplica::send_to_client(replica::SinkId to, ByteView frame) {
  w.reply_send(*this, to, frame);
  return true;
}

// Each replica's own clock: a drifting one runs fast or slow.
uint64_t SimReplica::now_ms() { return w.now() * node.drift_pm / 1000 / kMs; }

void SimReplica::set_timer(uint16_t id, uint64_t after_ms) {
  Event e;
  e.type = Ev::timer;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  e.d = (++timer_gen_[id] << 16) | id;
  w.schedule(w.now() + after_ms * kMs * 1000 / node.drift_pm, std::move(e));
}

void SimReplica::cancel_timer(uint16_t id) { ++timer_gen_[id]; }

void SimReplica::fire_timer(uint16_t id, uint64_t gen) {
  if (timer_gen_[id] == gen) core->on_timer(id);
}

void SimReplica::defer(std::function<void()> f) {
  Event e;
  e.type = Ev::call;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  e.fn = std::move(f);
  w.schedule(w.now(), std::move(e));
}

// A background check (a combined proof's pairing, replica/proofs.hpp) takes the pairing's time:
// its result comes back one simulated millisecond later, so replies, crashes and view changes
// fall between a proof's write and its check, as they do in the process.
void SimReplica::background(std::function<bool()> work, std::function<void(bool)> done) {
  Event e;
  e.type = Ev::call;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  e.fn = [done = std::move(done), ok = work()] { done(ok); };
  w.schedule(w.now() + kMs, std::move(e));
}

uint64_t SimReplica::request_sync() {
  const uint64_t gen = store.request();
  if (node.crash_armed && twin == 0) {
    // The crash the fault schedule armed: right after this request, before any sync completes.
    node.crash_armed = false;
    Event c;
    c.type = Ev::crash;
    c.a = node.id;
    c.d = 1;
    w.schedule(w.now() + 1, std::move(c));
  }
  Event e;
  e.type = Ev::sync_done;
  e.a = node.id;
  e.b = twin;
  e.c = node.epoch;
  e.d = gen;
  w.schedule(w.now() + w.rng.range(100, 2000), std::move(e));  // an fsync: 0.1 to 2 ms
  return gen;
}

void SimReplica::fail_stop() { w.fail_stopped(node.id); }

void SimReplica::executed(uint64_t k, View v, const ledger::Block& blk, const std::vector<replica::ReplyEntry>& replies) {
  w.on_executed(node.id, k, v, blk);
  height_ = k;
  if (!checked()) return;
  std::vector<std::pair<uint64_t, uint64_t>> done;
  for (const auto& r : replies) {
    if (r.kind != replica::ReplyKind::executed) continue;
    // Sign-ups run outside the reply cache (idempotent: a retry executes again to the same
    // answer), so they are not held to exactly-once; their effect is checked through the state
    // digest the replicas agree on.
    if (broker::is_signup_result(r.result)) {
      ++w.res.signups_executed;
      continue;
    }
    done.emplace_back(r.client, r.seq);
  }
  w.checker.on_execute(node.id, k, blk.batch_digest, blk.results_root, ledger::block_hash(blk), std::move(done), v,
                       brokered_payloads(k, replies));
}

// The broker path's entries this block executed, as (client, hash of its payload): the replies
// do not carry payloads, so the slot is read back from the ledger (appended just before this
// event) and decoded as the executor did; its requests and the replies are in the same order.
std::vector<std::pair<uint64_t, Hash32>> SimReplica::brokered_payloads(uint64_t k,
                                                                       const std::vector<replica::ReplyEntry>& replies) {
  std::vector<std::pair<uint64_t, Hash32>> out;
  if (!w.broker_directory()) return out;
  auto bytes = store.batch(k);
  if (!bytes) return out;
  // Expanded against the directory this replica executed, which holds the sign-ups (those of
  // block k too, which the executor did not have: a mismatch then only leaves the payloads
  // unchecked; which broker batches the block carried does not depend on it).
  std::vector<replica::DistilledRef> refs;
  auto b = replica::decode_slot(*bytes, &core->executor().directory(), &refs);
  if (!b) return out;
  if (!refs.empty()) w.note_distilled(k, bytes.value(), refs);
  if (b->requests.size() != replies.size()) return out;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (i >= b->brokered.size() || !b->brokered[i]) continue;
    if (replies[i].kind != replica::ReplyKind::executed) {
      ++w.res.brokered_repeats;
      continue;
    }
    ++w.res.brokered_executed;
    out.emplace_back(b->requests[i].client, crypto::blake3::hash(b->requests[i].payload));
  }
  return out;
}

void SimReplica::rolled_back(uint64_t k) {
  // Results we had vouched for, undone: what the view-change argument says never happens to a
  // proven result (SimResult::vouched_rollbacks).
  for (auto it = vouched_.upper_bound(k); it != vouched_.end(); it = vouched_.erase(it))
    if (checked()) ++w.res.vouched_rollbacks;
  height_ = std::min(height_, k);
  if (!checked()) return;
  w.res.rollbacks++;
  w.checker.on_rollback(node.id, k);
}

void SimReplica::finalized(uint64_t k) {
  vouched_.erase(vouched_.begin(), vouched_.upper_bound(k));
  if (checked()) w.checker.on_final(node.id, k);
}

void SimReplica::checkpoint_stable(uint64_t k, const Hash32& head) {
  if (checked()) w.checker.on_checkpoint_stable(node.id, k, head);
}

void SimReplica::state_installed(uint64_t k, const Hash32& head) {
  vouched_.clear();
  height_ = k;
  if (!checked()) return;
  w.res.state_transfers++;
  w.checker.on_state_installed(node.id, k, head);
}

void SimReplica::replayed(uint64_t k, const Hash32& head) {
  if (!checked()) return;
  if (k > height_) ++w.res.replays;
  height_ = k;
  w.checker.on_state_installed(node.id, k, head);
}

void SimReplica::view_changed(View v, NodeId) { w.on_view_installed(v); }

}  // namespace rampart::sim::core
