#pragma once
// Deterministic test harness for PoE: a fake Env that records every output and keeps a tiny
// hash-chain "state machine" with undo, and an in-memory cluster that delivers messages in
// FIFO order through a drop filter. No threads, no clocks: timers are fired by the test.
#include <gtest/gtest.h>

#include <deque>
#include <set>
#include <string>
#include <utility>
#include <functional>
#include <map>
#include <random>
#include <memory>
#include <vector>

#include "consensus/poe/messages.hpp"
#include "consensus/protocol.hpp"
#include "crypto/fake.hpp"

namespace rampart::consensus::test {

struct Sent {
  NodeId to;  // kBroadcast for broadcast
  Bytes msg;
};
constexpr NodeId kBroadcast = 0xffffffff;

class FakeEnv : public Env {
 public:
  std::vector<Sent> out;
  struct Exec {
    Seq k;
    View v;
    Hash32 digest;
    Hash32 state;  // after k: a chain over the digests, so it names the history 1..k
  };
  std::vector<Exec> execs;       // every execute() call, in order
  std::vector<Hash32> chain;     // live state: digest of each executed batch, index k-1
  std::vector<Hash32> states;    // state digest after each live batch
  std::vector<Seq> rollbacks, finals;
  std::vector<std::pair<Seq, Hash32>> stable, transfers;
  std::vector<std::pair<View, NodeId>> views;
  std::map<TimerKind, uint64_t> timers;  // armed timers

  void send(NodeId to, Bytes msg) override { out.push_back({to, std::move(msg)}); }
  void broadcast(Bytes msg) override { out.push_back({kBroadcast, std::move(msg)}); }
  bool validate_batch(ByteView b) override {
    return !(b.size() >= 3 && b[0] == 'b' && b[1] == 'a' && b[2] == 'd');
  }
  ExecResult execute(Seq k, View v, ByteView batch) override {
    Hash32 d = batch_digest(batch);
    ledger[{k, d}] = Bytes(batch.begin(), batch.end());
    EXPECT_EQ(k, chain.size() + 1) << "execute out of order";
    chain.push_back(d);
    Hash32 prev = states.empty() ? Hash32{} : states.back();
    Bytes acc(prev.begin(), prev.end());
    acc.insert(acc.end(), d.begin(), d.end());
    states.push_back(batch_digest(acc));
    execs.push_back({k, v, d, states.back()});
    // The state here is itself a chain over the executed digests, so it serves as the head.
    // `constant_state`: every batch leaves the application state as it was (batches of cached
    // retries do), so two branches reach one state digest and only the head tells them apart.
    return ExecResult{constant_state ? Hash32{} : states.back(), d, states.back()};
  }
  void rollback(Seq k) override {
    rollbacks.push_back(k);
    if (!finals.empty()) {
      EXPECT_GE(k, finals.back()) << "rolled back a final batch";
    }
    chain.resize(std::min<size_t>(chain.size(), k));
    states.resize(std::min<size_t>(states.size(), k));
  }
  void final(Seq k) override { finals.push_back(k); }
  // Every attested() call, in order: (view, k); and what it vouches for, as a replica layer
  // signs its shares: (view, j, digest executed at j) for every j <= k.
  std::vector<std::pair<View, Seq>> attests;
  struct Vouched {
    View v;
    Seq k;
    Hash32 digest;
    Hash32 state;
  };
  std::vector<Vouched> vouched;
  void attested(View v, Seq k) override {
    attests.push_back({v, k});  // k may be above our chain: a state we installed (final)
    for (Seq j = 1; j <= std::min<Seq>(k, chain.size()); ++j) vouched.push_back({v, j, chain[j - 1], states[j - 1]});
  }
  void checkpoint_stable(Seq k, const Hash32& d) override { stable.push_back({k, d}); }
  void view_changed(View v, NodeId p) override { views.push_back({v, p}); }
  void need_state_transfer(Seq k, const Hash32& d) override { transfers.push_back({k, d}); }
  void set_timer(TimerKind t, uint64_t ms) override {
    timers[t] = ms;
    deadline[t] = (now ? *now : 0) + ms;
  }
  void cancel_timer(TimerKind t) override {
    timers.erase(t);
    deadline.erase(t);
  }
  // The durable journal, as the replica layer keeps it: one body per (seq, kind); prune drops
  // records with 0 < seq <= upto.
  std::map<std::pair<Seq, uint8_t>, Bytes> journal;
  size_t journal_puts = 0;
  uint64_t journal_bytes = 0;
  void journal_put(Seq seq, uint8_t kind, Bytes body) override {
    ++journal_puts;
    journal_bytes += body.size();
    journal[{seq, kind}] = std::move(body);
  }
  void journal_prune(Seq upto) override {
    for (auto it = journal.begin(); it != journal.end();) {
      it = (it->first.first > 0 && it->first.first <= upto) ? journal.erase(it) : std::next(it);
    }
    ledger.erase(ledger.begin(), ledger.lower_bound({upto + 1, Hash32{}}));
  }
  // The batches of executed blocks, as the ledger keeps them (rolled-back ones set aside) until
  // the journal is pruned past them.
  std::map<std::pair<Seq, Hash32>, Bytes> ledger;
  // What a restart hands back: the journal in (seq, kind) order and the ledger's batches, no
  // snapshot (k = 0).
  RestartPoint restart_point() const {
    RestartPoint r;
    for (const auto& [key, body] : journal) r.journal.push_back({key.first, key.second, body});
    for (const auto& [key, b] : ledger) r.batches.push_back({key.first, b});
    return r;
  }

