#include "app/wallet/wallet.hpp"

#include <algorithm>

#include "common/codec.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/merkle.hpp"

namespace rampart::app::wallet {

namespace {
constexpr size_t kMaxAccounts = size_t{1} << 26;

std::string hex8(const Account& a) { return to_hex(ByteView(a.data(), 8)); }

OpResult fail(Code c, const Hash32& h, std::string why) {
  OpResult r;
  r.code = c;
  r.op_hash = h;
  r.reason = std::move(why);
  return r;
}
}  // namespace

Wallet::Wallet(std::set<Account> admins) : admins_(std::move(admins)) {}

Entry Wallet::account(const Account& a) const {
  auto it = accounts_.find(a);
  if (it == accounts_.end()) return {a, 0, 0};
  return {a, it->second.balance, it->second.nonce};
}

void Wallet::put(uint64_t k, const Account& a, uint64_t balance, uint64_t nonce) {
  auto it = accounts_.find(a);
  std::optional<State> old;
  if (it != accounts_.end()) old = it->second;
  undo_[k].emplace_back(a, old);
  State s{balance, nonce, account_leaf_hash({a, balance, nonce})};
  if (it != accounts_.end()) {
    s.pos = it->second.pos;
    it->second = s;
    touched(s);
  } else {
    accounts_.emplace(a, s);
    reshaped();
  }
  digest_.reset();
}

void Wallet::touched(const State& s) {
  if (tree_) changed_.emplace_back(s.pos, s.leaf);
}

void Wallet::reshaped() const {
  tree_.reset();
  changed_.clear();
}

Bytes Wallet::apply(const Invocation& in) {
  const ByteView bytes = in.op;
  const Hash32 h = op_hash(bytes);
  auto op = decode_op(bytes);
  if (!op) return encode_result(fail(Code::malformed, h, op.error().message));
  switch (op->type) {
    case OpType::transfer:
    case OpType::atomic:
      return encode_result(transfer(in, *op, h));
    case OpType::balance: {
      OpResult r;
      r.op_hash = h;
      r.entries.push_back(account(op->account));
      return encode_result(r);
    }
    case OpType::ledger: {
      OpResult r = page(*op);
      r.op_hash = h;
      return encode_result(r);
    }
  }
  return encode_result(fail(Code::malformed, h, "unknown operation"));
}

// A leg spending from the request's authenticated principal needs no signature of its own: the
// replicas checked that key's signature over the whole request before ordering it (f + 1 of
// them with witnesses; a distilled batch's aggregate on the broker path), so checking the leg
// again would only cost every replica one more Ed25519 verification per transfer.
bool Wallet::vouched(const Invocation& in, const Account& from) {
  return in.authenticated && in.principal.size() == from.size() &&
         std::equal(from.begin(), from.end(), in.principal.begin());
}

// All legs are checked against a scratch copy of the accounts they touch, in order (two legs
// from one account use consecutive nonces); only if every leg passes is anything written.
OpResult Wallet::transfer(const Invocation& in, const Op& op, const Hash32& h) {
  const uint64_t k = in.height;
  const auto& legs = op.legs;
  for (size_t i = 0; i < legs.size(); ++i)
    if (legs[i].amount == 0) return fail(Code::bad_amount, h, "leg " + std::to_string(i) + ": amount must be positive");
  const Bytes msg = signing_message(legs);
  for (size_t i = 0; i < legs.size(); ++i) {
    if (vouched(in, legs[i].from)) continue;
    if (!crypto::ed25519::verify(legs[i].from, msg, legs[i].sig))
      return fail(Code::bad_signature, h, "leg " + std::to_string(i) + ": signature does not verify under account " + hex8(legs[i].from) + "...");
  }
  std::map<Account, Entry> scratch;
  auto get = [&](const Account& a) -> Entry& {
    auto it = scratch.find(a);
    if (it == scratch.end()) it = scratch.emplace(a, account(a)).first;
    return it->second;
  };
  for (size_t i = 0; i < legs.size(); ++i) {
    const Leg& l = legs[i];
    const std::string leg = "leg " + std::to_string(i) + ": ";
    Entry& from = get(l.from);
    if (l.nonce < from.nonce)
      return fail(Code::replay, h, leg + "nonce " + std::to_string(l.nonce) + " of account " + hex8(l.from) +
                                       "... was used already (next nonce " + std::to_string(from.nonce) + ")");
    if (l.nonce > from.nonce)
      return fail(Code::nonce_gap, h, leg + "nonce " + std::to_string(l.nonce) + " of account " + hex8(l.from) +
                                          "... is out of order (next nonce " + std::to_string(from.nonce) + ")");
    if (from.nonce == UINT64_MAX) return fail(Code::overflow, h, leg + "nonce space of account exhausted");
    from.nonce++;
    if (!is_admin(l.from)) {  // an admin's transfer creates the money it sends
      if (from.balance < l.amount)
        return fail(Code::insufficient_funds, h, leg + "account " + hex8(l.from) + "... holds " + std::to_string(from.balance) +
                                                     ", cannot send " + std::to_string(l.amount));
      from.balance -= l.amount;
    }
    Entry& to = get(l.to);
    if (to.balance > UINT64_MAX - l.amount)
      return fail(Code::overflow, h, leg + "balance of account " + hex8(l.to) + "... would exceed 2^64-1");
    to.balance += l.amount;
  }
  OpResult r;
  r.op_hash = h;
  for (const auto& [a, e] : scratch) {  // map order: sorted by account
    put(k, a, e.balance, e.nonce);
    r.entries.push_back(e);
  }
  return r;
}

OpResult Wallet::page(const Op& op) const {
  OpResult r;
  auto it = op.after ? accounts_.upper_bound(*op.after) : accounts_.begin();
  for (; it != accounts_.end() && r.entries.size() < op.limit; ++it)
    r.entries.push_back({it->first, it->second.balance, it->second.nonce});
  r.more = it != accounts_.end();
  return r;
}

void Wallet::undo_to(uint64_t k) {
  while (!undo_.empty() && undo_.rbegin()->first > k) {
    auto node = undo_.extract(std::prev(undo_.end()));
    auto& entries = node.mapped();
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      auto cur = accounts_.find(it->first);
      if (it->second && cur != accounts_.end()) {
        const uint32_t pos = cur->second.pos;  // the saved state's pos may predate a rebuild
        cur->second = *it->second;
        cur->second.pos = pos;
        touched(cur->second);
      } else if (it->second) {
        accounts_.emplace(it->first, *it->second);
        reshaped();
      } else {
        accounts_.erase(it->first);
        reshaped();
      }
    }
    digest_.reset();
  }
}

