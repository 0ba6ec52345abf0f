#include "replica/executor.hpp"

#include <blake3.h>

#include "common/codec.hpp"
#include "crypto/merkle.hpp"
#include "broker/signup.hpp"
#include "replica/client_wire.hpp"
#include "replica/distilled.hpp"

namespace rampart::replica {

namespace {
constexpr size_t kMaxClients = 1u << 24;
constexpr size_t kMaxResult = 1u << 20;
constexpr size_t kMaxAppSnapshot = size_t{1} << 31;

Hash32 hash_with(const char* context, ByteView data) {
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, context);
  blake3_hasher_update(&h, data.data(), data.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}
}  // namespace

// Zero-padded to whole 64-byte blocks so that a batch's leaves can be hashed 8-16 at a time
// (BLAKE3's multi-input routine takes whole blocks only); one leaf at a time they were a
// latency-bound compression each. The result's length prefix fixes where the padding starts,
// so distinct replies still have distinct leaves.
void append_reply_leaf(Writer& w, ClientId client, uint64_t seq, uint8_t kind, ByteView result) {
  static constexpr uint8_t kZeros[64] = {};
  const size_t start = w.size();
  w.raw(as_bytes("rampart/reply-leaf/v2"));
  w.u64(client);
  w.u64(seq);
  w.u8(kind);
  w.bytes(result);
  const size_t used = (w.size() - start) % 64;
  if (used != 0) w.raw(ByteView(kZeros, 64 - used));
}

Bytes reply_leaf(ClientId client, uint64_t seq, uint8_t kind, ByteView result) {
  Writer w;
  append_reply_leaf(w, client, seq, kind, result);
  return w.take();
}

crypto::merkle::Tree results_tree(const std::vector<ReplyEntry>& replies) {
  const size_t n = replies.size();
  Writer w;  // every leaf of the batch, one after another
  w.reserve(64 * n);
  std::vector<size_t> at(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const auto& r = replies[i];
    append_reply_leaf(w, r.client, r.seq, static_cast<uint8_t>(r.kind), r.result);
    at[i + 1] = w.size();
  }
  return crypto::merkle::Tree(crypto::merkle::hash_packed_leaves(w.data(), at));
}

Outcome Executor::execute(uint64_t k, ByteView bytes) {
  auto b = decode_slot(bytes, &dir_, nullptr);
  return execute(k, b ? *b : Batch{}, batch_digest(bytes));
}

Outcome Executor::execute(uint64_t k, const Batch& batch, const Hash32& digest) {
  Outcome out;
  out.k = k;
  out.batch_digest = digest;
  auto& undo = undo_[k];
  if (undo.capacity() == 0 && !spare_undo_.empty()) {
    undo = std::move(spare_undo_.back());
    spare_undo_.pop_back();
  }
  undo.reserve(batch.requests.size());
  out.replies.reserve(batch.requests.size());
  // Results repeat (every successful KV put returns the same bytes): their cache-entry hash is
  // taken once per distinct result in a row, not once per request.
  Bytes last_result;
  Hash32 last_result_hash = reply_result_hash({});
  // The entries this batch wrote, for their results root once the tree is built; the pointers
  // hold while no client was added (an insertion can move a bucket's entries).
  auto& written = written_;
  written.clear();
  const size_t clients_before = table_.size();
  const auto& reqs = batch.requests;
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < std::min(kAhead, reqs.size()); ++i) table_.prefetch(reqs[i].client);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const auto& req = reqs[i];
    if (i + kAhead < reqs.size()) table_.prefetch(reqs[i + kAhead].client);
    ReplyEntry e{req.client, req.seq, ReplyKind::executed, {}};
    const CacheEntry* it = table_.find(req.client);
    const bool brokered = i < batch.brokered.size() && batch.brokered[i];
    if (!brokered && req.payload.size() >= client::kPubkeyBytes &&
        broker::is_signup_op(ByteView(req.payload).subspan(client::kPubkeyBytes))) {
      // A sign-up bypasses the reply cache: it is idempotent by rule (a known key gets its id
      // back), so a retry is executed again to the same answer, and it leaves the client's
      // sequence numbers to its operations (its broker-path entries share them).
      e.result = dir_.sign_up(k, req.payload);
      out.replies.push_back(std::move(e));
      continue;
    }
    const Hash32 op = brokered ? brokered_op_hash(req.payload) : Hash32{};
    if (brokered && it && it->op == op) {
      // The broker path's rule (DESIGN §3.1): the same payload again, through another broker or
      // raised to another seq, is acknowledged at the seq it was executed at, never re-executed.
      e.kind = ReplyKind::cached;
      e.seq = it->seq;
      e.result = it->result;
    } else if (brokered && it && req.seq <= it->seq) {
      e.kind = ReplyKind::stale;  // a new payload must come with a higher seq
    } else if (!brokered && it && req.seq == it->seq) {
      e.kind = ReplyKind::cached;  // a retry: answer from the reply cache, never re-execute
      e.result = it->result;
    } else if (!brokered && it && req.seq < it->seq) {
      e.kind = ReplyKind::stale;
    } else {
      e.result = sm_.apply(app::Invocation{k, static_cast<uint32_t>(i), req.client, {}, req.seq, req.payload});
      if (broker::is_signup_result(e.result)) e.result.clear();  // only sign-ups answer with the tag
      bool inserted = false;
      CacheEntry* slot = table_.upsert(req.client, inserted);
      std::optional<CacheEntry> old;
      if (!inserted) old = std::move(*slot);
      undo.push_back({req.client, std::move(old)});
      if (brokered) {
        *slot = CacheEntry{req.seq, k, Hash32{}, e.result, reply_entry_hash(e.result, op), op};
      } else {
        if (e.result != last_result) {
          last_result = e.result;
          last_result_hash = reply_result_hash(e.result);
        }
        *slot = CacheEntry{req.seq, k, Hash32{}, e.result, last_result_hash};
      }
      written.push_back(slot);
    }
    out.replies.push_back(std::move(e));
  }
  if (undo.empty()) {
    if (undo.capacity() && spare_undo_.size() < kSpareUndo) spare_undo_.push_back(std::move(undo));
    undo_.erase(k);
  }
  last_ = k;
  auto tree = std::make_shared<const crypto::merkle::Tree>(results_tree(out.replies));
  out.results_root = tree->root();
  out.tree = std::move(tree);
  if (table_.size() == clients_before) {
    for (CacheEntry* slot : written) slot->root = out.results_root;
  } else {
    for (const auto& r : out.replies) {
      // A sign-up's reply has no reply-cache entry (and must not touch the client's older one);
      // no other result carries the sign-up tag (blanked above).
      if (r.kind == ReplyKind::executed && !broker::is_signup_result(r.result))
        table_.find_mut(r.client)->root = out.results_root;
    }
  }
  out.state_digest = state_digest();
  return out;
}

