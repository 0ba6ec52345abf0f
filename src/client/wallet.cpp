#include "client/wallet.hpp"

#include <algorithm>

namespace rampart::client {
namespace w = app::wallet;

Result<w::OpResult> check_wallet_result(ByteView op, ByteView result) {
  auto r = w::decode_result(result);
  if (!r) return err("reply: " + r.error().message);
  if (r->op_hash != w::op_hash(op)) return err("reply: the result answers another operation (op hash differs)");
  return *r;
}

Bytes make_transfer_op(const std::vector<LegSpec>& specs, bool atomic, ByteView principal) {
  w::Op op;
  op.type = atomic ? w::OpType::atomic : w::OpType::transfer;
  for (const auto& s : specs) op.legs.push_back({s.from->public_key(), s.to, s.amount, s.nonce, {}});
  const Bytes msg = w::signing_message(op.legs);
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& from = op.legs[i].from;
    const bool vouched = principal.size() == from.size() && std::equal(from.begin(), from.end(), principal.begin());
    if (!vouched) op.legs[i].sig = specs[i].from->sign(msg);
  }
  return w::encode_op(op);
}

Bytes make_balance_op(const w::Account& a) {
  w::Op op;
  op.type = w::OpType::balance;
  op.account = a;
  return w::encode_op(op);
}

Bytes make_page_op(const std::optional<w::Account>& after, uint32_t limit) {
  w::Op op;
  op.type = w::OpType::ledger;
  op.after = after;
  op.limit = limit;
  return w::encode_op(op);
}

Result<std::unique_ptr<WalletClient>> WalletClient::create(const ClusterConfig& cfg, ClientOptions opt) {
  if (cfg.app != "wallet") return err("the cluster runs app '" + cfg.app + "', not the wallet (cluster.toml: app)");
  auto c = Client::create(cfg, opt);
  if (!c) return c.error();
  return std::unique_ptr<WalletClient>(new WalletClient(std::move(*c), cfg, opt));
}

Result<WalletOutcome> WalletClient::submit(Bytes op) {
  auto ans = c_->call(op);
  if (!ans) return ans.error();
  auto r = check_wallet_result(op, ans->result);
  if (!r) return r.error();
  return WalletOutcome{std::move(op), std::move(*r), std::move(*ans)};
}

Result<WalletOutcome> WalletClient::transfer(const crypto::ed25519::KeyPair& from, const w::Account& to, uint64_t amount,
                                             uint64_t nonce) {
  return submit(make_transfer_op({{&from, to, amount, nonce}}, false, principal()));
}

Result<WalletOutcome> WalletClient::atomic(const std::vector<LegSpec>& legs) {
  return submit(make_transfer_op(legs, true, principal()));
}
Result<WalletOutcome> WalletClient::balance(const w::Account& a) { return submit(make_balance_op(a)); }
Result<WalletOutcome> WalletClient::page(const std::optional<w::Account>& after, uint32_t limit) {
  return submit(make_page_op(after, limit));
}

Result<WalletReads*> WalletClient::reads() {
  if (!reads_) {
    WalletReadsOptions o;
    o.first = opt_.first_replica;
    o.timeout = std::max(opt_.timeout, o.timeout);
    auto r = WalletReads::create(cfg_, o);
    if (!r) return r.error();
    reads_ = std::move(*r);
  }
  return reads_.get();
}

Result<ServedRead> WalletClient::read_balance(const w::Account& a, uint64_t min_k) {
  auto r = reads();
  if (!r) return r.error();
  return (*r)->balance(a, min_k);
}

Result<ServedRead> WalletClient::read_page(const std::optional<w::Account>& after, uint32_t limit, uint64_t min_k) {
  auto r = reads();
  if (!r) return r.error();
  return (*r)->page(after, limit, min_k);
}

Result<uint64_t> WalletClient::next_nonce(const w::Account& a) {
  auto r = balance(a);
  if (!r) return r.error();
  if (r->result.code != w::Code::ok || r->result.entries.size() != 1) return err("balance read failed: " + r->result.reason);
  return r->result.entries[0].nonce;
}

Result<w::Account> parse_account(std::string_view hex) {
  Bytes b;
  if (hex.size() != 64 || !from_hex(hex, b)) return err("account must be 64 hex digits (an Ed25519 public key)");
  w::Account a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

}  // namespace rampart::client
