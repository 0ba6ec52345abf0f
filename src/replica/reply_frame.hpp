#pragma once
// The frame a replica sends a client for one request of a proven batch (replica/client_wire.hpp
// Reply): written straight from the executor's outcome and the batch's results tree, so a
// reply costs one buffer instead of a proof vector, its encoding, a Reply copy and the frame.
#include <cstdint>

#include "common/bytes.hpp"
#include "crypto/merkle.hpp"
#include "ledger/block.hpp"
#include "replica/executor.hpp"

namespace rampart::replica {

// Reply i of block b (its header: k, digests, results root = tree.root()), proven in `view`;
// equals client::encode_reply of the same fields. Empty if i is outside the tree.
Bytes reply_frame(uint64_t view, const ledger::Block& b, const ReplyEntry& r, uint32_t i, const crypto::merkle::Tree& tree,
                  ByteView group_sig);
// The same frame appended to w (a replica reuses one Writer for all its replies: no buffer
// allocated and zero-filled per reply). False, with w unchanged, if i is outside the tree.
bool append_reply_frame(Writer& w, uint64_t view, const ledger::Block& b, const ReplyEntry& r, uint32_t i,
                        const crypto::merkle::Tree& tree, ByteView group_sig);

}  // namespace rampart::replica
