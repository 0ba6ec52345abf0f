#pragma once
// The wallet's operations and results: a small bounds-checked binary codec (docs/wallet.md
// gives it byte by byte). Integers little-endian, accounts are Ed25519 public keys (32 bytes).
//
//   leg     = from 32 | to 32 | amount u64 | nonce u64 | signature 64          (144 bytes)
//   op      = 1 transfer        | leg
//           | 2 atomic-transfer | u16 n (1..kMaxLegs) | n legs
//           | 3 balance         | account 32
//           | 4 ledger page     | u8 has_after (0|1) | [after 32] | u32 limit (1..kMaxPage)
//   result  = code u8 | op hash 32 | reason (u32 len | text, <= kMaxReason)
//           | u32 n (<= kMaxEntries) | n x (account 32 | balance u64 | nonce u64) | more u8
//
// Every leg's owner signs the same message, signing_message(legs): the whole list of legs
// without signatures. A leg of an atomic transfer therefore cannot be lifted out and executed on
// its own, and a transfer is an atomic transfer of one leg. A leg out of the request's
// authenticated principal needs no signature (Wallet::vouched; zeros are fine).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::app::wallet {

using Account = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

inline constexpr size_t kMaxLegs = 64;
inline constexpr uint32_t kMaxPage = 256;
inline constexpr size_t kMaxReason = 512;
inline constexpr size_t kMaxEntries = kMaxPage + 1;  // a page and the predecessor that proves it starts right
inline constexpr size_t kLegBytes = 32 + 32 + 8 + 8 + 64;

enum class OpType : uint8_t { transfer = 1, atomic = 2, balance = 3, ledger = 4 };

// Why an operation did nothing (ok: it did what it asked). Stable numbers: clients match on them.
enum class Code : uint8_t {
  ok = 0,
  malformed = 1,           // the operation did not decode
  bad_signature = 2,       // a leg's signature does not verify under its from-account
  replay = 3,              // a leg's nonce was used already
  nonce_gap = 4,           // a leg's nonce is ahead of the account's next nonce
  insufficient_funds = 5,  // a non-admin account would go below zero
  overflow = 6,            // a balance would exceed 2^64 - 1
  bad_amount = 7,          // amount 0
};
inline constexpr uint8_t kMaxCode = 7;
const char* code_name(Code c);

struct Leg {
  Account from{}, to{};
  uint64_t amount = 0;
  uint64_t nonce = 0;  // from's next nonce (0 for an account that never sent)
  Signature sig{};
  bool operator==(const Leg&) const = default;
};

struct Op {
  OpType type = OpType::balance;
  std::vector<Leg> legs;           // transfer: exactly one; atomic: 1..kMaxLegs
  Account account{};               // balance
  std::optional<Account> after;    // ledger page: accounts strictly after this one
  uint32_t limit = 0;              // ledger page
  bool operator==(const Op&) const = default;
};

struct Entry {
  Account account{};
  uint64_t balance = 0;
  uint64_t nonce = 0;  // the account's next nonce
  bool operator==(const Entry&) const = default;
};

struct OpResult {
  Code code = Code::ok;
  Hash32 op_hash{};            // op_hash(the operation's bytes): binds the result to exactly that op and its nonces
  std::string reason;          // empty when ok
  std::vector<Entry> entries;  // transfers: the accounts they touched, after; balance: one; page: the page
  bool more = false;           // ledger page: accounts follow the last entry
  bool operator==(const OpResult&) const = default;
};

Bytes encode_op(const Op& op);
// Bounds-checked: unknown type, a bad count, limit or flag, short input and trailing bytes are
// errors that say which field.
Result<Op> decode_op(ByteView b);
Bytes encode_result(const OpResult& r);
Result<OpResult> decode_result(ByteView b);

// BLAKE3 (derive-key "rampart/wallet/op/v1") of an operation's bytes as sent.
Hash32 op_hash(ByteView op_bytes);
// What every leg's owner signs: "rampart/wallet/transfer/v1" | u16 n | n x (from | to | amount | nonce).
Bytes signing_message(const std::vector<Leg>& legs);

}  // namespace rampart::app::wallet
