// Fuzzes the block items an observer and a BlockAnnouncer decode from gossip: block parts
// (their geometry must be consistent whenever one is accepted, and a one-part block must
// re-encode to itself) and WANT requests (canonical).
#include <cstddef>
#include <cstdint>

#include "gossip/api_message.hpp"
#include "gossip/block_items.hpp"

using namespace rampart;
using namespace rampart::gossip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (auto p = decode_block_part(in); p.ok()) {
    if (p->index >= p->count || p->part.size() > p->part_size) __builtin_trap();
    if (p->offset() + p->part.size() > p->batch_size && !(p->batch_size == 0 && p->part.empty())) __builtin_trap();
    if (p->count == 1 && p->part_size == kBlockPartBytes) {
      auto again = encode_block_parts(p->block, p->part, p->resend);
      if (!again.ok() || again->size() != 1 || (*again)[0] != Bytes(in.begin(), in.end())) __builtin_trap();
    }
  }
  if (auto w = decode_want(in); w.ok()) {
    if (encode_want(*w) != Bytes(in.begin(), in.end())) __builtin_trap();
    if (w->count == 0 || w->count > kMaxWantCount || w->from == 0) __builtin_trap();
  }
  return 0;
}
