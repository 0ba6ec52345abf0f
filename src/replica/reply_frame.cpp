#include "replica/reply_frame.hpp"

#include "replica/client_wire.hpp"
#include "common/codec.hpp"

namespace rampart::replica {

Bytes reply_frame(uint64_t view, const ledger::Block& b, const replica::ReplyEntry& r, uint32_t i, const crypto::merkle::Tree& tree,
                  ByteView group_sig) {
  Writer w;
  if (!append_reply_frame(w, view, b, r, i, tree, group_sig)) return {};
  return w.take();
}

bool append_reply_frame(Writer& w, uint64_t view, const ledger::Block& b, const replica::ReplyEntry& r, uint32_t i,
                        const crypto::merkle::Tree& tree, ByteView group_sig) {
  if (i >= tree.size()) return false;
  size_t levels = 0;  // siblings in a proof of this tree, at most
  for (size_t n = tree.size(); n > 1; n = (n + 1) / 2) ++levels;
  // Fixed fields, length prefixes and the proof: at most one allocation.
  w.reserve(w.size() + 1 + 8 + 8 + 8 + 8 + 1 + 4 + r.result.size() + 4 + 9 + 32 * levels + 4 * 32 + 4 + group_sig.size());
  w.u8(client::kTagReply);
  w.u64(b.k);
  w.u64(view);
  w.u64(r.client);
  w.u64(r.seq);
  w.u8(static_cast<uint8_t>(r.kind));
  w.bytes(r.result);
  tree.write_proof(i, w);  // i is inside the tree: cannot fail
  w.fixed(tree.root());
  w.fixed(b.batch_digest);
  w.fixed(b.prev_hash);
  w.fixed(b.state_digest);
  w.bytes(group_sig);
  return true;
}

}  // namespace rampart::replica
