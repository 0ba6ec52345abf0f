#include "consensus/pbft/journal.hpp"

#include "common/codec.hpp"
#include "crypto/blake3.hpp"

namespace rampart::consensus::pbft {
namespace {

constexpr uint8_t kVersion = 1;
// A prepared certificate's fixed part takes at least 8 + 32 + 4 + 4 bytes, a signature 8.
constexpr size_t kMinSig = 8;

// First 8 bytes of BLAKE3 over (seq, kind, prefix): catches damage and records filed under
// another key. Not a MAC: the journal is the replica's own disk, not an adversary's input.
uint64_t check_of(Seq n, JournalKind kind, ByteView prefix) {
  Writer key;
  key.u64(n);
  key.u8(static_cast<uint8_t>(kind));
  auto h = crypto::blake3::Hasher::derive_key("rampart pbft journal v1");
  h.update(key.data());
  h.update(prefix);
  Hash32 d = h.finalize();
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{d[static_cast<size_t>(i)]} << (8 * i);
  return v;
}

void seal(Writer& w, Seq n, JournalKind kind) { w.u64(check_of(n, kind, w.data())); }

// Reads the check and fails the reader unless it matches the bytes before it.
void unseal(Reader& r, ByteView body, Seq n, JournalKind kind) {
  size_t at = r.position();
  uint64_t got = r.u64();
  if (!r.failed() && got != check_of(n, kind, body.subspan(0, at)))
    r.fail("journal record: bad check");
}

void expect_version(Reader& r) {
  if (r.u8() != kVersion) r.fail("journal record: unknown version");
}

void put_sigs(Writer& w, const std::vector<SigOf>& sigs) {
  w.u32(static_cast<uint32_t>(sigs.size()));
  for (const auto& s : sigs) {
    w.u32(s.id);
    w.bytes(s.sig);
  }
}

std::vector<SigOf> get_sigs(Reader& r) {
  size_t k = r.count(kMaxReplicas, kMinSig);
  std::vector<SigOf> out;
  out.reserve(k);
  for (size_t i = 0; i < k && !r.failed(); ++i) {
    SigOf s;
    s.id = r.u32();
    s.sig = r.bytes(kMaxSig);
    out.push_back(std::move(s));
  }
  return out;
}

template <typename T>
Result<T> done(const Reader& r, T value) {
  if (auto st = r.finish(); !st.ok()) return st.error();
  return value;
}

}  // namespace

Bytes encode_view_record(const ViewRecord& r) {
  Writer w;
  w.u8(kVersion);
  w.u64(r.view);
  w.boolean(r.in_view_change);
  w.u64(r.target);
  seal(w, 0, JournalKind::view);
  return w.take();
}

Bytes encode_stable_record(const CheckpointProof& p) {
  Writer w;
  w.u8(kVersion);
  w.u64(p.seq);
  w.fixed(p.state);
  put_sigs(w, p.sigs);
  seal(w, 0, JournalKind::stable);
  return w.take();
}

Bytes encode_vote_record(Seq n, const VoteRecord& r) {
  Writer w;
  w.u8(kVersion);
  w.u64(r.view);
  w.fixed(r.digest);
  seal(w, n, JournalKind::vote);
  return w.take();
}

Bytes encode_prepared_record(Seq n, View v, const Hash32& d, ByteView pp_sig,
                             const std::vector<SigOf>& prepares, ByteView batch) {
  Writer w;
  size_t sigs = 0;
  for (const auto& s : prepares) sigs += 8 + s.sig.size();
  w.reserve(1 + 8 + 32 + 4 + pp_sig.size() + 4 + sigs + 8 + 4 + batch.size());  // one allocation
  w.u8(kVersion);
  w.u64(v);
  w.fixed(d);
  w.bytes(pp_sig);
  put_sigs(w, prepares);
  seal(w, n, JournalKind::prepared);
  w.bytes(batch);
  return w.take();
}

Result<ViewRecord> decode_view_record(ByteView body) {
  Reader r(body);
  expect_version(r);
  ViewRecord v;
  v.view = r.u64();
  v.in_view_change = r.boolean();
  v.target = r.u64();
  unseal(r, body, 0, JournalKind::view);
  if (!r.failed() && (v.in_view_change ? v.target <= v.view : v.target != 0))
    r.fail("journal view record: inconsistent target");
  return done(r, v);
}

Result<CheckpointProof> decode_stable_record(ByteView body) {
  Reader r(body);
  expect_version(r);
  CheckpointProof p;
  p.seq = r.u64();
  p.state = r.fixed<32>();
  p.sigs = get_sigs(r);
  unseal(r, body, 0, JournalKind::stable);
  return done(r, std::move(p));
}

Result<VoteRecord> decode_vote_record(Seq n, ByteView body) {
  Reader r(body);
  expect_version(r);
  VoteRecord v;
  v.view = r.u64();
  v.digest = r.fixed<32>();
  unseal(r, body, n, JournalKind::vote);
  return done(r, v);
}

Result<PreparedCert> decode_prepared_record(Seq n, ByteView body) {
  Reader r(body);
  expect_version(r);
  PreparedCert c;
  c.seq = n;
  c.view = r.u64();
  c.digest = r.fixed<32>();
  c.pp_sig = r.bytes(kMaxSig);
  c.prepares = get_sigs(r);
  unseal(r, body, n, JournalKind::prepared);
  c.batch = r.bytes(kMaxBatch);
  return done(r, std::move(c));
}

DecodedJournal decode_journal(const std::vector<JournalRecord>& records) {
  DecodedJournal j;
  for (const auto& rec : records) {
    bool ok = false;
    auto kind = static_cast<JournalKind>(rec.kind);
    if (kind == JournalKind::view && rec.seq == 0) {
      auto v = decode_view_record(rec.body);
      if ((ok = v.ok())) j.view = *v;
    } else if (kind == JournalKind::stable && rec.seq == 0) {
      auto p = decode_stable_record(rec.body);
      if ((ok = p.ok())) j.stable = std::move(*p);
    } else if (kind == JournalKind::vote && rec.seq != 0) {
      auto v = decode_vote_record(rec.seq, rec.body);
      if ((ok = v.ok())) j.votes[rec.seq] = *v;
    } else if (kind == JournalKind::prepared && rec.seq != 0) {
      auto c = decode_prepared_record(rec.seq, rec.body);
      if ((ok = c.ok())) j.prepared[rec.seq] = std::move(*c);
    }
    if (!ok) ++j.ignored;
  }
  return j;
}

}  // namespace rampart::consensus::pbft
