#include "client/wallet_proof.hpp"

#include "common/codec.hpp"
#include "replica/executor.hpp"

namespace rampart::client {

ledger::Block header_of(const StateProof& p) {
  ledger::Block b;
  b.k = p.k;
  b.batch_digest = p.batch_digest;
  b.prev_hash = p.prev_hash;
  b.state_digest = p.state_digest;
  b.results_root = p.results_root;
  b.view = p.view;
  return b;
}

namespace {

// The app digest the accounts must hash to for the block's state digest to hold.
Result<Hash32> proven_app_digest(const StateProof& p, const crypto::ThresholdVerifier& group) {
  if (!group.verify_group(ledger::proof_message(p.view, p.k, ledger::block_hash(header_of(p))), p.group_sig))
    return err("state proof: the block's group signature does not verify");
  auto d = app::wallet::range_digest(p.accounts);
  if (!d) return err("state " + d.error().message);
  if (replica::combine_state_digest(p.k, *d, p.reply_cache_digest) != p.state_digest)
    return err("state proof: the accounts do not hash to block " + std::to_string(p.k) + "'s state digest");
  return *d;
}
}  // namespace

StateProof make_state_proof(const ledger::Block& b, const Hash32& cache, app::wallet::RangeProof accounts) {
  StateProof p;
  p.k = b.k;
  p.view = b.view;
  p.batch_digest = b.batch_digest;
  p.prev_hash = b.prev_hash;
  p.state_digest = b.state_digest;
  p.results_root = b.results_root;
  p.group_sig = b.proof;
  p.reply_cache_digest = cache;
  p.accounts = std::move(accounts);
  return p;
}

Status verify_state_proof(const StateProof& p, const crypto::ThresholdVerifier& group) {
  auto d = proven_app_digest(p, group);
  if (!d) return d.error();
  return {};
}

Result<app::wallet::Entry> verify_balance_proof(const StateProof& p, const app::wallet::Account& account,
                                                const crypto::ThresholdVerifier& group) {
  auto d = proven_app_digest(p, group);
  if (!d) return d.error();
  return app::wallet::verify_balance(*d, p.accounts, account);
}

Result<app::wallet::Page> verify_page_proof(const StateProof& p, const std::optional<app::wallet::Account>& after,
                                            uint32_t limit, const crypto::ThresholdVerifier& group) {
  auto d = proven_app_digest(p, group);
  if (!d) return d.error();
  return app::wallet::verify_page(*d, p.accounts, after, limit);
}

Bytes encode_state_proof(const StateProof& p) {
  Writer w;
  w.u64(p.k);
  w.u64(p.view);
  w.fixed(p.batch_digest);
  w.fixed(p.prev_hash);
  w.fixed(p.state_digest);
  w.fixed(p.results_root);
  w.bytes(p.group_sig);
  w.fixed(p.reply_cache_digest);
  w.bytes(app::wallet::encode_range_proof(p.accounts));
  return w.take();
}

Result<StateProof> decode_state_proof(ByteView b) {
  Reader r(b);
  StateProof p;
  p.k = r.u64();
  p.view = r.u64();
  p.batch_digest = r.fixed<32>();
  p.prev_hash = r.fixed<32>();
  p.state_digest = r.fixed<32>();
  p.results_root = r.fixed<32>();
  p.group_sig = r.bytes(ledger::kMaxProofBytes);
  p.reply_cache_digest = r.fixed<32>();
  ByteView acc = r.bytes_view(1u << 20);
  if (auto st = r.finish(); !st) return err("state proof: " + st.error().message);
  auto a = app::wallet::decode_range_proof(acc);
  if (!a) return err("state proof: " + a.error().message);
  p.accounts = std::move(*a);
  return p;
}

}  // namespace rampart::client
