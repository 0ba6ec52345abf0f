// PBFT journal records (src/consensus/pbft/journal.hpp) as a damaged disk may hand them back:
// no decoder may read out of bounds or allocate from an unchecked length, whatever decodes must
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
#include "consensus/pbft/journal.hpp"

using namespace rampart;
using namespace rampart::consensus;
using namespace rampart::consensus::pbft;

namespace {

bool same(const Bytes& a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Every decoder on `body` filed under seq n; whatever decodes re-encodes to the same bytes.
void decode_all(Seq n, ByteView body) {
  if (auto v = decode_view_record(body); v.ok()) {
    if (!same(encode_view_record(*v), body)) __builtin_trap();
    if (v->in_view_change ? v->target <= v->view : v->target != 0) __builtin_trap();
  }
  if (auto p = decode_stable_record(body); p.ok()) {
    if (!same(encode_stable_record(*p), body)) __builtin_trap();
  }
  if (auto v = decode_vote_record(n, body); v.ok()) {
    if (!same(encode_vote_record(n, v->vote, v->batch), body)) __builtin_trap();
  }
  if (auto c = decode_prepared_record(n, body); c.ok()) {
    if (c->seq != n) __builtin_trap();
    if (!same(encode_prepared_record(n, c->view, c->digest, c->pp_sig, c->prepares, c->batch),
              body))
      __builtin_trap();
  }
}

// Damage a valid record: truncate, or flip a bit, where the input says.
void damage_and_decode(Reader& in, Seq n, Bytes rec) {
  uint8_t how = in.u8();
  uint32_t at = in.u32();
  if (!rec.empty()) {
    if (how % 2 == 0) {
      rec.resize(at % rec.size());
    } else {
      rec[at % rec.size()] ^= static_cast<uint8_t>(1u << (how % 8));
    }
  }
  decode_all(n, rec);
  decode_all(n + 1, rec);
}

void structured(ByteView data) {
  Reader in(data);
  Seq n = in.u64() % 1000 + 1;
  View v = in.u64();
  Hash32 d = in.fixed<32>();
  ByteView pp_sig = in.bytes_view(64);
  std::vector<SigOf> sigs;
  size_t k = in.u8() % 8;
  for (size_t i = 0; i < k && !in.failed(); ++i) {
    NodeId id = in.u32();
    ByteView sig = in.bytes_view(64);
    sigs.push_back({id, Bytes(sig.begin(), sig.end())});
  }
  ByteView batch = in.bytes_view(4096);
  if (in.failed()) return;

  ViewRecord vr{v, (v & 1) != 0, (v & 1) ? v + 1 + (n & 7) : 0};
  if (vr.target < vr.view) vr = {v, false, 0};  // overflowed
  Bytes rv = encode_view_record(vr);
  auto dv = decode_view_record(rv);
  if (!dv.ok() || !(*dv == vr)) __builtin_trap();

  Bytes rs = encode_stable_record({n, d, sigs});
  auto ds = decode_stable_record(rs);
  if (!ds.ok() || ds->seq != n || ds->state != d || ds->sigs.size() != sigs.size())
    __builtin_trap();

  Bytes rvote = encode_vote_record(n, {v, d}, batch);
  auto dvote = decode_vote_record(n, rvote);
  if (!dvote.ok() || dvote->vote.view != v || dvote->vote.digest != d || !same(dvote->batch, batch)) __builtin_trap();
  if (decode_vote_record(n + 1, rvote).ok()) __builtin_trap();  // the check covers the key

  Bytes rp = encode_prepared_record(n, v, d, pp_sig, sigs, batch);
  auto dp = decode_prepared_record(n, rp);
  if (!dp.ok() || dp->view != v || dp->digest != d || !same(dp->batch, batch) ||
      !same(dp->pp_sig, pp_sig) || dp->prepares.size() != sigs.size())
    __builtin_trap();

  damage_and_decode(in, 0, rv);
  damage_and_decode(in, 0, rs);
  damage_and_decode(in, n, rvote);
  damage_and_decode(in, n, rp);

  std::vector<JournalRecord> recs{{0, 1, rv}, {0, 2, rs}, {n, 3, rvote}, {n, 4, rp}};
  DecodedJournal j = decode_journal(recs);
  if (j.ignored != 0 || !j.view || !j.stable || j.votes.size() != 1 || j.prepared.size() != 1)
    __builtin_trap();
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
  Seq n = data[0] >> 1;
  decode_all(n, in);
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
  DecodedJournal j = decode_journal(recs);
  size_t used = (j.view ? 1 : 0) + (j.stable ? 1 : 0) + j.votes.size() + j.prepared.size();
  if (used + j.ignored > recs.size()) __builtin_trap();
  return 0;
}
