#pragma once
// How Rampart blocks travel as gossip items (docs/gossip.md, "Blocks and observers"). The API
// carries at most 65,527 bytes per item, and a batch may be larger, so a final block goes out
// as parts: each part carries the whole block (header and proof of execution, ledger's
// encode_block) and one slice of its batch. An observer checks each part's proof at once and
// the hash-chain link (ledger::verify_next) when all parts are in. Little-endian:
//   BLOCK PART (type kBlockDataType)
//     magic "RBLK" u32 | version u8 | resend u64 | u32 len | encode_block(block)
//     | batch size u32 | part size u32 | index u16 | count u16 | u32 len | batch[index*part size ..]
//   WANT (type kWantDataType): "send blocks from..from+count-1 again"
//     magic "RWNT" u32 | version u8 | from u64 | count u32 | nonce u64
// `resend` is 0 for a first announcement and the WANT's nonce for a re-announcement, so the
// copies answering a request are new items to the modules' dedup caches.
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "ledger/block.hpp"

namespace rampart::gossip {

inline constexpr uint16_t kBlockDataType = 0x5242;  // "RB"
inline constexpr uint16_t kWantDataType = 0x5257;   // "RW"
inline constexpr size_t kBlockPartBytes = 60000;    // batch bytes per part (fits any block beside it)
inline constexpr size_t kMaxGossipBatch = 256u << 20;
inline constexpr uint32_t kMaxWantCount = 256;

struct BlockPart {
  uint64_t resend = 0;
  ledger::Block block;
  uint32_t batch_size = 0;
  uint32_t part_size = kBlockPartBytes;
  uint16_t index = 0;
  uint16_t count = 1;
  Bytes part;
  // Where this part's bytes sit in the batch.
  size_t offset() const { return size_t(index) * part_size; }
};

// The parts of (block, batch), in order; fails if the batch exceeds kMaxGossipBatch.
Result<std::vector<Bytes>> encode_block_parts(const ledger::Block& b, ByteView batch, uint64_t resend = 0);
// Strict: magic, version, a decodable block, index < count, count and the part's length
// consistent with batch size and part size, no trailing bytes.
Result<BlockPart> decode_block_part(ByteView item);

struct Want {
  uint64_t from = 0;
  uint32_t count = 0;
  uint64_t nonce = 0;
};
Bytes encode_want(const Want& w);
// Strict; from >= 1 and 1 <= count <= kMaxWantCount.
Result<Want> decode_want(ByteView item);

}  // namespace rampart::gossip
