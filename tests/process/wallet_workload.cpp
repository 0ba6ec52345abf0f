#include "process/wallet_workload.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace rampart::test {

namespace w = app::wallet;
using crypto::ed25519::KeyPair;

void run_wallet_workload(const WalletWorkload& wl, client::WalletClient& minter, const KeyPair& admin) {
  const size_t kThreads = wl.threads, kOps = wl.ops, kPerThread = wl.accounts_per_thread;
  std::vector<KeyPair> keys;
  for (size_t i = 0; i < kThreads * kPerThread; ++i) keys.push_back(KeyPair::generate());
  uint64_t minted = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto r = minter.transfer(admin, keys[i].public_key(), 1000, i);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->result.code, w::Code::ok) << r->result.reason;
    minted += 1000;
  }

  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<uint64_t> nonces(keys.size(), 0);
  size_t replays_rejected = 0, ok_ops = 0;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto note = [&](std::string m) {
        std::lock_guard lk(mu);
        failures.push_back("client " + std::to_string(t) + ": " + m);
      };
      auto submit = wl.connect(t);
      if (!submit) return note(submit.error().message);
      std::mt19937_64 rng(t + 1);
      const size_t mine = t * kPerThread;
      std::vector<uint64_t> nonce(kPerThread, 0);
      Bytes last_ok;
      for (size_t i = 0; i < kOps; ++i) {
        const size_t from = rng() % kPerThread;
        const auto to = keys[rng() % keys.size()].public_key();
        const uint64_t amount = 1 + rng() % 300;
        Bytes op;
        const int kind = static_cast<int>(rng() % 4);
        if (kind == 0 && !last_ok.empty()) {
          op = last_ok;  // a replay of an executed transfer: same bytes, same nonce
        } else if (kind == 1) {
          op = client::make_transfer_op({{&keys[mine], to, amount, nonce[0]}, {&keys[mine + 1], to, amount / 2 + 1, nonce[1]}}, true);
        } else {
          op = client::make_transfer_op({{&keys[mine + from], to, amount, nonce[from]}}, false);
        }
        auto r = (*submit)(op);
        if (!r) return note(r.error().message);
        const bool replay = kind == 0 && !last_ok.empty();
        if (replay) {
          if (r->result.code != w::Code::replay) note("a replay was not rejected: " + std::string(w::code_name(r->result.code)));
          std::lock_guard lk(mu);
          replays_rejected++;
          continue;
        }
        if (r->result.code == w::Code::ok) {
          if (kind == 1) {
            nonce[0]++;
            nonce[1]++;
          } else {
            nonce[from]++;
          }
          last_ok = op;
          std::lock_guard lk(mu);
          ok_ops++;
        } else if (r->result.code != w::Code::insufficient_funds) {
          note("unexpected rejection: " + r->result.reason);
        }
      }
      std::lock_guard lk(mu);
      for (size_t k = 0; k < kPerThread; ++k) nonces[mine + k] = nonce[k];
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(ok_ops, kThreads);
  EXPECT_GT(replays_rejected, 0u);

  // The books, read page by page (every page's proof verified): the money is what was minted.
  std::optional<w::Account> after;
  unsigned __int128 total = 0;
  std::map<w::Account, w::Entry> seen;
  for (int page = 0; page < 100; ++page) {
    auto r = minter.page(after, 5);
    ASSERT_TRUE(r) << r.error().message;
    for (const auto& e : r->result.entries) {
      total += e.balance;
      seen[e.account] = e;
    }
    if (!r->result.more) break;
    after = r->result.entries.back().account;
  }
  EXPECT_EQ(total, static_cast<unsigned __int128>(minted));
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(seen[keys[i].public_key()].nonce, nonces[i]) << "account " << i;
  EXPECT_EQ(seen[admin.public_key()].nonce, keys.size());
}

void expect_liar_caught(const LocalCluster& c, uint32_t liar) {
  using namespace std::chrono_literals;
  double lies = 0, caught = 0;
  for (auto until = std::chrono::steady_clock::now() + 5s; (lies < 1 || caught < 1) && std::chrono::steady_clock::now() < until;) {
    lies = c.metric(liar, "rampart_misbehaviour_lies_total");
    caught = 0;
    for (uint32_t i = 0; i < c.config().n(); ++i)
      if (i != liar) caught += std::max(0.0, c.metric(i, "rampart_bad_reply_shares_total"));
    if (lies < 1 || caught < 1) std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(lies, 1);
  EXPECT_GE(caught, 1);
}

}  // namespace rampart::test
