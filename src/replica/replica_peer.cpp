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
    case PeerTag::forward: {
      const Hash32 d = batch_digest(body);
      if (!bauth_->authentic(body, d)) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      // A backup's batch for our next bundle; checked above even when we are not the primary
      // (signed batches go to every replica, Batcher::close), so its part of a bundle is not
      // checked again. Not passed on from here: the sender re-sends it to the primary it learns
      // of (view_changed) or hands it to its protocol (Batcher::tick).
      batcher_->on_forwarded(body, d);
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
      auto s = decode_share(body);
      if (!s || s->share.size() > 1) {
        reg_[kBadPeerMsgs]++;
        return;
      }
      proofs_->on_durable(from, *s);
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

}  // namespace rampart::replica
