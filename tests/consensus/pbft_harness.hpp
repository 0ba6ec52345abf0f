#pragma once
// Test doubles for PBFT: an Env that records every output, and an in-memory cluster of
// PbftReplicas with a deterministic message queue (seeded loss/reorder, crashed replicas,
// a drop filter) and timers the test fires by hand. No clocks, no threads.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "consensus/pbft/digest.hpp"
#include "consensus/pbft/messages.hpp"
#include "consensus/pbft/replica.hpp"
#include "crypto/fake.hpp"

namespace rampart::consensus::pbft::testing {

inline constexpr NodeId kAll = ~NodeId{0};

struct Sent {
  NodeId to;  // kAll for broadcast
  Bytes msg;
};

class RecordingEnv final : public Env {
 public:
  std::vector<Sent> sent;
  std::vector<std::tuple<Seq, View, Bytes>> executed;
  std::vector<Seq> finals;
  std::vector<std::pair<Seq, Hash32>> stable;
  std::vector<std::pair<View, NodeId>> views;
  std::vector<std::pair<Seq, Hash32>> transfers;
  std::map<TimerKind, uint64_t> timers;  // armed timers and their delay
  std::function<bool(ByteView)> validator = [](ByteView) { return true; };
  std::function<void(NodeId to, const Bytes&)> sink;  // cluster hook
  Hash32 state{};
  std::map<Seq, Hash32> state_at;
  // The durable journal, as the replica layer keeps it: one body per (seq, kind), pruned below
  // the stable checkpoint. Counters let tests check what the hot path writes.
  std::map<std::pair<Seq, uint8_t>, Bytes> journal;
  size_t journal_puts = 0;
  uint64_t journal_bytes = 0;
  std::vector<Seq> prunes;
  std::vector<CheckpointCert> certified;  // persisted with the snapshot by a real replica layer

  void send(NodeId to, Bytes msg) override {
    if (sink) sink(to, msg);
    sent.push_back({to, std::move(msg)});
  }
  void broadcast(Bytes msg) override { send(kAll, std::move(msg)); }
  bool validate_batch(ByteView batch) override { return validator(batch); }
  ExecResult execute(Seq k, View v, ByteView batch) override {
    executed.emplace_back(k, v, Bytes(batch.begin(), batch.end()));
    Bytes chain(state.begin(), state.end());
    chain.insert(chain.end(), batch.begin(), batch.end());
    state = batch_digest(chain);
    state_at[k] = state;
    return {state, {}, state};  // the state is a chain over the batches: it serves as the head
  }
  void rollback(Seq) override { ADD_FAILURE() << "PBFT never rolls back"; }
  void final(Seq k) override { finals.push_back(k); }
  void checkpoint_stable(Seq k, const Hash32& d) override { stable.emplace_back(k, d); }
  void view_changed(View v, NodeId p) override { views.emplace_back(v, p); }
  void need_state_transfer(Seq k, const Hash32& d) override { transfers.emplace_back(k, d); }
  void checkpoint_certified(const CheckpointCert& c) override { certified.push_back(c); }
  void journal_put(Seq seq, uint8_t kind, Bytes body) override {
    ++journal_puts;
    journal_bytes += body.size();
    journal[{seq, kind}] = std::move(body);
  }
  void journal_prune(Seq upto) override {
    prunes.push_back(upto);
    for (auto it = journal.begin(); it != journal.end();)
      it = (it->first.first > 0 && it->first.first <= upto) ? journal.erase(it) : std::next(it);
  }
  // The journal as RestartPoint::journal hands it back: ordered by (seq, kind).
  std::vector<JournalRecord> journal_records() const {
    std::vector<JournalRecord> out;
    for (const auto& [key, body] : journal) out.push_back({key.first, key.second, body});
    return out;
  }
  // What a replica restarted from this Env's disk gets: the executed height (the ledger), the
  // newest certified checkpoint stored with its snapshot, and the journal.
  RestartPoint restart_point(Seq interval, bool with_journal = true) const {
    RestartPoint rp;
    rp.k = executed.empty() ? 0 : std::get<0>(executed.back());
    rp.head = state;
    for (auto it = certified.rbegin(); it != certified.rend(); ++it)
      if (it->k <= rp.k) {
        rp.checkpoint = *it;
        break;
      }
    for (const auto& [k, st] : state_at)
      if (k > rp.checkpoint.k && k <= rp.k && k % interval == 0) rp.checkpoint_heads.emplace_back(k, st);
    if (with_journal) rp.journal = journal_records();
    return rp;
  }
  void set_timer(TimerKind t, uint64_t ms) override { timers[t] = ms; }
  void cancel_timer(TimerKind t) override { timers.erase(t); }

