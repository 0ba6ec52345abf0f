// Feeds arbitrary bytes to every ledger decoder (block, checkpoint record, snapshot, metadata):
// none may read out of bounds or allocate from an unchecked length, and whatever a decoder
// accepts must re-encode to exactly the input (the encodings are canonical, so a block hash
// can never depend on how a block was parsed).
#include <cstddef>
#include <cstdint>

#include "ledger/block.hpp"
#include "ledger/records.hpp"

using namespace rampart;
using namespace rampart::ledger;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (auto b = decode_block(in); b.ok()) {
    Bytes again = encode_block(*b);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    (void)block_hash(*b);
    (void)proof_message(b->view, b->k, b->results_root);
    if (b->proof.size() > kMaxProofBytes) __builtin_trap();
  }
  if (auto c = decode_checkpoint(in); c.ok()) {
    Bytes again = encode_checkpoint(*c);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    if (c->signatures.size() > kMaxCheckpointSigs) __builtin_trap();
  }
  if (auto s = decode_snapshot(in); s.ok()) {
    Bytes again = encode_snapshot(*s);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
  }
  if (auto m = decode_metadata(in); m.ok()) {
    Bytes again = encode_metadata(*m);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    if (m->last_final > m->last_block) __builtin_trap();
  }
  return 0;
}
