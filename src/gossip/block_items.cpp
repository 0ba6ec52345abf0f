#include "gossip/block_items.hpp"

#include "common/codec.hpp"
#include "gossip/api_message.hpp"

namespace rampart::gossip {
namespace {
constexpr uint32_t kPartMagic = 0x4b4c4252;  // "RBLK"
constexpr uint32_t kWantMagic = 0x544e5752;  // "RWNT"
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxEncodedBlock = 4 * 32 + 3 * 8 + 4 + 1 + ledger::kMaxProofBytes + 64;
}  // namespace

Result<std::vector<Bytes>> encode_block_parts(const ledger::Block& b, ByteView batch, uint64_t resend) {
  if (batch.size() > kMaxGossipBatch) return err("batch of " + std::to_string(batch.size()) + " bytes is too large to gossip");
  Bytes block = ledger::encode_block(b);
  size_t count = batch.empty() ? 1 : (batch.size() + kBlockPartBytes - 1) / kBlockPartBytes;
  std::vector<Bytes> parts;
  parts.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    Writer w;
    w.u32(kPartMagic);
    w.u8(kVersion);
    w.u64(resend);
    w.bytes(block);
    w.u32(static_cast<uint32_t>(batch.size()));
    w.u32(static_cast<uint32_t>(kBlockPartBytes));
    w.u16(static_cast<uint16_t>(i));
    w.u16(static_cast<uint16_t>(count));
    size_t at = i * kBlockPartBytes;
    w.bytes(batch.subspan(at, std::min(kBlockPartBytes, batch.size() - at)));
    if (w.size() > kMaxData) return err("block part does not fit a gossip item");
    parts.push_back(w.take());
  }
  return parts;
}

Result<BlockPart> decode_block_part(ByteView item) {
  Reader r(item);
  if (r.u32() != kPartMagic) return err("not a Rampart block part (magic)");
  if (r.u8() != kVersion) return err("block part: unsupported version");
  BlockPart p;
  p.resend = r.u64();
  ByteView block = r.bytes_view(kMaxEncodedBlock);
  p.batch_size = r.u32();
  p.part_size = r.u32();
  p.index = r.u16();
  p.count = r.u16();
  p.part = r.bytes(kMaxData);
  if (auto st = r.finish(); !st) return err("block part: " + st.error().message);
  auto b = ledger::decode_block(block);
  if (!b) return err("block part: " + b.error().message);
  p.block = std::move(*b);
  if (p.batch_size > kMaxGossipBatch) return err("block part: batch size above the limit");
  if (p.part_size == 0 || p.part_size > kMaxData) return err("block part: bad part size");
  size_t count = p.batch_size == 0 ? 1 : (size_t(p.batch_size) + p.part_size - 1) / p.part_size;
  if (p.count != count) return err("block part: count does not match batch and part sizes");
  if (p.index >= p.count) return err("block part: index beyond count");
  size_t want = std::min<size_t>(p.part_size, p.batch_size - std::min<size_t>(p.batch_size, p.offset()));
  if (p.part.size() != want) return err("block part: length does not match its place in the batch");
  return p;
}

Bytes encode_want(const Want& w) {
  Writer wr;
  wr.u32(kWantMagic);
  wr.u8(kVersion);
  wr.u64(w.from);
  wr.u32(w.count);
  wr.u64(w.nonce);
  return wr.take();
}

Result<Want> decode_want(ByteView item) {
  Reader r(item);
  if (r.u32() != kWantMagic) return err("not a Rampart block request (magic)");
  if (r.u8() != kVersion) return err("block request: unsupported version");
  Want w;
  w.from = r.u64();
  w.count = r.u32();
  w.nonce = r.u64();
  if (auto st = r.finish(); !st) return err("block request: " + st.error().message);
  if (w.from == 0 || w.count == 0 || w.count > kMaxWantCount) return err("block request: bad range");
  return w;
}

}  // namespace rampart::gossip