  std::vector<Bytes> executed_batches() const {
    std::vector<Bytes> out;
    for (const auto& e : executed) out.push_back(std::get<2>(e));
    return out;
  }
  // Messages of one type sent so far (broadcast or not).
  std::vector<Bytes> of_type(MsgType t) const {
    std::vector<Bytes> out;
    for (const auto& s : sent) {
      auto ty = peek_type(s.msg);
      if (ty.ok() && *ty == t) out.push_back(s.msg);
    }
    return out;
  }
};

inline Bytes batch_of(int i) {
  std::string s = "batch-" + std::to_string(i);
  return Bytes(s.begin(), s.end());
}

// VIEW-CHANGE for view v from `id`, signed by `signer`, with optional prepared certificates.
inline Bytes make_vc(const std::vector<std::unique_ptr<crypto::Signer>>& signers, View v, NodeId id,
              std::vector<PreparedCert> prepared = {}, NodeId signer = kAll) {
  ViewChange m;
  m.new_view = v;
  m.replica = id;
  m.prepared = std::move(prepared);
  return encode_view_change(m, *signers[signer == kAll ? id : signer]);
}

// Prepared certificate for batch b at (view 0, seq n): primary 0's pre-prepare, the prepares of the
// first two others.
inline PreparedCert prepared_cert(const std::vector<std::unique_ptr<crypto::Signer>>& signers, Seq n, const Bytes& b,
                           View v = 0) {
  Hash32 d = batch_digest(b);
  NodeId p = v % 4;
  PreparedCert c{v, n, d, b, signers[p]->sign(pre_prepare_body(v, n, d)), {}};
  for (NodeId i = 0; i < 4; ++i)
    if (i != p && c.prepares.size() < 2) c.prepares.push_back({i, signers[i]->sign(vote_body(MsgType::prepare, v, n, d, i))});
  return c;
}

struct Envelope {
  NodeId from, to;
  Bytes msg;
};

class Cluster {
 public:
  explicit Cluster(uint32_t f, Config base = {}, uint64_t seed = 1)
      : keys_(3 * f + 1, 2 * f + 1, seed), rng_(seed) {
    base.f = f;
    base.n = 3 * f + 1;
    cfg = base;
    for (NodeId i = 0; i < base.n; ++i) {
      signers_.push_back(keys_.signer(i));
      envs.push_back(std::make_unique<RecordingEnv>());
    }
    for (NodeId i = 0; i < base.n; ++i) {
      Config c = base;
      c.self = i;
      envs[i]->sink = [this, i](NodeId to, const Bytes& m) {
        if (to == kAll) {
          for (NodeId j = 0; j < cfg.n; ++j)
            if (j != i) queue_.push_back({i, j, m});
        } else {
          queue_.push_back({i, to, m});
        }
      };
      Crypto cr{signers_[i].get(), &keys_.verifier(), nullptr, nullptr};
      reps.push_back(std::make_unique<PbftReplica>(c, cr, *envs[i]));
    }
    for (auto& r : reps) r->start();
  }

  Config cfg;
  std::vector<std::unique_ptr<RecordingEnv>> envs;
  std::vector<std::unique_ptr<PbftReplica>> reps;
  std::set<NodeId> crashed;  // neither sends nor receives, timers do not fire
  double loss = 0;           // probability a message is dropped
  bool reorder = false;      // deliver a random queued message instead of the oldest
  double duplicate = 0;      // probability a delivered message is delivered twice
  std::function<bool(const Envelope&)> drop;  // extra filter: true = drop

  const crypto::FakeKeyring& keys() const { return keys_; }

  // Deliver until the queue is empty (bounded, so a livelock fails the test instead of hanging).
  size_t run(size_t max_steps = 2'000'000) {
    size_t steps = 0;
    while (!queue_.empty() && steps < max_steps) {
      size_t idx = 0;
      if (reorder) idx = std::uniform_int_distribution<size_t>(0, queue_.size() - 1)(rng_);
      Envelope e = std::move(queue_[idx]);
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(idx));
      ++steps;
      if (crashed.count(e.from) || crashed.count(e.to)) continue;
      if (drop && drop(e)) continue;
      if (loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss) continue;
      reps[e.to]->on_message(e.from, e.msg);
      if (duplicate > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < duplicate)
        reps[e.to]->on_message(e.from, e.msg);
    }
    return steps;
  }

  // Fire timer `t` at every live replica that has it armed.
  void fire(TimerKind t) {
    for (NodeId i = 0; i < cfg.n; ++i) {
      if (crashed.count(i)) continue;
      auto it = envs[i]->timers.find(t);
      if (it == envs[i]->timers.end()) continue;
      envs[i]->timers.erase(it);
      reps[i]->on_timer(t);
    }
  }

  // Crash-restart with amnesia: a fresh protocol object and an empty application state.
  void restart(NodeId i) {
    auto sink = envs[i]->sink;
    envs[i] = std::make_unique<RecordingEnv>();
    envs[i]->sink = sink;
    served_[i] = 0;
    Config c = cfg;
    c.self = i;
    reps[i] = std::make_unique<PbftReplica>(c, Crypto{signers_[i].get(), &keys_.verifier(), nullptr, nullptr}, *envs[i]);
    reps[i]->start();
  }