  bool constant_state = false;
  const uint64_t* now = nullptr;  // virtual clock of randomized runs (ms)
  std::map<TimerKind, uint64_t> deadline;

  std::vector<Sent> take() { return std::exchange(out, {}); }
};

inline Bytes batch(const std::string& s) { return to_bytes(s); }

// The messages of type t a node sent.
inline std::vector<Sent> of_type(const FakeEnv& e, poe::MsgType t) {
  std::vector<Sent> r;
  for (const auto& s : e.out) {
    if (poe::peek_type(s.msg) == t) r.push_back(s);
  }
  return r;
}

// n replicas over one fake keyring, with an in-memory FIFO network.
class Cluster {
 public:
  struct Msg {
    NodeId from, to;
    Bytes bytes;
  };

  explicit Cluster(Config base, uint64_t seed = 7)
      : base_(base), keys_(base.n, base.nf(), seed) {
    for (NodeId i = 0; i < base.n; ++i) {
      Config c = base;
      c.self = i;
      signers_.push_back(keys_.signer(i));
      tsigners_.push_back(keys_.threshold_signer(i));
      envs_.push_back(std::make_unique<FakeEnv>());
      Crypto cr{signers_.back().get(), &keys_.verifier(), tsigners_.back().get(),
                &keys_.threshold_verifier()};
      nodes_.push_back(make_poe(c, cr, *envs_.back()));
      nodes_.back()->start();
    }
  }

  Protocol& node(NodeId i) { return *nodes_[i]; }
  FakeEnv& env(NodeId i) { return *envs_[i]; }
  const crypto::FakeKeyring& keys() const { return keys_; }
  uint32_t n() const { return base_.n; }

  // Move every node's outputs into the network queue.
  void collect() {
    for (NodeId i = 0; i < base_.n; ++i) {
      for (auto& s : envs_[i]->take()) {
        if (s.to == kBroadcast) {
          for (NodeId j = 0; j < base_.n; ++j) {
            if (j != i) queue_.push_back({i, j, s.msg});
          }
        } else {
          queue_.push_back({i, s.to, std::move(s.msg)});
        }
      }
    }
  }

  // Deliver until quiet; `drop` returns true for messages the network loses.
  size_t run(size_t max_steps = 100000) {
    size_t steps = 0;
    collect();
    while (!queue_.empty() && steps < max_steps) {
      Msg m = std::move(queue_.front());
      queue_.pop_front();
      ++steps;
      if (down_.count(m.to) || down_.count(m.from)) continue;
      if (rewrite) rewrite(m);
      if (drop && drop(m)) continue;
      nodes_[m.to]->on_message(m.from, m.bytes);
      collect();
    }
    return steps;
  }

