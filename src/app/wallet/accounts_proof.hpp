#pragma once
// The wallet's state digest and the proofs that read it: a balance, or a page of the ledger,
// proven against the app digest (and, through client/wallet_proof.hpp, against a block's state
// digest and its group signature).
//
// The accounts, sorted by public key, are the leaves of a BLAKE3 Merkle tree (crypto/merkle.hpp:
// keyed leaf and inner hashes, an odd last node moves up unchanged):
//   leaf       = "rampart/wallet/account/v1" | account 32 | balance u64 | nonce u64
//   app digest = BLAKE3 derive-key "rampart/wallet/state/v1" of (count u64 | Merkle root)
// The count is hashed beside the root so that a proof cannot claim another tree shape.
//
// A range proof shows the leaves lo..lo+m-1 of the count-leaf tree: the entries themselves and
// the sibling hashes outside the range, at most two per level (left of the range, right of it),
// bottom-up. Sorted leaves make absence provable: a balance proof for an unknown account shows
// its two neighbours (adjacent leaves), a page proof shows the account before the page, so no
// account can be left out of either.
#include <optional>
#include <span>
#include <vector>

#include "app/wallet/op.hpp"
#include "common/result.hpp"

namespace rampart::app::wallet {

struct RangeProof {
  uint64_t count = 0;          // accounts in the state
  uint64_t lo = 0;             // index of entries[0]
  std::vector<Entry> entries;  // leaves lo.. in order (empty only when count == 0)
  std::vector<Hash32> siblings;
  bool operator==(const RangeProof&) const = default;
};
inline constexpr size_t kMaxProofSiblings = 128;  // two per level, 64 levels

Bytes account_leaf(const Entry& e);
Hash32 account_leaf_hash(const Entry& e);
Hash32 app_digest(uint64_t count, const Hash32& merkle_root);

// Proof of leaves [lo, hi) of the tree over `leaves` (leaf hashes in account order; entries holds
// the same accounts). Requires lo < hi <= size, or lo == hi == 0 for an empty state.
RangeProof prove_range(std::span<const Entry> all, std::span<const Hash32> leaves, size_t lo, size_t hi);
// The range that proves account's balance (its own leaf, or the neighbours around where it would
// be) and the range that proves a page (the page and the account before it).
std::pair<size_t, size_t> balance_range(std::span<const Entry> all, const Account& account);
std::pair<size_t, size_t> page_range(std::span<const Entry> all, const std::optional<Account>& after, uint32_t limit);

// The app digest the proof hashes up to (entries sorted strictly, indices in range, every
// sibling used exactly once); an error says what is wrong.
Result<Hash32> range_digest(const RangeProof& p);

struct Page {
  std::vector<Entry> entries;
  bool more = false;
};
// Ok with the account's entry (balance and nonce 0 when it has none) when the proof hashes to
// `digest` and covers where the account is or would be.
Result<Entry> verify_balance(const Hash32& digest, const RangeProof& p, const Account& account);
// Ok with exactly the accounts after `after` (at most limit) when the proof hashes to `digest`
// and no account between `after` and the page's end is missing.
Result<Page> verify_page(const Hash32& digest, const RangeProof& p, const std::optional<Account>& after, uint32_t limit);

Bytes encode_range_proof(const RangeProof& p);
// Bounds-checked (entry and sibling counts capped, no trailing bytes).
Result<RangeProof> decode_range_proof(ByteView b);

}  // namespace rampart::app::wallet
