#include "client/verify.hpp"

#include "crypto/merkle.hpp"
#include "ledger/block.hpp"

namespace rampart::client {

Status verify_reply(const Reply& r, replica::ClientId client, uint64_t seq, const crypto::ThresholdVerifier& group) {
  if (r.client != client || r.seq != seq) return err("reply is for another request");
  auto proof = crypto::merkle::Proof::decode(r.proof);
  if (!proof) return err("reply: bad Merkle proof encoding: " + proof.error().message);
  Hash32 leaf = crypto::merkle::leaf_hash(reply_leaf(r.client, r.seq, r.kind, r.result));
  if (auto st = crypto::merkle::verify(r.results_root, leaf, *proof); !st) return err("reply: result not in the signed results: " + st.error().message);
  if (!group.verify_group(ledger::proof_message(r.view, r.k, reply_block_hash(r)), r.group_sig))
    return err("reply: group signature does not verify");
  return {};
}

}  // namespace rampart::client
