#pragma once
// The wallet's Done-when workload (issue 18), for any way of reaching the cluster: funded
// accounts, 8 concurrent clients doing transfers, atomic transfers and replays of their own
// executed transfers, then the books read page by page. Used directly against the replicas and
// through the HTTPS gateway, each with one Byzantine replica in the cluster.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/wallet.hpp"
#include "crypto/ed25519.hpp"
#include "process/cluster_fixture.hpp"

namespace rampart::test {

using WalletSubmit = std::function<Result<client::WalletOutcome>(const Bytes&)>;

struct WalletWorkload {
  size_t threads = 8, ops = 12, accounts_per_thread = 2;
  // A way to submit for client thread t (its own connection), made on that thread.
  std::function<Result<WalletSubmit>(size_t t)> connect;
};

// Funds every account from the admin through `minter`, runs the workload, and checks (gtest
// expectations): no client failed, replays were rejected, operations succeeded, and the books,
// read through `minter` page by page with every proof verified, hold exactly what was minted,
// with each account's nonce what its owner counted.
void run_wallet_workload(const WalletWorkload& w, client::WalletClient& minter, const crypto::ed25519::KeyPair& admin);

// Replica `liar` (started with --misbehave bad-shares,lie-results) lied, and the correct replicas
// caught its shares (metrics are published once per tick: waits up to 5 s for them).
void expect_liar_caught(const LocalCluster& c, uint32_t liar);

}  // namespace rampart::test
