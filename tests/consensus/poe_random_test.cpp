// Randomized runs of a PoE cluster with loss, duplication, reordering and a crashed replica,
// driven by a virtual clock; checks the safety invariants during the run and completion after
// the network heals. Deterministic per seed. (The full simulator lives in src/sim; this is the
// protocol's own smoke test.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "poe_harness.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;
using namespace rampart::consensus::test;

namespace {

struct RunSpec {
  uint64_t seed;
  uint32_t f;
  bool mac;
  double loss;
  bool crash;
};

void random_run(const RunSpec& spec) {
  if (const char* only = std::getenv("POE_ONLY")) {  // replay one seed by hand
    if (std::strtoull(only, nullptr, 10) != spec.seed) return;
  }
  Config c;
  c.f = spec.f;
  c.n = 3 * spec.f + 1;
  c.window = 16;
  c.checkpoint_interval = 4;
  c.max_inflight = 4;
  c.view_timeout_ms = 300;
  c.mac_variant = spec.mac;
  Cluster cl(c, spec.seed);
  uint64_t now = 0;
  cl.use_clock(&now);
  std::mt19937_64 rng(spec.seed);
  if (spec.crash) cl.down_.insert(static_cast<NodeId>(rng() % c.n));
  const size_t nb = 24;
  std::vector<Bytes> bs;
  for (size_t i = 0; i < nb; ++i) {
    bs.push_back(batch("seed" + std::to_string(spec.seed) + "-" + std::to_string(i)));
  }
  std::vector<NodeId> live;
  for (NodeId i = 0; i < c.n; ++i) {
    if (!cl.down_.count(i)) live.push_back(i);
  }
  size_t next = 0;
  std::map<size_t, Hash32> accepted;  // k-1 -> state nf replicas reported (a client accepted)
  auto submit_one = [&] {
    NodeId i = live[rng() % live.size()];
    NodeId p = c.primary_of(cl.node(i).stats().view);
    cl.submit(i, bs[next++], p);
  };
  auto check_accepted = [&] {
    std::map<std::pair<size_t, Hash32>, uint32_t> votes;
    for (NodeId i : live) {
      const auto& st = cl.env(i).states;
      for (size_t k = 0; k < st.size(); ++k) {
        if (++votes[{k, st[k]}] >= c.nf()) {
          auto [it, fresh] = accepted.emplace(k, st[k]);
          ASSERT_EQ(it->second, st[k]) << "two different results accepted for k=" << k + 1;
        }
      }
    }
  };
  // The replica layer's state transfer: copy a live peer's state at the requested checkpoint,
  // then re-submit the batches the installed state does not contain.
  std::map<NodeId, size_t> handled;
  auto serve_transfers = [&] {
    for (NodeId i : live) {
      auto& e = cl.env(i);
      if (handled[i] >= e.transfers.size()) continue;
      auto [k, d] = e.transfers.back();
      for (NodeId j : live) {
        const auto& donor = cl.env(j);
        if (j == i || donor.states.size() < k || donor.states[k - 1] != d) continue;
        handled[i] = e.transfers.size();
        e.chain.assign(donor.chain.begin(), donor.chain.begin() + static_cast<long>(k));
        e.states.assign(donor.states.begin(), donor.states.begin() + static_cast<long>(k));
        cl.node(i).on_state_transferred(k, d);
        // The installed state's reply cache tells the replica layer which requests are done;
        // the donor's later executions reach this replica through the protocol.
        std::set<Hash32> have(donor.chain.begin(), donor.chain.end());
        NodeId p = c.primary_of(cl.node(i).stats().view);
        for (size_t b = 0; b < next; ++b) {
          if (!have.count(batch_digest(bs[b]))) cl.submit(i, bs[b], p);
        }
        break;
      }
    }
  };
  // Done when every client batch is executed by nf live replicas (its client accepted). A
  // replica left alone in a view change while nf others carry on may lag (until the next view
  // change); it must still agree on everything it has.
  auto all_done = [&] {
    for (const auto& b : bs) {
      uint32_t have = 0;
      for (NodeId i : live) {
        const auto& ch = cl.env(i).chain;
        have += std::find(ch.begin(), ch.end(), batch_digest(b)) != ch.end();
      }
      if (have < c.nf()) return false;
    }
    return true;
  };

  // Faulty phase.
  for (int step = 0; step < 6000; ++step) {
    if (next < nb && rng() % 40 == 0) submit_one();
    for (int j = 0; j < 16; ++j) cl.step_random(rng, spec.loss, 0.05);  // 16 messages per ms
    ++now;
    cl.fire_due(now);
    serve_transfers();
    if (step % 20 == 0) check_accepted();
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Healed: submit the rest, run until every batch executed everywhere.
  while (next < nb) submit_one();
  // Clients whose batch is not executed everywhere re-send their requests to every replica;
  // the replica layer puts them into a fresh batch (the request inside is deduplicated there).
  size_t retries = 0;
  auto client_retry = [&] {
    for (size_t b = 0; b < nb; ++b) {
      Hash32 d = batch_digest(bs[b]);
      bool everywhere = true;
      for (NodeId i : live) {
        const auto& ch = cl.env(i).chain;
        everywhere &= std::find(ch.begin(), ch.end(), d) != ch.end();
      }
      if (everywhere) continue;
      Bytes retry = batch("retry" + std::to_string(retries++));
      for (NodeId i : live) cl.node(i).submit(retry);
    }
  };
  int step = 0;
  for (; step < 400000 && !all_done(); ++step) {
    if (step % 2000 == 1999) client_retry();
    for (int j = 0; j < 16; ++j) cl.step_random(rng, 0, 0);
    ++now;
    cl.fire_due(now);
    serve_transfers();
    if (step % 50 == 0) check_accepted();
    if (::testing::Test::HasFatalFailure()) return;
  }
  if (!all_done()) {
    for (NodeId i : live) {
      auto st = cl.node(i).stats();
      ADD_FAILURE() << "replica " << i << " view " << st.view << " executed " << st.last_executed
                    << " stable " << st.stable_checkpoint << " pending " << cl.node(i).has_pending()
                    << " chain " << cl.env(i).chain.size() << " rejected " << st.rejected_messages
                    << " vcs " << st.view_changes << " transfers " << cl.env(i).transfers.size()
                    << " timers " << cl.env(i).timers.size();
    }
  }
  ASSERT_TRUE(all_done()) << "no completion after healing; seed " << spec.seed;
  check_accepted();
  NodeId longest = live[0];
  for (NodeId i : live) {
    if (cl.env(i).chain.size() > cl.env(longest).chain.size()) longest = i;
  }
  const auto& ref = cl.env(longest);
  for (NodeId i : live) {
    const auto& e = cl.env(i);
    // Prefix agreement: same batches, same states, wherever both have executed.
    for (size_t k = 0; k < e.chain.size(); ++k) {
      ASSERT_EQ(e.chain[k], ref.chain[k]) << "replica " << i << " k " << k + 1 << " seed " << spec.seed;
    }
    for (const auto& [k, st] : accepted) {
      if (k < e.states.size()) {
        EXPECT_EQ(e.states[k], st) << "accepted result rolled back, seed " << spec.seed;
      }
    }
  }
  for (const auto& [k, st] : accepted) {
    ASSERT_LT(k, ref.states.size());
    EXPECT_EQ(ref.states[k], st) << "accepted result lost, seed " << spec.seed;
  }
  // Every batch in the history, exactly once unless a state transfer happened: a replica that
  // installed a state cannot tell which batch digests it contains, so as a new primary it may
  // order a forwarded batch again (requests inside are deduplicated by the replica layer).
  bool transferred = false;
  for (NodeId i : live) transferred |= !cl.env(i).transfers.empty();
  std::map<Hash32, int> count;
  for (const auto& d : ref.chain) ++count[d];
  for (size_t bi = 0; bi < bs.size(); ++bi) {
    Hash32 d = batch_digest(bs[bi]);
    if (transferred) {
      EXPECT_GE(count[d], 1) << "seed " << spec.seed;
    } else {
      EXPECT_EQ(count[d], 1) << "seed " << spec.seed;
    }
    if (count[d] != 1 && std::getenv("POE_DEBUG")) {
      for (NodeId i : live) {
        for (const auto& e : cl.env(i).execs) {
          if (e.digest == d) std::printf("batch %zu replica %u k %lu v %lu\n", bi, i, e.k, e.v);
        }
        auto st = cl.node(i).stats();
        std::printf("replica %u view %lu exec %lu stable %lu transfers %zu rollbacks %zu\n", i,
                    st.view, st.last_executed, st.stable_checkpoint, cl.env(i).transfers.size(),
                    cl.env(i).rollbacks.size());
      }
    }
  }
}

}  // namespace

// POE_SEEDS=N multiplies the number of seeds (for soaking by hand; the default stays fast).
uint64_t scale() {
  const char* e = std::getenv("POE_SEEDS");
  return e ? std::max<uint64_t>(1, std::strtoull(e, nullptr, 10)) : 1;
}

TEST(PoeRandom, ThresholdLossReorderCrash) {
  for (uint64_t s = 1; s <= 30 * scale(); ++s) {
    random_run({s, 1, false, 0.1, s % 2 == 0});
    if (HasFatalFailure()) return;
  }
}

TEST(PoeRandom, MacLossReorderCrash) {
  for (uint64_t s = 100000; s < 100000 + 20 * scale(); ++s) {
    random_run({s, 1, true, 0.1, s % 2 == 0});
    if (HasFatalFailure()) return;
  }
}

TEST(PoeRandom, HeavyLoss) {
  for (uint64_t s = 300000; s < 300000 + 10 * scale(); ++s) {
    random_run({s, 1, s % 2 == 0, 0.3, s % 3 == 0});
    if (HasFatalFailure()) return;
  }
}

TEST(PoeRandom, TwoFaultsTolerated) {
  for (uint64_t s = 200000; s < 200000 + 10 * scale(); ++s) {
    random_run({s, 2, s % 2 == 1, 0.05, true});
    if (HasFatalFailure()) return;
  }
}
