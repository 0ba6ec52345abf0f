#include "ledger/records.hpp"

#include <blake3.h>

#include <string>

#include "common/codec.hpp"

namespace rampart::ledger {
namespace {

constexpr uint32_t kMetaMagic = 0x4c504d52;  // "RMPL" read little-endian

Hash32 snapshot_hash(ByteView state) {
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, "rampart/ledger/snapshot/v1");
  blake3_hasher_update(&h, state.data(), state.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

}  // namespace

bool CheckpointRecord::operator==(const CheckpointRecord& o) const {
  if (k != o.k || view != o.view || head != o.head || state_digest != o.state_digest ||
      signatures.size() != o.signatures.size()) {
    return false;
  }
  for (size_t i = 0; i < signatures.size(); ++i) {
    if (signatures[i].signer != o.signatures[i].signer || signatures[i].sig != o.signatures[i].sig) {
      return false;
    }
  }
  return true;
}

Bytes encode_checkpoint(const CheckpointRecord& c) {
  Writer w;
  w.u64(c.k);
  w.u64(c.view);
  w.fixed(c.head);
  w.fixed(c.state_digest);
  w.u32(static_cast<uint32_t>(c.signatures.size()));
  for (const auto& s : c.signatures) {
    w.u32(s.signer);
    w.bytes(s.sig);
  }
  return w.take();
}

Result<CheckpointRecord> decode_checkpoint(ByteView bytes) {
  Reader r(bytes);
  CheckpointRecord c;
  c.k = r.u64();
  c.view = r.u64();
  c.head = r.fixed<32>();
  c.state_digest = r.fixed<32>();
  size_t n = r.count(kMaxCheckpointSigs, 8);
  c.signatures.reserve(n);
  for (size_t i = 0; i < n && !r.failed(); ++i) {
    crypto::Share s;
    s.signer = r.u32();
    s.sig = r.bytes(kMaxSigBytes);
    c.signatures.push_back(std::move(s));
  }
  if (auto st = r.finish(); !st.ok()) return err("malformed checkpoint record: " + st.error().message);
  return c;
}

Bytes encode_snapshot(const Snapshot& s) {
  Writer w;
  w.u64(s.k);
  w.fixed(snapshot_hash(s.state));
  w.raw(s.state);  // the rest of the value; no length prefix, so no size limit
  return w.take();
}

Result<Snapshot> decode_snapshot(ByteView bytes) {
  Reader r(bytes);
  Snapshot s;
  s.k = r.u64();
  Hash32 h = r.fixed<32>();
  ByteView state = r.raw(r.remaining());
  if (auto st = r.finish(); !st.ok()) return err("malformed snapshot: " + st.error().message);
  if (snapshot_hash(state) != h) return err("snapshot at " + std::to_string(s.k) + " fails its hash");
  s.state.assign(state.begin(), state.end());
  return s;
}

Bytes encode_metadata(const Metadata& m) {
  Writer w;
  w.u32(kMetaMagic);
  w.u32(m.format);
  w.fixed(m.config_hash);
  w.u64(m.last_block);
  w.u64(m.last_final);
  return w.take();
}

Result<Metadata> decode_metadata(ByteView bytes) {
  Reader r(bytes);
  Metadata m;
  if (r.u32() != kMetaMagic && !r.failed()) r.fail("bad magic");
  m.format = r.u32();
  if (!r.failed() && m.format != kStoreFormat) {
    return err("unsupported ledger format version " + std::to_string(m.format) + " (this build reads " +
               std::to_string(kStoreFormat) + ")");
  }
  m.config_hash = r.fixed<32>();
  m.last_block = r.u64();
  m.last_final = r.u64();
  if (auto st = r.finish(); !st.ok()) return err("malformed metadata: " + st.error().message);
  if (m.last_final > m.last_block) return err("malformed metadata: last final block above last block");
  return m;
}

}  // namespace rampart::ledger
