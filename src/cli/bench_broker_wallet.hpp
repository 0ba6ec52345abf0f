#pragma once
// `bench broker --app wallet`: the broker path carrying wallet transfers (issue 18: "transfers
// through brokers, reported beside the direct path"). Every load client is a wallet account
// (its Ed25519 directory key), funded by the admin before the run; each entry of a replayed
// batch is a transfer of 1 from the client's account to one sink, with no leg signature: the
// distilled batch's aggregate authenticates the client, which the wallet takes as the request's
// principal (Wallet::vouched). After the run the sink's balance, read back with a verified
// proof, counts the transfers that moved money.
#include <filesystem>
#include <vector>

#include "app/wallet/op.hpp"
#include "common/config.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::cli::bench {

// An unsigned transfer of 1 out of `from` (the entry's principal) at `nonce`.
Bytes wallet_entry_payload(const crypto::ed25519::KeyPair& from, const app::wallet::Account& sink, uint64_t nonce);
// The admin (keys/admin-0.key under dir) gives each account `amount`, in atomic transfers of
// kMaxLegs legs through the direct path, every answer's proof verified.
Status fund_wallet_accounts(const ClusterConfig& cfg, const std::filesystem::path& dir,
                            const std::vector<app::wallet::Account>& accounts, uint64_t amount);
// The account's balance, by a verified ordered read.
Result<uint64_t> wallet_balance(const ClusterConfig& cfg, const app::wallet::Account& a);

}  // namespace rampart::cli::bench
