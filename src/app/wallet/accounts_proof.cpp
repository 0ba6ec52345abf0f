#include "app/wallet/accounts_proof.hpp"

#include <algorithm>

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "crypto/merkle.hpp"

namespace rampart::app::wallet {
namespace merkle = crypto::merkle;

Bytes account_leaf(const Entry& e) {
  Writer w;
  w.raw(as_bytes("rampart/wallet/account/v1"));
  w.fixed(e.account);
  w.u64(e.balance);
  w.u64(e.nonce);
  return w.take();
}

Hash32 account_leaf_hash(const Entry& e) { return merkle::leaf_hash(account_leaf(e)); }

Hash32 app_digest(uint64_t count, const Hash32& root) {
  Writer w;
  w.u64(count);
  w.fixed(root);
  return crypto::blake3::derive_key("rampart/wallet/state/v1", w.data());
}

RangeProof prove_range(std::span<const Entry> all, std::span<const Hash32> leaves, size_t lo, size_t hi) {
  RangeProof p;
  p.count = leaves.size();
  p.lo = lo;
  if (leaves.empty() || lo >= hi || hi > leaves.size()) return p;
  p.entries.assign(all.begin() + static_cast<ptrdiff_t>(lo), all.begin() + static_cast<ptrdiff_t>(hi));
  // Walk up level by level; at each level the known nodes are [a, b) of n.
  std::vector<Hash32> level(leaves.begin(), leaves.end());
  size_t a = lo, b = hi, n = level.size();
  while (n > 1) {
    if (a % 2 == 1) p.siblings.push_back(level[a - 1]);
    if ((b - 1) % 2 == 0 && b < n) p.siblings.push_back(level[b]);
    std::vector<Hash32> up((n + 1) / 2);
    for (size_t i = 0; i < n / 2; ++i) up[i] = merkle::inner_hash(level[2 * i], level[2 * i + 1]);
    if (n % 2 == 1) up[n / 2] = level[n - 1];
    level = std::move(up);
    a /= 2;
    b = (b - 1) / 2 + 1;
    n = (n + 1) / 2;
  }
  return p;
}

namespace {
bool less(const Account& a, const Account& b) { return a < b; }
}  // namespace

std::pair<size_t, size_t> balance_range(std::span<const Entry> all, const Account& account) {
  const size_t n = all.size();
  if (n == 0) return {0, 0};
  auto it = std::lower_bound(all.begin(), all.end(), account, [](const Entry& e, const Account& a) { return less(e.account, a); });
  const size_t i = static_cast<size_t>(it - all.begin());
  if (i < n && all[i].account == account) return {i, i + 1};
  if (i == 0) return {0, 1};
  if (i == n) return {n - 1, n};
  return {i - 1, i + 1};
}

std::pair<size_t, size_t> page_range(std::span<const Entry> all, const std::optional<Account>& after, uint32_t limit) {
  const size_t n = all.size();
  if (n == 0) return {0, 0};
  size_t i = 0;
  if (after) {
    auto it = std::upper_bound(all.begin(), all.end(), *after, [](const Account& a, const Entry& e) { return less(a, e.account); });
    i = static_cast<size_t>(it - all.begin());
  }
  if (i == n) return {n - 1, n};
  return {i > 0 ? i - 1 : 0, std::min(n, i + limit)};
}

Result<Hash32> range_digest(const RangeProof& p) {
  if (p.count == 0) {
    if (!p.entries.empty() || !p.siblings.empty() || p.lo != 0) return err("proof: an empty state has no entries");
    return app_digest(0, merkle::empty_root());
  }
  if (p.count > (uint64_t{1} << 40)) return err("proof: implausible account count");
  if (p.entries.empty()) return err("proof: no entries");
  if (p.lo >= p.count || p.entries.size() > p.count - p.lo) return err("proof: range outside the tree");
  for (size_t i = 1; i < p.entries.size(); ++i)
    if (!(p.entries[i - 1].account < p.entries[i].account)) return err("proof: entries not in strictly increasing account order");
  std::vector<Hash32> level;
  level.reserve(p.entries.size());
  for (const auto& e : p.entries) level.push_back(account_leaf_hash(e));
  uint64_t a = p.lo, b = p.lo + p.entries.size(), n = p.count;
  size_t s = 0;
  auto next_sibling = [&](Hash32& out) {
    if (s >= p.siblings.size()) return false;
    out = p.siblings[s++];
    return true;
  };
  while (n > 1) {
    // Extend the known range by the siblings it needs, then hash pairs.
    Hash32 left{}, right{};
    const bool has_left = a % 2 == 1, has_right = (b - 1) % 2 == 0 && b < n;
    if (has_left && !next_sibling(left)) return err("proof: too few sibling hashes");
    if (has_right && !next_sibling(right)) return err("proof: too few sibling hashes");
    std::vector<Hash32> ext;
    ext.reserve(level.size() + 2);
    if (has_left) ext.push_back(left);
    ext.insert(ext.end(), level.begin(), level.end());
    if (has_right) ext.push_back(right);
    const uint64_t ea = has_left ? a - 1 : a, eb = has_right ? b + 1 : b;  // ext covers [ea, eb), ea even
    std::vector<Hash32> up;
    up.reserve(ext.size() / 2 + 1);
    for (uint64_t i = ea; i < eb; i += 2) {
      if (i + 1 < eb) {
        up.push_back(merkle::inner_hash(ext[i - ea], ext[i + 1 - ea]));
      } else {
        up.push_back(ext[i - ea]);  // i == n - 1, the odd last node: promoted
      }
    }
    level = std::move(up);
    a /= 2;
    b = (b - 1) / 2 + 1;
    n = (n + 1) / 2;
  }
  if (s != p.siblings.size()) return err("proof: unused sibling hashes");
  return app_digest(p.count, level.front());
}

Result<Entry> verify_balance(const Hash32& digest, const RangeProof& p, const Account& account) {
  auto d = range_digest(p);
  if (!d) return d.error();
  if (*d != digest) return err("proof: accounts do not hash to the proven state digest");
  Entry out;
  out.account = account;
  if (p.count == 0) return out;
  const bool left_ok = p.lo == 0 || !(account < p.entries.front().account);
  const bool right_ok = p.lo + p.entries.size() == p.count || !(p.entries.back().account < account);
  if (!left_ok || !right_ok) return err("proof: the proven range does not cover the account");
  for (const auto& e : p.entries)
    if (e.account == account) return e;
  return out;  // between two adjacent leaves, or beyond an end: no such account
}

Result<Page> verify_page(const Hash32& digest, const RangeProof& p, const std::optional<Account>& after, uint32_t limit) {
  auto d = range_digest(p);
  if (!d) return d.error();
  if (*d != digest) return err("proof: accounts do not hash to the proven state digest");
  Page page;
  if (p.count == 0) return page;
  size_t f = 0;  // first entry after `after`
  if (after) {
    while (f < p.entries.size() && !(*after < p.entries[f].account)) ++f;
  }
  if (p.lo > 0 && f == 0) return err("proof: the page's start is not shown to follow 'after' directly");
  const uint64_t first_index = p.lo + f;
  const uint64_t want = std::min<uint64_t>(limit, p.count - first_index);
  if (p.entries.size() - f != want) return err("proof: the page is not the " + std::to_string(want) + " accounts it should be");
  page.entries.assign(p.entries.begin() + static_cast<ptrdiff_t>(f), p.entries.end());
  page.more = first_index + want < p.count;
  return page;
}

Bytes encode_range_proof(const RangeProof& p) {
  Writer w;
  w.u64(p.count);
  w.u64(p.lo);
  w.u32(static_cast<uint32_t>(p.entries.size()));
  for (const auto& e : p.entries) {
    w.fixed(e.account);
    w.u64(e.balance);
    w.u64(e.nonce);
  }
  w.u8(static_cast<uint8_t>(p.siblings.size()));
  for (const auto& s : p.siblings) w.fixed(s);
  return w.take();
}

Result<RangeProof> decode_range_proof(ByteView b) {
  Reader r(b);
  RangeProof p;
  p.count = r.u64();
  p.lo = r.u64();
  const size_t n = r.count(kMaxEntries, 48);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    Entry e;
    e.account = r.fixed<32>();
    e.balance = r.u64();
    e.nonce = r.u64();
    p.entries.push_back(e);
  }
  const uint8_t s = r.u8();
  if (!r.failed() && s > kMaxProofSiblings) r.fail("too many sibling hashes");
  for (size_t i = 0; i < s && !r.failed(); ++i) p.siblings.push_back(r.fixed<32>());
  if (auto st = r.finish(); !st) return err("accounts proof: " + st.error().message);
  return p;
}

}  // namespace rampart::app::wallet
