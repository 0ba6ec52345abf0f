#pragma once
// The wallet client: builds signed wallet operations, submits them through client::Client (CART:
// the reply's group signature and Merkle proof are verified before anything is returned) and
// checks that the result answers exactly the operation sent (its op hash). Reads (balance,
// ledger page) come two ways: proven reads (read_balance, read_page: no consensus round, a
// state proof from a replica's read server, client/wallet_reads.hpp), the default of the
// command line, the gateway and the benchmark; and ordered reads (balance, page: an operation
// through consensus like a transfer, answered with a CART reply). Not thread-safe: one
// WalletClient per thread.
#include <memory>
#include <optional>

#include "app/wallet/op.hpp"
#include "client/client.hpp"
#include "client/wallet_reads.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::client {

struct WalletOutcome {
  Bytes op;                       // the operation as sent
  app::wallet::OpResult result;   // verified: CART proof ok, op hash matches
  Answer answer;                  // batch, replica and the verified reply (its proof)
};

// Checks that a CART-verified result answers `op`: it decodes and carries op_hash(op).
Result<app::wallet::OpResult> check_wallet_result(ByteView op, ByteView result);

struct LegSpec {
  const crypto::ed25519::KeyPair* from = nullptr;
  app::wallet::Account to{};
  uint64_t amount = 0;
  uint64_t nonce = 0;
};
// A transfer (one leg) or an atomic transfer, every leg signed by its owner over all legs,
// except legs out of `principal`, the key that signs the request that carries the operation:
// its signature vouches for them (app/wallet/wallet.cpp, Wallet::vouched).
Bytes make_transfer_op(const std::vector<LegSpec>& legs, bool atomic, ByteView principal = {});
Bytes make_balance_op(const app::wallet::Account& a);
Bytes make_page_op(const std::optional<app::wallet::Account>& after, uint32_t limit);

class WalletClient {
 public:
  static Result<std::unique_ptr<WalletClient>> create(const ClusterConfig& cfg, ClientOptions opt = {});

  Result<WalletOutcome> submit(Bytes op);
  Result<WalletOutcome> transfer(const crypto::ed25519::KeyPair& from, const app::wallet::Account& to, uint64_t amount, uint64_t nonce);
  Result<WalletOutcome> atomic(const std::vector<LegSpec>& legs);
  // Ordered reads: through consensus, the state as of the block they executed in.
  Result<WalletOutcome> balance(const app::wallet::Account& a);
  Result<WalletOutcome> page(const std::optional<app::wallet::Account>& after, uint32_t limit);
  // Proven reads from the replicas' read servers (cluster.toml read_port), as of their latest
  // final block and at least min_k (e.g. the block of this client's last transfer).
  Result<ServedRead> read_balance(const app::wallet::Account& a, uint64_t min_k = 0);
  Result<ServedRead> read_page(const std::optional<app::wallet::Account>& after, uint32_t limit, uint64_t min_k = 0);
  // The account's next nonce, by an ordered balance read: a transfer must carry exactly the next
  // one, and a final block's state may not hold the newest transfer yet.
  Result<uint64_t> next_nonce(const app::wallet::Account& a);

 private:
  WalletClient(std::unique_ptr<Client> c, ClusterConfig cfg, ClientOptions opt)
      : c_(std::move(c)), cfg_(std::move(cfg)), opt_(std::move(opt)) {}
  // The key whose signed requests vouch for its own legs; unsigned requests (--auth none
  // benchmarks) vouch for nobody, so every leg is signed then.
  ByteView principal() const { return opt_.sign ? c_->public_key() : ByteView{}; }
  Result<WalletReads*> reads();
  std::unique_ptr<Client> c_;
  ClusterConfig cfg_;
  ClientOptions opt_;
  std::unique_ptr<WalletReads> reads_;  // on first proven read
};

// "64 hex digits" -> account; the error names what is wrong.
Result<app::wallet::Account> parse_account(std::string_view hex);

}  // namespace rampart::client
