#include "ledger/block.hpp"

#include <blake3.h>

#include <string>

#include "common/codec.hpp"

namespace rampart::ledger {
namespace {

// Each digest has its own BLAKE3 derive-key context, so a block header or a cluster config can
// never be mistaken for each other or for a batch (common/batch_digest.hpp) with the same bytes.
Hash32 derive_hash(const char* context, ByteView data) {
  blake3_hasher h;
  blake3_hasher_init_derive_key(&h, context);
  blake3_hasher_update(&h, data.data(), data.size());
  Hash32 out;
  blake3_hasher_finalize(&h, out.data(), out.size());
  return out;
}

constexpr std::string_view kProofTag = "rampart/cart-reply/v3";

void write_header(Writer& w, const Block& b) {
  w.u8(kBlockFormat);
  w.u64(b.k);
  w.fixed(b.batch_digest);
  w.fixed(b.prev_hash);
  w.fixed(b.state_digest);
  w.fixed(b.results_root);
}

std::string hex8(const Hash32& h) { return to_hex(ByteView(h.data(), 8)); }

}  // namespace

Bytes proof_message(uint64_t view, uint64_t k, const Hash32& block_hash) {
  Writer w;
  w.raw(as_bytes(kProofTag));
  w.u64(view);
  w.u64(k);
  w.fixed(block_hash);
  return w.take();
}

Bytes proof_message(const Block& b) { return proof_message(b.view, b.k, block_hash(b)); }

Hash32 config_digest(ByteView cluster_config) {
  return derive_hash("rampart/ledger/config/v1", cluster_config);
}

Bytes encode_header(const Block& b) {
  Writer w;
  write_header(w, b);
  return w.take();
}

Hash32 block_hash(const Block& b) {
  return derive_hash("rampart/ledger/block/v1", encode_header(b));
}

Bytes encode_block(const Block& b) {
  Writer w;
  write_header(w, b);
  w.u64(b.view);
  w.bytes(b.proof);
  return w.take();
}

Result<Block> decode_block(ByteView bytes) {
  Reader r(bytes);
  Block b;
  uint8_t format = r.u8();
  if (!r.failed() && format != kBlockFormat) {
    r.fail("unknown block format " + std::to_string(format));
  }
  b.k = r.u64();
  b.batch_digest = r.fixed<32>();
  b.prev_hash = r.fixed<32>();
  b.state_digest = r.fixed<32>();
  b.results_root = r.fixed<32>();
  b.view = r.u64();
  b.proof = r.bytes(kMaxProofBytes);
  if (auto st = r.finish(); !st.ok()) return err("malformed block: " + st.error().message);
  return b;
}

Block genesis_block(ByteView cluster_config) {
  Block g;
  g.batch_digest = config_digest(cluster_config);
  return g;
}

Status check_link(const Block& prev, const Block& b, ByteView batch) {
  std::string at = "block " + std::to_string(b.k) + ": ";
  if (b.k != prev.k + 1) {
    return err(at + "sequence gap: follows block " + std::to_string(prev.k));
  }
  Hash32 ph = block_hash(prev);
  if (b.prev_hash != ph) {
    return err(at + "broken hash link: prev_hash " + hex8(b.prev_hash) + "... but block " +
               std::to_string(prev.k) + " hashes to " + hex8(ph) + "...");
  }
  Hash32 bd = batch_digest(batch);
  if (b.batch_digest != bd) {
    return err(at + "batch digest mismatch: block says " + hex8(b.batch_digest) +
               "... but the stored batch hashes to " + hex8(bd) + "...");
  }
  return {};
}

}  // namespace rampart::ledger
