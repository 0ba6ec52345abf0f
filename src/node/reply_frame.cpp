#include "node/reply_frame.hpp"

#include "client/wire.hpp"
#include "common/codec.hpp"

namespace rampart::node {

Bytes reply_frame(uint64_t k, const replica::ReplyEntry& r, uint32_t i, const crypto::merkle::Tree& tree,
                  ByteView group_sig) {
  Writer w;
  // Fixed fields, length prefixes, a 40-level proof at most: one allocation.
  w.reserve(1 + 8 + 8 + 8 + 1 + 4 + r.result.size() + 4 + 9 + 32 * 40 + 32 + 4 + group_sig.size());
  w.u8(client::kTagReply);
  w.u64(k);
  w.u64(r.client);
  w.u64(r.seq);
  w.u8(static_cast<uint8_t>(r.kind));
  w.bytes(r.result);
  if (!tree.write_proof(i, w)) return {};
  w.fixed(tree.root());
  w.bytes(group_sig);
  return w.take();
}

}  // namespace rampart::node
