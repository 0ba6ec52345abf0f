#include "replica/ingress.hpp"

#include "broker/signup.hpp"
#include "replica/batch_auth.hpp"
#include "replica/client_wire.hpp"
#include "replica/reply_frame.hpp"

namespace rampart::replica {

using metrics::Declared;
const Declared kRequests{"rampart_requests_total", "client requests accepted at this replica"};
const Declared kRejectedRequests{"rampart_rejected_requests_total",
                                 "client requests rejected (bad id binding or signature)"};
const Declared kBadClientFrames{"rampart_bad_client_messages_total",
                                "client frames that were not a request (undecodable or another tag); the connection is closed"};
const Declared kReplies{"rampart_replies_total", "CART replies sent to clients"};
const Declared kSignatureCheckNs{"rampart_client_signature_check_cpu_microseconds_total",
                                 "thread CPU time spent verifying client signatures (single requests on arrival: 1 in 16 timed)",
                                 metrics::Kind::counter, 1000};
const Declared kRetriesFromCache{"rampart_retries_from_cache_total",
                                 "retries of requests in final blocks answered from the reply cache, without ordering"};
const Declared kForeignRequests{"rampart_foreign_requests_total",
                                "requests refused: another client's, on a connection that is not a relay's"};
const Declared kReplayedRequests{"rampart_replayed_requests_total",
                                 "requests older than their client's last executed one, refused before ordering"};

bool Ingress::on_frame(SinkId from, const Principal& who, ByteView frame) {
  auto m = client::decode_message(frame);
  if (!m || m->tag != client::kTagRequest) {
    reg_[kBadClientFrames]++;
    return false;
  }
  auto& r = m->request;
  // A sink carries its own key's requests only, unless that key is a relay's: nobody can submit,
  // replay or collect the replies of another client's requests on their connection.
  if (who.id != r.client && !who.relay) {
    reg_[kForeignRequests]++;
    reject(from, r, "this connection carries only its own key's requests");
    return true;
  }
  if (auth_ != ClientAuth::none) reg_[kSignaturesChecked]++;
  // Timed only when there is a signature to check, and then one check in kTimingEvery (counted
  // that many times): two clock reads per request were ~1.5% of a replica's CPU on this VM,
  // where a system call is expensive. Batches are timed whole by the batch check.
  const bool timed = auth_ != ClientAuth::none && arrivals_++ % kTimingEvery == 0;
  const uint64_t c0 = timed ? host_.cpu_now_ns() : 0;
  auto st = check_request(r, auth_);
  if (timed) reg_[kSignatureCheckNs] += (host_.cpu_now_ns() - c0) * kTimingEvery;
  if (!st) {
    reg_[kRejectedRequests]++;
    reject(from, r, st.error().message);
    return true;  // a well-formed frame with a bad request: answer, keep the sink
  }
  reg_[kRequests]++;
  if (broker::is_signup_op(ByteView(r.payload).subspan(client::kPubkeyBytes))) {
    // A sign-up uses no sequence number of the client's (the executor runs it outside the reply
    // cache, idempotently: replica/client_directory.hpp), so it is never stale: ordered at any seq.
    sink_of_[r.client] = from;
    host_.order(std::move(r));
    return true;
  }
  // A relay may replay a client's old signed request: only a request this replica has not
  // executed yet binds the client's replies to the sink it came on. A request older than the
  // client's last is a replay (a client has one request outstanding), refused before it costs an
  // ordering.
  if (const auto* e = exec_.find_cached(r.client)) {
    if (r.seq < e->seq) {
      reg_[kReplayedRequests]++;
      reject(from, r, "stale: a later request of this client was executed");
      return true;
    }
    if (r.seq == e->seq && answer_from_cache(from, r, *e)) return true;
    // Its last request again, its block not final and answered yet: ordered again (the executor
    // answers from its cache), the reply going where the client's replies go. The client's own
    // key on the sink, or no sink known for it (this replica restarted since), binds it: without
    // that a replica that lost its sinks in a crash never answered the retry (found by the
    // simulator on the replica core, `rampart sim --core`, seed 2002).
    if (r.seq != e->seq || who.id == r.client || !sink_of_.count(r.client)) sink_of_[r.client] = from;
  } else {
    sink_of_[r.client] = from;
  }
  // A fresh batch; for a retry the executor recognises it and the new batch's proof covers the
  // cached result.
  host_.order(std::move(r));
  return true;
}

// A retry of the client's last request whose block is final and was answered (the reply was
// lost on the way): the same reply again, from the reply cache and the block's kept results tree
// and proof, with no consensus round (docs/operations.md). Anything else is ordered.
bool Ingress::answer_from_cache(SinkId to, const Request& r, const CacheEntry& e) {
  if (e.seq != r.seq || e.k > host_.last_final()) return false;
  auto a = host_.answered_block(e.k);
  if (!a || a->header.results_root != e.root) return false;
  for (size_t i = 0; i < a->replies.size(); ++i) {
    const auto& x = a->replies[i];
    if (x.client != r.client || x.seq != r.seq || x.kind != ReplyKind::executed) continue;
    buf_.clear();
    if (!append_reply_frame(buf_, a->view, a->header, x, static_cast<uint32_t>(i), a->tree, a->sig)) return false;
    if (host_.send_to_client(to, buf_.data())) reg_[kReplies]++;
    reg_[kRetriesFromCache]++;
    return true;
  }
  return false;
}

void Ingress::deliver(const BlockProof& b) {
  for (size_t i = 0; i < b.replies.size(); ++i) {
    const auto& r = b.replies[i];
    if (r.kind == ReplyKind::stale) continue;
    auto to = sink_of_.find(r.client);
    if (to == sink_of_.end()) continue;
    buf_.clear();
    if (!append_reply_frame(buf_, b.proof_view, b.header, r, static_cast<uint32_t>(i), *b.tree, b.group_sig)) continue;
    if (host_.send_to_client(to->second, buf_.data())) reg_[kReplies]++;
  }
}

void Ingress::reject(SinkId to, const Request& r, const std::string& why) {
  host_.send_to_client(to, client::encode_reject({r.client, r.seq, why}));
}

}  // namespace rampart::replica