  // Deliver one queued message picked by rng (so the network reorders), losing it with
  // probability `loss` and delivering it twice with probability `dup`. False when idle.
  template <class Rng>
  bool step_random(Rng& rng, double loss, double dup) {
    collect();
    if (queue_.empty()) return false;
    size_t i = std::uniform_int_distribution<size_t>(0, queue_.size() - 1)(rng);
    Msg m = std::move(queue_[i]);
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
    std::uniform_real_distribution<double> u(0, 1);
    if (down_.count(m.to) || down_.count(m.from) || u(rng) < loss) return true;
    if (rewrite) rewrite(m);
    if (drop && drop(m)) return true;
    if (u(rng) < dup) queue_.push_back(m);
    nodes_[m.to]->on_message(m.from, m.bytes);
    collect();
    return true;
  }
  size_t queued() const { return queue_.size(); }

  // Virtual time: point every env at the clock, then fire_due() after advancing it.
  void use_clock(const uint64_t* now) {
    clock_ = now;
    for (auto& e : envs_) e->now = now;
  }
  void fire_due(uint64_t now) {
    for (NodeId i = 0; i < base_.n; ++i) {
      if (down_.count(i)) continue;
      for (TimerKind t : {TimerKind::view_change, TimerKind::new_view, TimerKind::retransmit}) {
        auto it = envs_[i]->deadline.find(t);
        if (it != envs_[i]->deadline.end() && it->second <= now) fire(i, t);
      }
    }
  }

  void fire(NodeId i, TimerKind t) {
    envs_[i]->timers.erase(t);
    envs_[i]->deadline.erase(t);
    nodes_[i]->on_timer(t);
  }
  // Fire timer t at every live node that has it armed.
  void fire_all(TimerKind t) {
    for (NodeId i = 0; i < base_.n; ++i) {
      if (!down_.count(i) && envs_[i]->timers.count(t)) fire(i, t);
    }
  }
  // The replica layer: a client batch reaches node i and is forwarded to primary p.
  void submit(NodeId i, const Bytes& b, NodeId p) {
    nodes_[i]->submit(b);
    if (p != i && !down_.count(p)) nodes_[p]->submit(b);
  }

  // Crash node i and restart it from scratch (k = 0, empty state) with its journal, or with
  // none (`with_journal` false: the replica before journaling existed). Messages in flight stay.
  void restart(NodeId i, bool with_journal = true) {
    auto journal = envs_[i]->journal;
    auto ledger = envs_[i]->ledger;
    envs_[i] = std::make_unique<FakeEnv>();
    envs_[i]->now = clock_;
    Config c = base_;
    c.self = i;
    Crypto cr{signers_[i].get(), &keys_.verifier(), tsigners_[i].get(), &keys_.threshold_verifier()};
    nodes_[i] = make_poe(c, cr, *envs_[i]);
    nodes_[i]->start();
    if (!with_journal) return;
    envs_[i]->journal = std::move(journal);
    envs_[i]->ledger = std::move(ledger);
    nodes_[i]->on_restart(envs_[i]->restart_point());
  }

  std::function<bool(const Msg&)> drop;
  // A Byzantine sender's hand on its own messages: runs before `drop`, may change the bytes
  // (re-signing them with that sender's keys, which the test holds).
  std::function<void(Msg&)> rewrite;
  std::set<NodeId> down_;

 private:
  Config base_;
  crypto::FakeKeyring keys_;
  std::vector<std::unique_ptr<crypto::Signer>> signers_;
  std::vector<std::unique_ptr<crypto::ThresholdSigner>> tsigners_;
  std::vector<std::unique_ptr<FakeEnv>> envs_;
  std::vector<std::unique_ptr<Protocol>> nodes_;
  std::deque<Msg> queue_;
  const uint64_t* clock_ = nullptr;
};

}  // namespace rampart::consensus::test
