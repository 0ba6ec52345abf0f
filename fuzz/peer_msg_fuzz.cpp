// The node's own replica-to-replica messages (src/replica/peer_msg.hpp, and the restart handshake
// bodies in src/replica/restart.hpp) as NodeImpl::on_peer gets them from any peer: a PeerTag byte,
// then a body. Every body decoder gets the body, whatever the tag (on_peer picks one by the
// tag; none may misbehave on another's body): none may read out of bounds or allocate from an
// unchecked length, and whatever decodes must re-encode to exactly the message (the encoders
// write the tag) or the body. A forwarded batch goes through check_batch, which may accept
// only what decodes as a non-empty batch, and with signatures only what it accepts without.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ledger/block.hpp"
#include "ledger/records.hpp"
#include "replica/client_auth.hpp"
#include "replica/deliveries.hpp"
#include "replica/distilled.hpp"
#include "replica/peer_msg.hpp"
#include "replica/restart.hpp"
#include "replica/batch.hpp"

using namespace rampart;
using namespace rampart::replica;
using rampart::replica::ClientAuth;
using rampart::replica::check_batch;

namespace {

bool same(const Bytes& a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ByteView msg(data, size);
  ByteView body = msg.subspan(1);
  const auto tag = static_cast<PeerTag>(data[0]);

  if (auto s = decode_share(body); s.ok()) {
    require(s->share.size() <= 1024);
    // share and proof share the layout; the encoder writes whichever tag it is given.
    require(same(encode_share(*s, tag), msg));
  }
  if (auto d = decode_durable(body); d.ok()) {
    require(same(encode_durable(*d), msg) == (tag == PeerTag::durable));
  }
  if (auto q = decode_state_req(body); q.ok()) {
    require(same(encode_state_req(q->first, q->second), msg) == (tag == PeerTag::state_req));
  }
  if (auto r = decode_state_resp(body); r.ok()) {
    require(r->blocks.size() == r->batches.size() && r->blocks.size() <= kMaxStateBlocks);
    require(r->snapshot.size() <= kMaxSnapshot);
    require(same(encode_state_resp(*r), msg) == (tag == PeerTag::state_resp));
  }
  if (auto h = decode_hello(body); h.ok()) {
    require(same(encode_hello(*h), body));
    auto b = decode_blocks_req(body);  // the same body
    require(b.ok() && *b == *h && same(encode_blocks_req(*b), body));
  } else {
    require(!decode_blocks_req(body).ok());
  }
  if (auto s = decode_status(body); s.ok()) {
    require(same(encode_status(*s), body));
  }
  if (auto r = decode_blocks_resp(body); r.ok()) {
    require(r->blocks.size() == r->batches.size() && r->blocks.size() <= kMaxBlocksPerResponse);
    require(same(encode_blocks_resp(*r), body));
    for (const auto& b : r->blocks) (void)ledger::block_hash(b);
  }
  if (auto w = decode_witness(body); w.ok()) {
    require(w->sig.size() <= kMaxWitnessSig);
    require(same(encode_witness(*w), msg) == (tag == PeerTag::witness));
  }
  if (auto d = decode_delivery_share(body); d.ok()) {
    require(d->share.size() <= kMaxDeliveryShare);
    require(same(encode_delivery_share(*d), msg) == (tag == PeerTag::delivery));
  }
  // A forwarded part may be a broker's distilled batch (replica/distilled.hpp): whatever decodes
  // must be the part it came from, and its claimed size must be what the batch holds.
  if (auto db = decode_distilled(body); db.ok()) {
    require(is_distilled(body) && distilled_entries(body) == db->entries.size());
    require(same(distilled_part(broker::encode(*db)), body));
  }
  // PeerTag::forward: the body is a client batch (NodeImpl::batch_authentic -> check_batch).
  const bool plain = check_batch(body, ClientAuth::none).ok();
  if (plain) {
    auto b = replica::decode_batch(body);
    require(b.ok() && !b->requests.empty());
  }
  if (check_batch(body, ClientAuth::ed25519).ok()) require(plain);
  return 0;
}
