#pragma once
// What PBFT's and PoE's journals share (pbft/journal.hpp, poe/journal.hpp): the view record, the
// check every
// record carries — the first 8 bytes of BLAKE3 in derive-key mode under the protocol's own
// context, over (seq, kind, the record's bytes before the check) — and the version byte. It
// catches damage and records filed under another key; it is not a MAC (the journal is the
// replica's own disk, not an adversary's input). Header-only: the two protocol libraries share
// nothing else; each passes its own context, version and kind numbers.
#include <cstdint>
#include <string_view>

#include "common/codec.hpp"
#include "common/result.hpp"
#include "consensus/protocol.hpp"
#include "crypto/blake3.hpp"

namespace rampart::consensus::journal {

inline uint64_t check_of(std::string_view context, Seq seq, uint8_t kind, ByteView prefix) {
  Writer key;
  key.u64(seq);
  key.u8(kind);
  auto h = crypto::blake3::Hasher::derive_key(context);
  h.update(key.data());
  h.update(prefix);
  Hash32 d = h.finalize();
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= uint64_t{d[i]} << (8 * i);
  return v;
}

// Appends the check over everything written so far.
inline void seal(Writer& w, std::string_view context, Seq seq, uint8_t kind) {
  w.u64(check_of(context, seq, kind, w.data()));
}

// Reads the check and fails the reader unless it matches the bytes of `body` before it.
inline void unseal(Reader& r, ByteView body, std::string_view context, Seq seq, uint8_t kind) {
  size_t at = r.position();
  uint64_t got = r.u64();
  if (!r.failed() && got != check_of(context, seq, kind, body.subspan(0, at))) r.fail("journal record: bad check");
}

inline void expect_version(Reader& r, uint8_t version) {
  if (r.u8() != version) r.fail("journal record: unknown version");
}

template <typename T>
Result<T> done(const Reader& r, T value) {
  if (auto st = r.finish(); !st.ok()) return st.error();
  return value;
}

// The view promise, seq 0: the view installed and, during a view change, its target (a replica
// that asked for `target` takes no part in lower views).
struct ViewRecord {
  View view = 0;                // the last view installed (0 at genesis)
  bool in_view_change = false;  // a view change toward `target` was announced, no new view installed since
  View target = 0;              // > view when in_view_change, else 0
  bool operator==(const ViewRecord&) const = default;
};

inline Bytes encode_view_record(const ViewRecord& r, std::string_view context, uint8_t version, uint8_t kind) {
  Writer w;
  w.u8(version);
  w.u64(r.view);
  w.boolean(r.in_view_change);
  w.u64(r.target);
  seal(w, context, 0, kind);
  return w.take();
}

inline Result<ViewRecord> decode_view_record(ByteView body, std::string_view context, uint8_t version, uint8_t kind) {
  Reader r(body);
  expect_version(r, version);
  ViewRecord v;
  v.view = r.u64();
  v.in_view_change = r.boolean();
  v.target = r.u64();
  unseal(r, body, context, 0, kind);
  if (!r.failed() && (v.in_view_change ? v.target <= v.view : v.target != 0))
    r.fail("journal view record: inconsistent target");
  return done(r, v);
}

}  // namespace rampart::consensus::journal
