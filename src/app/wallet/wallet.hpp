#pragma once
// The wallet state machine (DESIGN.md §1, issue 18): accounts are Ed25519 public keys holding a
// u64 balance and the next nonce they must sign with. Transfers and atomic transfers move money,
// all or nothing; only admin accounts (cluster.toml admin_accounts) create money, by
// transferring without being debited. Balance and ledger-page reads change nothing.
//
// Speculation-aware like the KV store: every batch k keeps the accounts it changed as they were
// before (undo_to(k) restores them exactly) until make_final(k). The digest is
// accounts_proof.hpp's app digest: a Merkle root over the accounts in key order, so a balance or
// a ledger page can be proven against it.
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "app/state_machine.hpp"
#include "crypto/merkle.hpp"
#include "app/wallet/accounts_proof.hpp"
#include "app/wallet/op.hpp"

namespace rampart::app::wallet {

class Wallet final : public StateMachine {
 public:
  explicit Wallet(std::set<Account> admins = {});

  Bytes apply(const Invocation& in) override;
  void undo_to(uint64_t k) override;
  void make_final(uint64_t k) override;
  Hash32 digest() const override;
  // u32 n | n x (account 32 | balance u64 | nonce u64), accounts strictly increasing, no
  // account with balance and nonce both 0 (one encoding per state).
  Bytes snapshot() const override;
  Status restore(ByteView snapshot) override;

  Entry account(const Account& a) const;  // balance and nonce 0 when unknown
  size_t size() const { return accounts_.size(); }
  bool is_admin(const Account& a) const { return admins_.count(a) > 0; }
  size_t undo_batches() const { return undo_.size(); }

  // Proofs against digest(), for the replica-side read path (one pass over the accounts).
  RangeProof prove_balance(const Account& a) const;
  RangeProof prove_page(const std::optional<Account>& after, uint32_t limit) const;

 private:
  struct State {
    uint64_t balance = 0;
    uint64_t nonce = 0;
    Hash32 leaf{};  // account_leaf_hash of this account as it is now
    mutable uint32_t pos = 0;  // its leaf's index in tree_ (valid while tree_ is)
  };
  static bool vouched(const Invocation& in, const Account& from);
  OpResult transfer(const Invocation& in, const Op& op, const Hash32& hash);
  OpResult page(const Op& op) const;
  void put(uint64_t k, const Account& a, uint64_t balance, uint64_t nonce);
  void ordered(std::vector<Entry>& entries, std::vector<Hash32>& leaves) const;

  std::set<Account> admins_;
  std::map<Account, State> accounts_;
  std::map<uint64_t, std::vector<std::pair<Account, std::optional<State>>>> undo_;  // batch k -> old states, in order
  mutable std::optional<Hash32> digest_;
  // The accounts' Merkle tree, kept between digests: a batch that only changes existing
  // accounts rehashes the paths above them; adding or removing an account rebuilds it.
  mutable std::optional<crypto::merkle::Tree> tree_;
  mutable std::vector<std::pair<uint32_t, Hash32>> changed_;  // leaves to update in tree_
  void touched(const State& s);  // s changed in place: its leaf goes to tree_ at the next digest
  void reshaped() const;         // an account came or went: tree_ is rebuilt at the next digest
};

}  // namespace rampart::app::wallet
