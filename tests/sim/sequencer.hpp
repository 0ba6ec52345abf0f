#pragma once
// A deliberately simple test-only Protocol for exercising the simulator itself: replica 0
// sequences batches (k, batch) and re-broadcasts its log on the retransmit timer; everyone
// executes in order and finalises at once. Correct without Byzantine or crash faults, and
// with a Mode switch it breaks in the ways the invariant checkers must catch.
#include <map>

#include "common/codec.hpp"
#include "consensus/protocol.hpp"

namespace rampart::simtest {

using namespace rampart::consensus;

enum class Mode {
  correct,
  split,     // the sequencer sends different batches for the same k to the two halves
  rollback,  // every replica rolls back to k=2 after executing 6 and re-executes in another order
  stall,     // nobody ever executes: liveness must fail
};

class Sequencer final : public Protocol {
 public:
  Sequencer(const Config& cfg, Env& env, Mode mode) : cfg_(cfg), env_(env), mode_(mode) {}

  void start() override { env_.set_timer(TimerKind::retransmit, 20); }

  void submit(Bytes batch) override {
    if (cfg_.self != 0) return;
    Seq k = next_++;
    log_[k] = batch;
    for (NodeId p = 1; p < cfg_.n; ++p) send_order(p, k);
    accept(k, std::move(batch));
  }

  void on_message(NodeId from, ByteView msg) override {
    Reader r(msg);
    Seq k = r.u64();
    Bytes b = r.bytes(1 << 24);
    if (from != 0 || !r.finish() || k == 0) {
      ++stats_.rejected_messages;
      return;
    }
    accept(k, std::move(b));
  }

  void on_timer(TimerKind) override {
    if (cfg_.self == 0) {
      for (const auto& [k, b] : log_) {
        for (NodeId p = 1; p < cfg_.n; ++p) send_order(p, k);
      }
    }
    env_.set_timer(TimerKind::retransmit, 20);
  }

  bool is_primary() const override { return cfg_.self == 0; }
  bool has_pending() const override { return false; }
  Stats stats() const override { return stats_; }
  std::string name() const override { return "sequencer"; }

 private:
  void send_order(NodeId p, Seq k) {
    const Bytes* b = &log_[k];
    // Split: the upper half gets the previous batch again at k (valid bytes, wrong content).
    if (mode_ == Mode::split && p >= cfg_.n / 2 && k > 1) b = &log_[k - 1];
    Writer w;
    w.u64(k);
    w.bytes(*b);
    env_.send(p, w.take());
  }

  void accept(Seq k, Bytes b) {
    if (mode_ == Mode::stall) return;
    if (k <= stats_.last_executed) return;
    received_.emplace(k, std::move(b));
    while (received_.count(stats_.last_executed + 1)) {
      Seq k2 = stats_.last_executed + 1;
      ExecResult r = env_.execute(k2, 0, received_[k2]);
      stats_.last_executed = k2;
      env_.attested(0, k2);  // one view: vouch for what we executed (the broken modes must be caught)
      if (mode_ != Mode::rollback) {
        env_.final(k2);
        if (k2 % cfg_.checkpoint_interval == 0) env_.checkpoint_stable(k2, r.head);
      }
      if (mode_ == Mode::rollback && k2 == 6 && !rolled_back_) {
        rolled_back_ = true;
        env_.rollback(2);
        ++stats_.rollbacks;
        std::swap(received_[3], received_[4]);  // re-execute 3 and 4 swapped
        stats_.last_executed = 2;
      }
    }
  }

  Config cfg_;
  Env& env_;
  Mode mode_;
  Seq next_ = 1;
  std::map<Seq, Bytes> log_;
  std::map<Seq, Bytes> received_;
  Stats stats_;
  bool rolled_back_ = false;
};

}  // namespace rampart::simtest
