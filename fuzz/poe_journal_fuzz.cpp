// PoE journal records (src/consensus/poe/journal.hpp) as a damaged disk may hand them back: no
// decoder may read out of bounds or allocate from an unchecked length, whatever decodes must
// re-encode to exactly the input (the encodings are canonical), and decode_journal must count
// every record it does not use.
//
// Raw bytes rarely get past a record's 64-bit check, so the input also drives a structured
// mode: fields taken from the input are encoded into valid records, which must round-trip, and
// then truncated or bit-flipped at input-chosen places and decoded again.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/codec.hpp"
#include "consensus/poe/journal.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::poe;

namespace {

Limits limits() {
  Limits l;
  l.n = 7;
  l.window = 64;
  l.max_batch = 1 << 16;
  l.max_sig = 256;
  return l;
}

bool same(const Bytes& a, ByteView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

// Every decoder on `body` filed under seq k; whatever decodes re-encodes to the same bytes.
void decode_all(Seq k, ByteView body) {
  const Limits l = limits();
  if (auto v = decode_view_record(body); v.ok()) {
    if (!same(encode_view_record(*v), body)) __builtin_trap();
    if (v->in_view_change ? v->target <= v->view : v->target != 0) __builtin_trap();
  }
  if (auto s = decode_stable_record(body, l); s.ok()) {
    if (s->proof.size() > l.n) __builtin_trap();
    if (!same(encode_stable_record(*s), body)) __builtin_trap();
  }
  if (auto s = decode_support_record(k, body); s.ok()) {
    if (!same(encode_support_record(k, *s), body)) __builtin_trap();
  }
  if (auto c = decode_certified_record(k, body, l); c.ok()) {
    const CommittedEntry& e = c->entry;
    if (e.k != k || e.batch.size() > l.max_batch || e.cert.sigs.size() > l.n) __builtin_trap();
    if (!c->with_batch && !e.batch.empty()) __builtin_trap();
    if (!same(encode_certified_record(e, c->with_batch), body)) __builtin_trap();
  }
}

// Damage a valid record: truncate, or flip a bit, where the input says.
void damage_and_decode(Reader& in, Seq k, Bytes rec) {
  uint8_t how = in.u8();
  uint32_t at = in.u32();
  if (!rec.empty()) {
    if (how % 2 == 0) {
      rec.resize(at % rec.size());
    } else {
      rec[at % rec.size()] ^= static_cast<uint8_t>(1u << (how % 8));
    }
  }
  decode_all(k, rec);
  decode_all(k + 1, rec);
}

void structured(ByteView data) {
  const Limits l = limits();
  Reader in(data);
  Seq k = in.u64() % 1000 + 1;
  View v = in.u64();
  Hash32 d = in.fixed<32>();
  ByteView group = in.bytes_view(64);
  std::vector<SigEntry> sigs;
  size_t count = in.u8() % (l.n + 1);
  for (size_t i = 0; i < count && !in.failed(); ++i) {
    NodeId id = in.u32();
    ByteView sig = in.bytes_view(64);
    sigs.push_back({id, Bytes(sig.begin(), sig.end())});
  }
  ByteView batch = in.bytes_view(4096);
  if (in.failed()) return;

  ViewRecord vr{v, (v & 1) != 0, (v & 1) ? v + 1 + (k & 7) : 0};
  if (vr.in_view_change && vr.target <= vr.view) vr = {v, false, 0};  // overflowed
  Bytes rv = encode_view_record(vr);
  auto dv = decode_view_record(rv);
  if (!dv.ok() || !(*dv == vr)) __builtin_trap();

  Bytes rs = encode_stable_record(StableRecord{k, v, d, sigs});
  auto ds = decode_stable_record(rs, l);
  if (!ds.ok() || ds->k != k || ds->v != v || ds->head != d || ds->proof != sigs) __builtin_trap();

  Bytes rsup = encode_support_record(k, {v, d});
  auto dsup = decode_support_record(k, rsup);
  if (!dsup.ok() || dsup->view != v || dsup->digest != d) __builtin_trap();
  if (decode_support_record(k + 1, rsup).ok()) __builtin_trap();  // the check covers the key

  CommittedEntry e{v, k, d, Bytes(batch.begin(), batch.end()), {Bytes(group.begin(), group.end()), sigs}};
  const bool with_batch = (v & 2) == 0;
  Bytes rc = encode_certified_record(e, with_batch);
  auto dc = decode_certified_record(k, rc, l);
  if (!dc.ok() || dc->with_batch != with_batch || dc->entry.v != v || dc->entry.k != k || dc->entry.digest != d ||
      !same(dc->entry.batch, with_batch ? batch : ByteView{}) || !same(dc->entry.cert.group_sig, group) ||
      dc->entry.cert.sigs != sigs) {
    __builtin_trap();
  }
  if (decode_certified_record(k + 1, rc, l).ok()) __builtin_trap();

  damage_and_decode(in, 0, rv);
  damage_and_decode(in, 0, rs);
  damage_and_decode(in, k, rsup);
  damage_and_decode(in, k, rc);

  std::vector<JournalRecord> recs{{0, 1, rv}, {0, 2, rs}, {k, 3, rsup}, {k, 4, rc}};
  DecodedJournal j = decode_journal(recs, l);
  if (j.ignored != 0 || !j.view || !j.stable || j.supports.size() != 1 || j.certified.size() != 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteView in(data + 1, size - 1);
  if (data[0] & 1) {
    structured(in);
    return 0;
  }
  // Raw: the whole input as one record of each kind, then split into records for
  // decode_journal (seq, kind and a length per record, from the input).
  Seq k = data[0] >> 1;
  decode_all(k, in);
  Reader r(in);
  std::vector<JournalRecord> recs;
  while (r.remaining() > 0 && recs.size() < 64) {
    JournalRecord rec;
    rec.seq = r.u8() % 4;
    rec.kind = r.u8() % 6;
    rec.body = r.bytes(1 << 16);
    if (r.failed()) break;
    recs.push_back(std::move(rec));
  }
  DecodedJournal j = decode_journal(recs, limits());
  size_t used = (j.view ? 1 : 0) + (j.stable ? 1 : 0) + j.supports.size() + j.certified.size();
  if (used + j.ignored > recs.size()) __builtin_trap();
  return 0;
}
