#include "consensus/poe/journal.hpp"

#include "common/codec.hpp"
#include "consensus/journal_record.hpp"

namespace rampart::consensus::poe {
namespace {

constexpr uint8_t kVersion = 3;  // 2: the certified record's batch flag; 3: checkpoints by (view, head)
constexpr size_t kSigEntryMin = 4 + 4;  // signer u32, length u32

constexpr std::string_view kContext = "rampart poe journal v1";

void seal(Writer& w, Seq k, JournalKind kind) { journal::seal(w, kContext, k, static_cast<uint8_t>(kind)); }
void unseal(Reader& r, ByteView body, Seq k, JournalKind kind) {
  journal::unseal(r, body, kContext, k, static_cast<uint8_t>(kind));
}
void expect_version(Reader& r) { journal::expect_version(r, kVersion); }
using journal::done;

void put_sigs(Writer& w, const std::vector<SigEntry>& sigs) {
  w.u32(static_cast<uint32_t>(sigs.size()));
  for (const auto& s : sigs) {
    w.u32(s.signer);
    w.bytes(s.sig);
  }
}

std::vector<SigEntry> get_sigs(Reader& r, const Limits& l) {
  size_t n = r.count(l.n, kSigEntryMin);
  std::vector<SigEntry> out;
  out.reserve(n);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    SigEntry e;
    e.signer = r.u32();
    e.sig = r.bytes(l.max_sig);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Bytes encode_view_record(const ViewRecord& r) {
  return journal::encode_view_record(r, kContext, kVersion, static_cast<uint8_t>(JournalKind::view));
}

Bytes encode_stable_record(const StableRecord& s) {
  Writer w;
  w.u8(kVersion);
  w.u64(s.k);
  w.u64(s.v);
  w.fixed(s.head);
  put_sigs(w, s.proof);
  seal(w, 0, JournalKind::stable);
  return w.take();
}

Bytes encode_new_view_record(ByteView nv_wire) {
  Writer w;
  w.reserve(1 + 4 + nv_wire.size() + 8);
  w.u8(kVersion);
  w.bytes(nv_wire);
  seal(w, 0, JournalKind::new_view);
  return w.take();
}

Result<Bytes> decode_new_view_record(ByteView body) {
  Reader r(body);
  expect_version(r);
  Bytes wire = r.bytes(body.size());  // bounded by the record; decode_nv_propose bounds the rest
  unseal(r, body, 0, JournalKind::new_view);
  return done(r, std::move(wire));
}

Bytes encode_support_record(Seq k, const SupportRecord& r) {
  Writer w;
  w.u8(kVersion);
  w.u64(r.view);
  w.fixed(r.digest);
  seal(w, k, JournalKind::support);
  return w.take();
}

Bytes encode_certified_record(const CommittedEntry& e, bool with_batch) {
  Writer w;
  size_t sigs = 0;
  for (const auto& s : e.cert.sigs) sigs += 8 + s.sig.size();
  // One allocation: the batch, when carried, is most of it (~220 KB).
  w.reserve(1 + 8 + 32 + 4 + e.cert.group_sig.size() + 4 + sigs + 1 + 8 + (with_batch ? 4 + e.batch.size() : 0));
  w.u8(kVersion);
  w.u64(e.v);
  w.fixed(e.digest);
  w.bytes(e.cert.group_sig);
  put_sigs(w, e.cert.sigs);
  w.u8(with_batch ? 1 : 0);
  seal(w, e.k, JournalKind::certified);
  if (with_batch) w.bytes(e.batch);
  return w.take();
}

Result<ViewRecord> decode_view_record(ByteView body) {
  return journal::decode_view_record(body, kContext, kVersion, static_cast<uint8_t>(JournalKind::view));
}

Result<StableRecord> decode_stable_record(ByteView body, const Limits& l) {
  Reader r(body);
  expect_version(r);
  StableRecord s;
  s.k = r.u64();
  s.v = r.u64();
  s.head = r.fixed<32>();
  s.proof = get_sigs(r, l);
  unseal(r, body, 0, JournalKind::stable);
  return done(r, std::move(s));
}

Result<SupportRecord> decode_support_record(Seq k, ByteView body) {
  Reader r(body);
  expect_version(r);
  SupportRecord s;
  s.view = r.u64();
  s.digest = r.fixed<32>();
  unseal(r, body, k, JournalKind::support);
  return done(r, s);
}

Result<CertifiedRecord> decode_certified_record(Seq k, ByteView body, const Limits& l) {
  Reader r(body);
  expect_version(r);
  CertifiedRecord c;
  CommittedEntry& e = c.entry;
  e.k = k;
  e.v = r.u64();
  e.digest = r.fixed<32>();
  e.cert.group_sig = r.bytes(l.max_sig);
  e.cert.sigs = get_sigs(r, l);
  const uint8_t flag = r.u8();
  if (flag > 1) r.fail("certified record: bad batch flag");
  c.with_batch = flag == 1;
  unseal(r, body, k, JournalKind::certified);
  if (c.with_batch) e.batch = r.bytes(l.max_batch);
  return done(r, std::move(c));
}

DecodedJournal decode_journal(const std::vector<JournalRecord>& records, const Limits& l) {
  DecodedJournal j;
  for (const auto& rec : records) {
    bool ok = false;
    const auto kind = static_cast<JournalKind>(rec.kind);
    if (kind == JournalKind::view && rec.seq == 0) {
      auto v = decode_view_record(rec.body);
      if ((ok = v.ok())) j.view = *v;
    } else if (kind == JournalKind::stable && rec.seq == 0) {
      auto s = decode_stable_record(rec.body, l);
      if ((ok = s.ok())) j.stable = std::move(*s);
    } else if (kind == JournalKind::new_view && rec.seq == 0) {
      auto nv = decode_new_view_record(rec.body);
      if ((ok = nv.ok())) j.new_view = std::move(*nv);
    } else if (kind == JournalKind::support && rec.seq != 0) {
      auto s = decode_support_record(rec.seq, rec.body);
      if ((ok = s.ok())) j.supports[rec.seq] = *s;
    } else if (kind == JournalKind::certified && rec.seq != 0) {
      auto e = decode_certified_record(rec.seq, rec.body, l);
      if ((ok = e.ok())) j.certified[rec.seq] = std::move(*e);
    }
    if (!ok) ++j.ignored;
  }
  return j;
}

}  // namespace rampart::consensus::poe
