// The replica core's dispatch of peer messages (replica/peer_msg.hpp): each tag to the part
// that owns it, after its decoder; anything undecodable is counted and changes nothing.
#include <spdlog/spdlog.h>

#include "replica/peer_msg.hpp"
#include "replica/replica.hpp"
#include "replica/restart.hpp"

namespace rampart::replica {

void Replica::on_peer(consensus::NodeId from, Bytes msg) {
  if (msg.empty() || from >= cfg_.n()) {
    reg_[kBadPeerMsgs]++;
    return;
  }
  ByteView body = ByteView(msg).subspan(1);
  const auto tag = static_cast<PeerTag>(msg[0]);
  if (rejoin_->syncing() && (tag == PeerTag::consensus || tag == PeerTag::forward || tag == PeerTag::share || tag == PeerTag::proof ||
                  tag == PeerTag::durable)) {
    // The protocol has not resumed yet: keep what peers send for it (bounded) until it has.
    if (held_.size() < 50000) held_.push_back({from, std::move(msg)});
    return;
  }
  switch (tag) {
    case PeerTag::consensus:
      proto_->on_message(from, body);
      break;
    case PeerTag::forward:
      on_forward(from, body);
      break;
    case PeerTag::witness: {
      auto m = decode_witness(body);
      if (!m || !witnesses_) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      // Not held while syncing: the book is not the protocol's, and a closed batcher ignores it.
      if (witnesses_->add(from, *m) == WitnessBook::Added::certified) batcher_->on_certified(m->digest);
      break;
    }
    case PeerTag::delivery: {
      auto m = decode_delivery_share(body);
      if (!m) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      deliveries_->on_share(from, *m);
      break;
    }
    case PeerTag::share: {
      auto s = decode_share(body);
      if (!s) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      proofs_->on_share(from, std::move(*s));
      break;
    }
    case PeerTag::proof: {
      auto s = decode_share(body);
      if (!s) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      proofs_->on_proof(from, std::move(*s));
      break;
    }
    case PeerTag::durable: {
      auto d = decode_durable(body);
      if (!d) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      proofs_->on_durable(from, *d);
      break;
    }
    case PeerTag::state_req: {
      auto q = decode_state_req(body);
      if (!q) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      xfer_->on_request(from, q->first, q->second);
      break;
    }
    case PeerTag::state_resp: {
      auto s = decode_state_resp(body);
      if (!s) {
        reg_[kBadPeerMsgs]++;
        spdlog::warn("event=bad_state_response from={} error=\"{}\"", from, s.error().message);
        return;
      }
      xfer_->on_response(from, std::move(*s));
      break;
    }
    case PeerTag::hello: {
      if (!decode_hello(body)) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      rejoin_->on_hello(from);
      break;
    }
    case PeerTag::status: {
      auto s = decode_status(body);
      if (!s) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      rejoin_->on_status(from, *s);
      break;
    }
    case PeerTag::blocks_req: {
      auto q = decode_blocks_req(body);
      if (!q) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      rejoin_->on_blocks_req(from, *q);
      break;
    }
    case PeerTag::blocks_resp: {
      auto r = decode_blocks_resp(body);
      if (!r) {
        reg_[kBadPeerMsgs]++;
        spdlog::warn("event=bad_blocks_response from={} error=\"{}\"", from, r.error().message);
        return;
      }
      rejoin_->on_blocks_resp(from, std::move(*r));
      break;
    }
    default:
      reg_[kBadPeerMsgs]++;
  }
}

// A replica's batch for our next bundle (as primary). Without witnesses every replica checks it
// here, even when not the primary (signed batches go to every replica, Batcher::close), so its
// part of a bundle is not checked again. With witnesses only the origin's f + 1 witnesses do
// (the origin itself checked it on arrival) and sign for it; the others keep what the primary
// needs and accept the part on the certificate later, or check it then if it has none. Not
// passed on from here: the sender re-sends it to the primary it learns of (view_changed) or
// hands it to its protocol (Batcher::tick).
void Replica::on_forward(consensus::NodeId from, ByteView body) {
  const Hash32 d = batch_digest(body);
  const bool check = !witnesses_ || witnesses_->is_witness(opt_.self, from);
  if (check && !bauth_->authentic(body, d)) {
    reg_[kBadPeerMsgs]++;
    return;
  }
  // Kept unchecked only by the primary, for its queue: at least a well-formed batch (decoding
  // is cheap beside the signatures), so junk never takes a queued part's place.
  if (!check && proto_->is_primary() && !check_part(body, ClientAuth::none).ok()) {
    reg_[kBadPeerMsgs]++;
    return;
  }
  if (witnesses_ && check) send_witness(from, d);
  batcher_->on_forwarded(body, d, from);
}

void Replica::send_witness(consensus::NodeId origin, const Hash32& d) {
  if (!witnesses_) return;
  const bool was = witnesses_->certified(d);
  auto w = witnesses_->vouch(origin, d);
  if (!w) return;
  host_.broadcast_peer(std::move(*w));
  if (!was && witnesses_->certified(d)) batcher_->on_certified(d);
}

}  // namespace rampart::replica
