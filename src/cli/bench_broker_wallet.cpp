#include "cli/bench_broker_wallet.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "client/wallet.hpp"
#include "client/wallet_keys.hpp"

namespace rampart::cli::bench {

namespace w = app::wallet;

Bytes wallet_entry_payload(const crypto::ed25519::KeyPair& from, const w::Account& sink, uint64_t nonce) {
  w::Op op;
  op.type = w::OpType::transfer;
  op.legs.push_back({from.public_key(), sink, 1, nonce, {}});
  return w::encode_op(op);
}

Status fund_wallet_accounts(const ClusterConfig& cfg, const std::filesystem::path& dir, const std::vector<w::Account>& accounts,
                            uint64_t amount) {
  auto admin = client::load_wallet_key(dir / "keys" / "admin-0.key");
  if (!admin) return admin.error();
  client::ClientOptions o;
  o.attempts = 30;
  o.key = client::SigningKey::of(*admin);  // the admin's own requests: its legs need no signatures
  auto c = client::WalletClient::create(cfg, o);
  if (!c) return c.error();
  // The replicas load the directory before they listen: wait for an answer first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (;;) {
    auto r = (*c)->balance(admin->public_key());
    if (r) break;
    if (std::chrono::steady_clock::now() > deadline) return err("the cluster did not answer: " + r.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  uint64_t nonce = 0;
  for (size_t i = 0; i < accounts.size(); i += w::kMaxLegs) {
    std::vector<client::LegSpec> legs;
    for (size_t j = i; j < std::min(accounts.size(), i + w::kMaxLegs); ++j) legs.push_back({&*admin, accounts[j], amount, nonce++});
    auto r = (*c)->atomic(legs);
    if (!r) return r.error();
    if (r->result.code != w::Code::ok) return err("funding: " + r->result.reason);
  }
  return {};
}

Result<uint64_t> wallet_balance(const ClusterConfig& cfg, const w::Account& a) {
  client::ClientOptions o;
  o.attempts = 30;
  auto c = client::WalletClient::create(cfg, o);
  if (!c) return c.error();
  auto r = (*c)->balance(a);
  if (!r) return r.error();
  if (r->result.code != w::Code::ok || r->result.entries.size() != 1) return err("balance: " + r->result.reason);
  return r->result.entries[0].balance;
}

}  // namespace rampart::cli::bench
