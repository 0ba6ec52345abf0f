// The simulated world's clients (closed loop, retries, acceptance of replies) and the checks
// made as the run goes (views, executions, twins, memory).
#include <algorithm>

#include "app/kv/op.hpp"
#include "common/codec.hpp"
#include "sim/world.hpp"

namespace rampart::sim::detail {

// ---- clients -----------------------------------------------------------------------------

void World::client_next(Client& c) {
  if (c.done >= o.requests_per_client) return;
  ++c.seq;
  std::string key = "k" + std::to_string(rng.below(8));
  app::kv::Op op;
  uint64_t which = rng.below(10);
  if (which < 5) {
    op = app::kv::put(key, "c" + std::to_string(c.id) + "s" + std::to_string(c.seq));
  } else if (which < 8) {
    op = app::kv::get(key);
  } else {
    op = app::kv::del(key);
  }
  c.cur = replica::make_request(c.id, c.seq, app::kv::encode_op(op), *c.signer);
  c.waiting = true;
  c.attempt = 0;
  c.sent_at = now_;
  c.votes.clear();
  net_send(cfg.n + static_cast<uint32_t>(c.id), static_cast<uint32_t>(rng.below(cfg.n)), Tag::request,
           replica::encode_request(c.cur));
  Event e;
  e.type = EvType::client_timer;
  e.a = static_cast<uint32_t>(c.id);
  e.c = c.seq;
  e.d = 0;
  schedule(now_ + o.client_timeout_ms * kMs, std::move(e));
}

void World::client_timeout(Client& c, uint64_t seq, uint64_t attempt) {
  if (!c.waiting || c.cur.seq != seq || c.attempt != attempt) return;
  ++c.attempt;
  // Like a real client: after a timeout, send to every replica.
  Bytes req = replica::encode_request(c.cur);
  for (NodeId r = 0; r < cfg.n; ++r) net_send(cfg.n + static_cast<uint32_t>(c.id), r, Tag::request, req);
  Event e;
  e.type = EvType::client_timer;
  e.a = static_cast<uint32_t>(c.id);
  e.c = seq;
  e.d = c.attempt;
  schedule(now_ + o.client_timeout_ms * kMs * std::min<uint64_t>(c.attempt + 1, 8), std::move(e));
}

void World::deliver_to_client(Client& c, uint32_t from, ByteView body) {
  if (from >= cfg.n) return;
  Reader r(body);
  uint64_t client = r.u64();
  uint64_t seq = r.u64();
  View view = r.u64();
  uint64_t k = r.u64();
  ledger::Block header;
  header.k = k;
  Hash32 root = header.results_root = r.fixed<32>();
  header.batch_digest = r.fixed<32>();
  header.prev_hash = r.fixed<32>();
  header.state_digest = r.fixed<32>();
  Bytes result = r.bytes(1 << 20);
  const bool with_proof = r.u8() == 1;
  if (!r.finish() || client != c.id || !c.waiting || seq != c.cur.seq) return;
  // The proof signs the block hash, which the client computes from the header the reply carries:
  // it binds the results root the reply's result is proven against.
  const Hash32 head = ledger::block_hash(header);
  if (with_proof) {
    // One reply carrying the group signature is enough, as for a real CART client; a replica
    // can attach only a proof that nf shares made (proof()).
    auto v = proof(k, head);
    if (!v || *v != view) return;
  } else {
    // nf replicas vouching for one (view, k, block): what a CART proof is made of.
    const View key_view = o.weaken == Weaken::cross_view_proofs ? 0 : view;
    auto& voters = c.votes[{key_view, k, head, root, result}];
    voters.insert(from);
    if (voters.size() < cfg.nf()) return;
  }
  checker.on_accept(c.id, seq, k, root, view);
  if (gst_waiting_.erase(c.id) && now_ >= fault_end_) res.recovery_us = std::max(res.recovery_us, now_ - fault_end_);
  c.waiting = false;
  ++c.done;
  res.requests_accepted++;
  Event e;
  e.type = EvType::client_next;
  e.a = static_cast<uint32_t>(c.id);
  schedule(now_ + rng.range(0, 5 * kMs), std::move(e));
}

std::string World::replica_states() const {
  std::string out;
  for (const auto& n : nodes) {
    for (const auto& in : n.inst) {
      if (!in->proto) continue;
      consensus::Stats st = in->proto->stats();
      out += " r" + std::to_string(n.id) + (n.inst.size() > 1 ? "." + std::to_string(in->twin) : "") +
             "{view " + std::to_string(st.view) + ", exec " + std::to_string(st.last_executed) + "/" +
             std::to_string(in->ex.last_executed()) + ", stable " + std::to_string(st.stable_checkpoint) +
             (in->proto->has_pending() ? ", pending" : "") + (n.up ? "" : ", down") + "}";
    }
  }
  return out;
}

// Twins: each new view gets a new cut, drawn by the adversary, until GST. Whoever holds what the
// others lack is as likely to be cut off as anyone, so view changes form from every possible
// subset of requests over a run.
void World::on_view_installed(View v) {
  if (!in_fault_phase() || v <= cut_view_) return;
  for (auto& n : nodes)
    if (n.byzantine && n.inst.size() == 2) split_twins(n);  // Twins: a new split per view
  if (!o.faults.has(Fault::isolate)) return;
  cut_view_ = v;
  cut_ = draw_cut(rng, executed_by_, cfg.n, cfg.f);
}

void World::on_executed(NodeId r, consensus::Seq k, View v, const Hash32& batch) {
  if (!o.faults.has(Fault::isolate) || !in_fault_phase()) return;
  executed_by_[k][{v, batch}].insert(r);
  while (executed_by_.size() > 2 * cfg.window) executed_by_.erase(executed_by_.begin());
}

// Twins: the other replicas split into two non-empty groups, each twin talking to one; drawn
// again at every new view, so a replica may hear one twin in one view and the other in the next.
void World::split_twins(Node& n) {
  auto [a, b] = twin_peers(rng, n.id, cfg.n);
  n.inst[0]->set_peers(std::move(a));
  n.inst[1]->set_peers(std::move(b));
}

// Bounded memory under floods: a correct replica's protocol never holds more batches than its
// own clients' plus every backup's forwarding quota.
void World::check_memory() {
  const uint64_t bound = 4 * cfg.window + 2 * uint64_t{cfg.max_inflight} * cfg.n;
  for (const auto& n : nodes) {
    if (n.byzantine || !n.up) continue;
    for (const auto& in : n.inst) {
      if (!in->proto) continue;
      const uint64_t pending = in->proto->stats().pending;
      if (pending > bound)
        checker.report("memory: replica " + std::to_string(n.id) + " holds " + std::to_string(pending) +
                       " pending batches (bound " + std::to_string(bound) + ")");
    }
  }
}

bool World::all_done() const {
  for (const auto& c : clients_) {
    if (c.done < o.requests_per_client) return false;
  }
  return true;
}

}  // namespace rampart::sim::detail
