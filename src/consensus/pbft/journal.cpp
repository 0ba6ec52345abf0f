#include "consensus/pbft/journal.hpp"

#include "common/codec.hpp"
#include "consensus/journal_record.hpp"

namespace rampart::consensus::pbft {
namespace {

constexpr uint8_t kVersion = 1;
// A prepared certificate's fixed part takes at least 8 + 32 + 4 + 4 bytes, a signature 8.
constexpr size_t kMinSig = 8;

constexpr std::string_view kContext = "rampart pbft journal v1";

void seal(Writer& w, Seq n, JournalKind kind) { journal::seal(w, kContext, n, static_cast<uint8_t>(kind)); }
void unseal(Reader& r, ByteView body, Seq n, JournalKind kind) {
  journal::unseal(r, body, kContext, n, static_cast<uint8_t>(kind));
}
void expect_version(Reader& r) { journal::expect_version(r, kVersion); }
using journal::done;

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

}  // namespace

Bytes encode_view_record(const ViewRecord& r) {
  return journal::encode_view_record(r, kContext, kVersion, static_cast<uint8_t>(JournalKind::view));
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

Bytes encode_new_view_record(ByteView wire) {
  Writer w;
  w.u8(kVersion);
  w.bytes(wire);
  seal(w, 0, JournalKind::new_view);
  return w.take();
}

Result<Bytes> decode_new_view_record(ByteView body) {
  Reader r(body);
  expect_version(r);
  Bytes wire = r.bytes(kMaxViewChange);
  unseal(r, body, 0, JournalKind::new_view);
  return done(r, std::move(wire));
}

Bytes encode_vote_record(Seq n, const VoteRecord& r, ByteView batch) {
  Writer w;
  w.reserve(1 + 8 + 32 + 8 + 4 + batch.size());
  w.u8(kVersion);
  w.u64(r.view);
  w.fixed(r.digest);
  seal(w, n, JournalKind::vote);
  w.bytes(batch);
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
  return journal::decode_view_record(body, kContext, kVersion, static_cast<uint8_t>(JournalKind::view));
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

Result<JournaledVote> decode_vote_record(Seq n, ByteView body) {
  Reader r(body);
  expect_version(r);
  JournaledVote v;
  v.vote.view = r.u64();
  v.vote.digest = r.fixed<32>();
  unseal(r, body, n, JournalKind::vote);
  v.batch = r.bytes(kMaxBatch);
  return done(r, std::move(v));
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
      if ((ok = v.ok())) j.votes[rec.seq] = std::move(*v);
    } else if (kind == JournalKind::prepared && rec.seq != 0) {
      auto c = decode_prepared_record(rec.seq, rec.body);
      if ((ok = c.ok())) j.prepared[rec.seq] = std::move(*c);
    } else if (kind == JournalKind::new_view && rec.seq == 0) {
      auto nv = decode_new_view_record(rec.body);
      if ((ok = nv.ok())) j.new_view = std::move(*nv);
    }
    if (!ok) ++j.ignored;
  }
  return j;
}

}  // namespace rampart::consensus::pbft
