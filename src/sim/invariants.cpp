#include "sim/invariants.hpp"

namespace rampart::sim {

std::string short_hex(const Hash32& h) { return to_hex(ByteView(h.data(), 4)); }

void InvariantChecker::fail(std::string v) { violations_.push_back(std::move(v)); }

void InvariantChecker::on_execute(ReplicaId r, Seq k, const Hash32& batch, const Hash32& root,
                                  const Hash32& head,
                                  std::vector<std::pair<uint64_t, uint64_t>> executed, uint64_t view,
                                  std::vector<std::pair<uint64_t, Hash32>> brokered) {
  auto& rv = replicas_.at(r);
  if (!rv.correct) return;
  for (const auto& e : brokered)
    if (forbidden_.count(e))
      fail("broker: replica " + std::to_string(r) + " executed client " + std::to_string(e.first) + "'s payload " +
           short_hex(e.second) + " at k=" + std::to_string(k) + ", which only a forged batch carried");
  auto [rview, fresh] = result_views_.emplace(std::make_pair(k, root), view);
  if (!fresh && view < rview->second) rview->second = view;
  if (k != rv.last + 1) {
    fail("replica " + std::to_string(r) + " executed k=" + std::to_string(k) + " after " +
         std::to_string(rv.last) + " (out of order)");
  }
  rv.last = k;
  rv.rolled_back_accepted.erase(k);
  rv.history[k] = Rec{batch, root, head, std::move(executed), std::move(brokered)};
  if (auto it = accepted_.find(k); it != accepted_.end() && it->second != root) {
    // Speculation of a view the accepted result superseded (see on_execute in the header):
    // judged by unsettled(), check_final_upto and check_end instead (poe-mac f=2 seed 91085:
    // a replica restarted into dead view 0 executed its old primary's view-0 certificate for
    // k=8, which view 1, where the clients accepted another batch at k=8, had dropped).
    // The view the result was accepted in: its proof's (a correct replica may have executed the
    // same batch with the same results in an earlier view that was then dropped: poe f=1 seed
    // 1494610953, executed in view 0 by the primary alone, proven in view 2); else the lowest
    // view a correct replica executed it in.
    auto pv = proof_views_.find({k, it->second});
    auto acc = result_views_.find({k, it->second});
    const bool dead_view = pv != proof_views_.end() ? view < pv->second
                                                    : acc != result_views_.end() && view < acc->second;
    if (!dead_view) {
      fail("durability: replica " + std::to_string(r) + " executed results " + short_hex(root) +
           " at k=" + std::to_string(k) + " (view " + std::to_string(view) + ") where a client accepted " +
           short_hex(it->second));
    }
  }
  if (k <= rv.final_point) check_final_upto(r);
}

void InvariantChecker::on_rollback(ReplicaId r, Seq k) {
  auto& rv = replicas_.at(r);
  if (!rv.correct) return;
  if (k < rv.final_point) {
    fail("replica " + std::to_string(r) + " rolled back to k=" + std::to_string(k) +
         " below its final point " + std::to_string(rv.final_point));
  }
  for (auto it = rv.history.upper_bound(k); it != rv.history.end(); ++it) {
    auto a = accepted_.find(it->first);
    if (a != accepted_.end() && a->second == it->second.root) rv.rolled_back_accepted.insert(it->first);
  }
  rv.history.erase(rv.history.upper_bound(k), rv.history.end());
  if (k < rv.last) rv.last = k;
  if (rv.checked_final > k) rv.checked_final = k;
}

void InvariantChecker::on_final(ReplicaId r, Seq k) {
  auto& rv = replicas_.at(r);
  if (!rv.correct) return;
  if (k > rv.final_point) rv.final_point = k;
  check_final_upto(r);
}

void InvariantChecker::check_final_upto(ReplicaId r) {
  auto& rv = replicas_[r];
  Seq upto = std::min(rv.final_point, rv.last);
  for (auto it = rv.history.upper_bound(rv.checked_final); it != rv.history.end() && it->first <= upto; ++it) {
    Seq k = it->first;
    const Rec& rec = it->second;
    auto [f, inserted] = final_.emplace(k, std::make_pair(rec.batch, rec.root));
    if (!inserted && (f->second.first != rec.batch || f->second.second != rec.root)) {
      fail("agreement: replica " + std::to_string(r) + " final batch " + short_hex(rec.batch) + "/results " +
           short_hex(rec.root) + " at k=" + std::to_string(k) + " but another correct replica has " +
           short_hex(f->second.first) + "/" + short_hex(f->second.second));
    }
    if (auto a = accepted_.find(k); a != accepted_.end() && a->second != rec.root) {
      fail("durability: final results at k=" + std::to_string(k) + " on replica " + std::to_string(r) +
           " differ from the accepted " + short_hex(a->second));
    }
    if (auto c = checkpoints_.find(k); c != checkpoints_.end() && c->second != rec.head) {
      fail("checkpoint: replica " + std::to_string(r) + " ledger head at stable checkpoint k=" + std::to_string(k) +
           " is " + short_hex(rec.head) + ", stable head " + short_hex(c->second));
    }
    for (const auto& req : rec.executed) {
      if (!rv.final_requests.insert(req).second) {
        fail("at-most-once: replica " + std::to_string(r) + " executed client " + std::to_string(req.first) +
             " seq " + std::to_string(req.second) + " twice in its final history (again at k=" +
             std::to_string(k) + ")");
      }
    }
    for (const auto& e : rec.brokered) {
      auto [b, fresh] = brokered_final_.emplace(e, k);
      if (!fresh && b->second != k)
        fail("at-most-once (broker path): replica " + std::to_string(r) + " executed client " + std::to_string(e.first) +
             "'s payload " + short_hex(e.second) + " at k=" + std::to_string(k) + ", and it was already final at k=" +
             std::to_string(b->second));
    }
    rv.checked_final = k;
  }
}

void InvariantChecker::on_state_installed(ReplicaId r, Seq k, const Hash32& head) {
  auto& rv = replicas_.at(r);
  if (!rv.correct) return;
  if (auto c = checkpoints_.find(k); c != checkpoints_.end() && c->second != head) {
    fail("checkpoint: replica " + std::to_string(r) + " installed a state with head " + short_hex(head) + " at k=" +
         std::to_string(k) + ", stable head " + short_hex(c->second));
  }
  // Its history below k is now the checkpoint's; what it executed above k is gone.
  rv.rolled_back_accepted.erase(rv.rolled_back_accepted.begin(), rv.rolled_back_accepted.upper_bound(k));
  rv.history.clear();
  rv.last = k;
  rv.checked_final = k;
  if (rv.final_point < k) rv.final_point = k;
}

void InvariantChecker::on_reset(ReplicaId r, Seq from) {
  auto& rv = replicas_.at(r);
  rv.rolled_back_accepted.clear();
  rv.final_requests.clear();  // it may legitimately re-execute batches below its old final point
  rv.history.clear();
  rv.last = from;
  rv.checked_final = from;
  rv.final_point = from;
}

void InvariantChecker::on_checkpoint_stable(ReplicaId r, Seq k, const Hash32& digest) {
  auto& rv = replicas_.at(r);
  if (!rv.correct) return;
  auto [it, inserted] = checkpoints_.emplace(k, digest);
  if (!inserted && it->second != digest) {
    fail("checkpoint: replica " + std::to_string(r) + " stable digest " + short_hex(digest) + " at k=" +
         std::to_string(k) + " but another correct replica has " + short_hex(it->second));
  }
}

void InvariantChecker::on_accept(uint64_t client, uint64_t seq, Seq k, const Hash32& root, uint64_t view) {
  note_proof_view(k, root, view);
  accept(k, root, "client " + std::to_string(client) + " seq " + std::to_string(seq));
}

void InvariantChecker::on_proof(Seq k, const Hash32& root, uint64_t view) {
  note_proof_view(k, root, view);
  accept(k, root, "a proof of execution");
}

void InvariantChecker::note_proof_view(Seq k, const Hash32& root, uint64_t view) {
  if (view == ~uint64_t{0}) return;
  auto [it, fresh] = proof_views_.emplace(std::make_pair(k, root), view);
  if (!fresh) it->second = std::min(it->second, view);
}

void InvariantChecker::accept(Seq k, const Hash32& root, const std::string& who) {
  auto [it, inserted] = accepted_.emplace(k, root);
  if (!inserted && it->second != root) {
    fail("durability: " + who + " accepted results " + short_hex(root) + " at k=" + std::to_string(k) +
         " but another client or proof accepted " + short_hex(it->second));
  }
  if (auto f = final_.find(k); f != final_.end() && f->second.second != root) {
    fail("durability: " + who + " accepted results " + short_hex(root) + " at k=" + std::to_string(k) +
         " but the final results there are " + short_hex(f->second.second));
  }
}

bool InvariantChecker::unsettled() const {
  for (const auto& rv : replicas_) {
    if (!rv.correct) continue;
    if (!rv.rolled_back_accepted.empty()) return true;
    // A contradicting result at or below the final point is never settled by waiting: it was
    // already reported by check_final_upto; only speculative ones may still be rolled back.
    for (auto h = rv.history.upper_bound(rv.final_point); h != rv.history.end(); ++h) {
      auto a = accepted_.find(h->first);
      if (a != accepted_.end() && a->second != h->second.root) return true;
    }
  }
  return false;
}

void InvariantChecker::check_end() {
  for (ReplicaId r = 0; r < replicas_.size(); ++r) {
    const auto& rv = replicas_[r];
    if (!rv.correct) continue;
    for (Seq k : rv.rolled_back_accepted) {
      fail("durability: replica " + std::to_string(r) + " rolled back the accepted result at k=" +
           std::to_string(k) + " and did not execute it again within the liveness bound");
    }
    for (const auto& [k, root] : accepted_) {
      if (k > rv.last) continue;  // a lagging replica has not reached it (liveness, not safety)
      auto h = rv.history.find(k);
      if (h == rv.history.end()) continue;  // covered by an installed checkpoint
      if (h->second.root != root) {
        fail("durability: at the end replica " + std::to_string(r) + " holds results " +
             short_hex(h->second.root) + " at k=" + std::to_string(k) + ", a client accepted " + short_hex(root));
      }
    }
  }
}

}  // namespace rampart::sim