  // Crash-restart from the replica's own disk: a fresh protocol object, the application state
  // and executed log kept (the ledger), and, unless with_journal is false, the journal; the
  // replica gets them through on_restart (also with k = 0 when only the journal survived).
  void restart_from_disk(NodeId i, bool with_journal = true) {
    auto old = std::move(envs[i]);
    envs[i] = std::make_unique<RecordingEnv>();
    RecordingEnv& e = *envs[i];
    e.sink = old->sink;
    e.validator = old->validator;
    e.state = old->state;
    e.state_at = old->state_at;
    e.executed = old->executed;
    e.certified = old->certified;
    if (with_journal) e.journal = old->journal;
    served_[i] = 0;
    Config c = cfg;
    c.self = i;
    reps[i] = std::make_unique<PbftReplica>(c, Crypto{signers_[i].get(), &keys_.verifier(), nullptr, nullptr}, e);
    reps[i]->start();
    RestartPoint rp = e.restart_point(cfg.checkpoint_interval, with_journal);
    if (rp.k > 0 || !rp.journal.empty()) reps[i]->on_restart(rp);
  }

  // Play the replica layer's state transfer: a replica that asked for the state of stable
  // checkpoint k gets it from a live peer whose state at k has the requested digest.
  void serve_state_transfers() {
    for (NodeId i = 0; i < cfg.n; ++i) {
      if (crashed.count(i)) continue;
      auto& asked = envs[i]->transfers;
      while (served_[i] < asked.size()) {
        auto [k, digest] = asked[served_[i]++];
        if (reps[i]->stats().last_executed >= k) continue;  // caught up meanwhile
        for (NodeId j = 0; j < cfg.n; ++j) {
          auto it = envs[j]->state_at.find(k);
          if (j == i || crashed.count(j) || it == envs[j]->state_at.end() || it->second != digest) continue;
          envs[i]->state = digest;
          envs[i]->state_at[k] = digest;
          // The executed log of the replica that served it stands in for the transferred state.
          auto& mine = envs[i]->executed;
          const auto& theirs = envs[j]->executed;
          mine.clear();
          for (const auto& e : theirs)
            if (std::get<0>(e) <= k) mine.push_back(e);
          reps[i]->on_state_transferred(k, digest);
          break;
        }
      }
    }
  }

  void submit_all(const Bytes& b) {
    for (NodeId i = 0; i < cfg.n; ++i)
      if (!crashed.count(i)) reps[i]->submit(b);
  }

  bool all_executed(Seq k) const {
    for (NodeId i = 0; i < cfg.n; ++i)
      if (!crashed.count(i) && reps[i]->stats().last_executed < k) return false;
    return true;
  }

  // Every live replica executed at least `count` non-null batches (null requests pad seqs).
  bool all_executed_batches(size_t count) const {
    for (NodeId i = 0; i < cfg.n; ++i) {
      if (crashed.count(i)) continue;
      size_t real = 0;
      for (const auto& e : envs[i]->executed) real += !std::get<2>(e).empty();
      if (real < count) return false;
    }
    return true;
  }

  // Every live replica executed every batch of `want` (at least once).
  bool all_have(const std::vector<Bytes>& want) const {
    for (NodeId i = 0; i < cfg.n; ++i) {
      if (crashed.count(i)) continue;
      std::set<Bytes> got;
      for (const auto& e : envs[i]->executed) got.insert(std::get<2>(e));
      for (const auto& b : want)
        if (!got.count(b)) return false;
    }
    return true;
  }

  // Safety: every pair of replicas executed the same batch at every seq both executed.
  void expect_consistent() const {
    for (NodeId i = 0; i < cfg.n; ++i)
      for (NodeId j = i + 1; j < cfg.n; ++j) {
        const auto& a = envs[i]->executed;
        const auto& b = envs[j]->executed;
        for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
          EXPECT_EQ(std::get<0>(a[k]), std::get<0>(b[k]));
          if (std::get<2>(a[k]) != std::get<2>(b[k])) {
            ADD_FAILURE() << "replicas " << i << "," << j << " diverge at " << k << "\n" << logs();
            return;
          }
        }
      }
  }

  // The executed logs, "seq=batch@view" per replica (for failure messages).
  std::string logs() const {
    std::string out;
    for (NodeId i = 0; i < cfg.n; ++i) {
      out += "r" + std::to_string(i) + ":";
      for (const auto& [k, v, b] : envs[i]->executed)
        out += " " + std::to_string(k) + "=" + (b.empty() ? std::string("null") : to_string(b)) + "@" + std::to_string(v);
      out += "\n";
    }
    return out;
  }

  size_t queued() const { return queue_.size(); }

 private:
  crypto::FakeKeyring keys_;
  std::vector<std::unique_ptr<crypto::Signer>> signers_;
  std::mt19937_64 rng_;
  std::deque<Envelope> queue_;
  std::map<NodeId, size_t> served_;
};

}  // namespace rampart::consensus::pbft::testing