void Executor::rollback(uint64_t k) {
  if (k >= last_) return;
  while (!undo_.empty() && undo_.rbegin()->first > k) {
    auto node = undo_.extract(std::prev(undo_.end()));
    auto& entries = node.mapped();
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if (it->old) {
        table_.put(it->client, std::move(*it->old));
      } else {
        table_.erase(it->client);
      }
    }
  }
  sm_.undo_to(k);
  dir_.rollback(k);
  last_ = k;
}

void Executor::make_final(uint64_t k) {
  const auto end = undo_.upper_bound(k);
  for (auto it = undo_.begin(); it != end; it = undo_.erase(it)) {
    // Kept for the next batches: a fresh vector of a batch's undo entries (hundreds of KB)
    // was a page-faulting allocation per batch.
    it->second.clear();
    if (spare_undo_.size() < kSpareUndo) spare_undo_.push_back(std::move(it->second));
  }
  sm_.make_final(k);
  dir_.make_final(k);
}

Hash32 combine_state_digest(uint64_t last, const Hash32& app_digest, const Hash32& reply_cache_digest) {
  Writer w;
  w.u64(last);
  w.fixed(app_digest);
  w.fixed(reply_cache_digest);
  return hash_with("rampart executor state v2", w.data());
}

Hash32 Executor::reply_cache_digest() const {
  if (dir_.signups() == 0) return table_.digest();
  Writer w;
  w.fixed(table_.digest());
  w.fixed(dir_.digest());
  return hash_with("rampart executor reply cache and sign-ups v1", w.data());
}

Hash32 Executor::state_digest() const { return combine_state_digest(last_, sm_.digest(), reply_cache_digest()); }

Bytes Executor::snapshot() const {
  Writer w;
  w.u64(last_);
  w.bytes(sm_.snapshot());
  w.u32(static_cast<uint32_t>(table_.size()));
  for (const auto& [client, e] : table_.sorted()) {
    w.u64(client);
    w.u64(e->seq);
    w.u64(e->k);
    w.fixed(e->root);
    w.bytes(e->result);
    const bool has_op = e->op != Hash32{};
    w.u8(has_op ? 1 : 0);
    if (has_op) w.fixed(e->op);
  }
  dir_.encode(w);  // store format 10
  return w.take();
}

Status Executor::restore(ByteView snap) {
  Reader r(snap);
  uint64_t last = r.u64();
  ByteView app = r.bytes_view(kMaxAppSnapshot);
  ReplyCache table;
  ClientId prev = 0;
  size_t n = r.count(kMaxClients, 8 + 8 + 8 + 32 + 4 + 1);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    ClientId c = r.u64();
    CacheEntry e;
    e.seq = r.u64();
    e.k = r.u64();
    e.root = r.fixed<32>();
    e.result = r.bytes(kMaxResult);
    const uint8_t has_op = r.u8();
    if (has_op > 1) r.fail("bad op flag");
    if (has_op == 1) e.op = r.fixed<32>();
    e.result_hash = reply_entry_hash(e.result, e.op);
    if (!r.failed() && i > 0 && prev >= c) r.fail("clients not increasing");
    prev = c;
    table.put(c, std::move(e));
  }
  auto signups = dir_.decode(r, last);
  if (!signups) return signups.error();
  if (auto st = r.finish(); !st) return st.error();
  // The app restore is the last step that can fail; only after it succeeds do we commit.
  if (auto st = sm_.restore(app); !st) return st.error();
  last_ = last;
  table_ = std::move(table);
  dir_.install(std::move(*signups));
  undo_.clear();
  return {};
}

std::optional<Executor::CacheEntry> Executor::cached(ClientId c) const {
  const CacheEntry* e = table_.find(c);
  if (!e) return std::nullopt;
  return *e;
}

}  // namespace rampart::replica
