// The simulator's clients: closed loop, real Ed25519 requests, retries to every replica,
// and acceptance only of a reply whose CART proof verifies under the group key.
#include <cstdio>

#include "app/kv/op.hpp"
#include "broker/signup.hpp"
#include "crypto/bls.hpp"
#include "client/verify.hpp"
#include "common/codec.hpp"
#include "replica/client_wire.hpp"
#include "sim/world.hpp"

namespace rampart::sim::core {

namespace {
class KeySigner final : public replica::ClientSigner {
 public:
  explicit KeySigner(const crypto::ed25519::KeyPair& k) : k_(k) {}
  Bytes sign(ByteView msg) const override {
    auto s = k_.sign(msg);
    return Bytes(s.begin(), s.end());
  }

 private:
  const crypto::ed25519::KeyPair& k_;
};
}  // namespace

void World::client_next(Client& c) {
  if (c.done >= o.requests_per_client) return;
  ++c.seq;
  Bytes body;
  c.signup = o.signups > 0 && rng.below(o.signups) == 0;
  if (c.signup) {
    // A sign-up of this client's key, with a BLS key derived from its Ed25519 seed (so a second
    // sign-up of the client is the same one: the same id back).
    const auto bls = *crypto::bls::SecretKey::from_seed(c.key->seed());
    body = broker::encode_signup_op(crypto::bls::public_key(bls), crypto::bls::prove_possession(bls));
  } else {
    const std::string key = "k" + std::to_string(rng.below(8));
    app::kv::Op op;
    const uint64_t which = rng.below(10);
    if (which < 5) op = app::kv::put(key, "c" + std::to_string(c.index) + "s" + std::to_string(c.seq));
    else if (which < 8) op = app::kv::get(key);
    else op = app::kv::del(key);
    body = app::kv::encode_op(op);
  }
  const auto& pk = c.key->public_key();
  Bytes payload(pk.begin(), pk.end());
  payload.insert(payload.end(), body.begin(), body.end());
  c.frame = client::encode_request_frame(replica::make_request(c.id, c.seq, std::move(payload), KeySigner(*c.key)));
  c.waiting = true;
  c.attempt = 0;
  c.sent_at = now_;
  net_send(cfg.n() + c.index, static_cast<uint32_t>(rng.below(cfg.n())), c.frame);
  Event e;
  e.type = Ev::client_timer;
  e.a = c.index;
  e.c = c.seq;
  schedule(now_ + o.client_timeout_ms * kMs, std::move(e));
}

void World::client_timeout(Client& c, uint64_t seq, uint64_t attempt) {
  if (!c.waiting || c.seq != seq || c.attempt != attempt) return;
  ++c.attempt;
  // Like a real client: after a timeout, to every replica.
  for (NodeId r = 0; r < cfg.n(); ++r) net_send(cfg.n() + c.index, r, c.frame);
  Event e;
  e.type = Ev::client_timer;
  e.a = c.index;
  e.c = seq;
  e.d = c.attempt;
  schedule(now_ + o.client_timeout_ms * kMs * std::min<uint64_t>(c.attempt + 1, 8), std::move(e));
}

void World::deliver_to_client(Client& c, ByteView frame) {
  auto m = client::decode_message(frame);
  if (m && o.verbose && m->tag == client::kTagReject)
    std::printf("  [c%u REJECT seq %llu: %s]\n", c.index, static_cast<unsigned long long>(m->reject.seq),
                m->reject.reason.c_str());
  if (!m || m->tag != client::kTagReply || !c.waiting) return;
  const client::Reply& r = m->reply;
  if (r.client != c.id || r.seq != c.seq) return;
  // The only thing a client trusts is the group key: a reply whose proof does not verify (a
  // liar's, a forgery) is ignored, however many replicas send it.
  if (auto v = client::verify_reply(r, c.id, c.seq, keys.threshold_verifier()); !v) {
    if (o.verbose) std::printf("  [c%u refused a reply for seq %llu: %s]\n", c.index, static_cast<unsigned long long>(r.seq), v.error().message.c_str());
    return;
  }
  checker.on_accept(c.id, c.seq, r.k, r.results_root, r.view);
  if (c.signup && brokers_) {
    if (auto s = broker::decode_signup_result(r.result); s && s->ok) c.signed_up_id = s->id;
  }
  if (gst_waiting_.erase(c.index) && now_ >= fault_end_) res.recovery_us = std::max(res.recovery_us, now_ - fault_end_);
  c.waiting = false;
  ++c.done;
  res.requests_accepted++;
  // A client whose sign-up came back proven moves to the broker path once its direct requests
  // are done, as a real client hands a broker its sign-up certificate (docs/brokers.md,
  // "Sign-up"). Not before: both paths share its id's sequence numbers, and a broker's raise
  // above a direct request still in flight would leave that request stale for ever.
  if (c.done == o.requests_per_client && c.signed_up_id && brokers_)
    brokers_->signed_up(*c.signed_up_id, *c.key, *crypto::bls::SecretKey::from_seed(c.key->seed()), c.seq);
  Event e;
  e.type = Ev::client_next;
  e.a = c.index;
  schedule(now_ + rng.range(0, 5 * kMs), std::move(e));
}

bool World::all_done() const {
  for (const auto& c : clients_)
    if (c.done < o.requests_per_client) return false;
  return !brokers_ || brokers_->done();
}

// Twins: the other replicas split into two non-empty groups, each twin talking to one; drawn
// again at every new view.
void World::split_twins(Node& n) {
  auto [a, b] = twin_peers(rng, n.id, cfg.n());
  n.inst[0]->set_peers(std::move(a));
  n.inst[1]->set_peers(std::move(b));
}

void World::on_view_installed(View v) {
  if (!in_fault_phase() || v <= cut_view_) return;
  cut_view_ = v;
  for (auto& n : nodes)
    if (n.byzantine && n.inst.size() == 2) split_twins(n);
  if (!o.faults.has(Fault::isolate)) return;
  cut_ = draw_cut(rng, executed_by_, cfg.n(), cfg.f);
}

void World::on_executed(NodeId r, uint64_t k, View v, const ledger::Block& blk) {
  root_of_block_[ledger::block_hash(blk)] = blk.results_root;
  if (!o.faults.has(Fault::isolate) || !in_fault_phase() || nodes[r].byzantine) return;
  executed_by_[k][{v, blk.batch_digest}].insert(r);
  while (executed_by_.size() > 2 * cfg.window) executed_by_.erase(executed_by_.begin());
}

void World::fail_stopped(NodeId r) {
  if (!nodes[r].byzantine)
    checker.report("replica " + std::to_string(r) + " stopped itself: its ledger disagrees with the cluster's");
  // Down at once, but not from inside the core's own call: an event at this instant.
  Event e;
  e.type = Ev::crash;
  e.a = r;
  e.d = 1;
  schedule(now_, std::move(e));
}

// Bounded memory under floods: a correct replica's protocol never holds more batches than its
// own clients' plus every backup's forwarding quota.
void World::check_memory() {
  const uint64_t bound = 4 * cfg.window + 2 * uint64_t{o.max_inflight} * cfg.n();
  for (const auto& n : nodes) {
    if (n.byzantine || !n.up || n.inst.empty() || !n.inst[0]->core) continue;
    const uint64_t pending = n.inst[0]->core->protocol().stats().pending;
    if (pending > bound)
      checker.report("memory: replica " + std::to_string(n.id) + " holds " + std::to_string(pending) +
                     " pending batches (bound " + std::to_string(bound) + ")");
  }
}

std::string World::replica_states() const {
  std::string out;
  for (const auto& n : nodes) {
    for (const auto& in : n.inst) {
      if (!in->core) continue;
      const auto st = in->core->protocol().stats();
      const auto g = in->core->gauges();
      out += " r" + std::to_string(n.id) + (n.inst.size() > 1 ? "." + std::to_string(in->twin) : "") + "{view " +
             std::to_string(st.view) + ", exec " + std::to_string(st.last_executed) + "/" + std::to_string(g.height) +
             ", final " + std::to_string(g.final_height) + ", stable " + std::to_string(st.stable_checkpoint) +
             (in->core->syncing() ? ", rejoining" : "") + (n.up ? "" : ", down") + "}";
    }
  }
  return out;
}

}  // namespace rampart::sim::core