void Wallet::make_final(uint64_t k) { undo_.erase(undo_.begin(), undo_.upper_bound(k)); }

void Wallet::ordered(std::vector<Entry>& entries, std::vector<Hash32>& leaves) const {
  entries.reserve(accounts_.size());
  leaves.reserve(accounts_.size());
  for (const auto& [a, s] : accounts_) {
    entries.push_back({a, s.balance, s.nonce});
    leaves.push_back(s.leaf);
  }
}

// A batch that changed only existing accounts rehashes the inner nodes above them (each once);
// one that added or removed an account rebuilds the tree: O(accounts), as every batch did
// before (~19% of a replica's CPU in `bench broker --app wallet` with 32,768 accounts).
Hash32 Wallet::digest() const {
  if (!digest_) {
    if (!tree_) {
      std::vector<Hash32> leaves;
      leaves.reserve(accounts_.size());
      for (const auto& [a, s] : accounts_) {
        s.pos = static_cast<uint32_t>(leaves.size());
        leaves.push_back(s.leaf);
      }
      tree_.emplace(std::move(leaves));
      changed_.clear();
    } else {
      tree_->update(changed_);
      changed_.clear();
    }
    digest_ = app_digest(accounts_.size(), tree_->root());
  }
  return *digest_;
}

RangeProof Wallet::prove_balance(const Account& a) const {
  std::vector<Entry> entries;
  std::vector<Hash32> leaves;
  ordered(entries, leaves);
  auto [lo, hi] = balance_range(entries, a);
  return prove_range(entries, leaves, lo, hi);
}

RangeProof Wallet::prove_page(const std::optional<Account>& after, uint32_t limit) const {
  std::vector<Entry> entries;
  std::vector<Hash32> leaves;
  ordered(entries, leaves);
  auto [lo, hi] = page_range(entries, after, limit);
  return prove_range(entries, leaves, lo, hi);
}

Bytes Wallet::snapshot() const {
  Writer w;
  w.u32(static_cast<uint32_t>(accounts_.size()));
  for (const auto& [a, s] : accounts_) {
    w.fixed(a);
    w.u64(s.balance);
    w.u64(s.nonce);
  }
  return w.take();
}

Status Wallet::restore(ByteView snap) {
  Reader r(snap);
  std::map<Account, State> accounts;
  const size_t n = r.count(kMaxAccounts, 48);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    Account a = r.fixed<32>();
    uint64_t balance = r.u64(), nonce = r.u64();
    if (r.failed()) break;
    if (!accounts.empty() && !(accounts.rbegin()->first < a)) r.fail("wallet snapshot: accounts not strictly increasing");
    if (balance == 0 && nonce == 0) r.fail("wallet snapshot: an account with no balance and no nonce");
    accounts.emplace_hint(accounts.end(), a, State{balance, nonce, account_leaf_hash({a, balance, nonce})});
  }
  if (auto st = r.finish(); !st) return err("wallet snapshot: " + st.error().message);
  accounts_ = std::move(accounts);
  undo_.clear();
  reshaped();
  digest_.reset();
  return {};
}

}  // namespace rampart::app::wallet
