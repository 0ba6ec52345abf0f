// The replica core's side of the broker path (DESIGN §3.1): a broker hands us a distilled batch
// on its client-port connection; we check it in full and let the batcher carry it like a batch
// of our own (replica/distilled.hpp); once its block is final here the delivery certificate is
// combined and goes back on that connection (replica/deliveries.hpp).
#include <spdlog/spdlog.h>

#include "broker/verify.hpp"
#include "replica/client_auth.hpp"
#include "replica/replica.hpp"

namespace rampart::replica {

namespace {
const metrics::Declared kBrokerBatches{"rampart_broker_batches_total",
                                       "distilled batches brokers handed this replica that it checked and passed on"};
const metrics::Declared kBrokerBatchesRefused{
    "rampart_broker_batches_refused_total",
    "distilled batches refused: malformed, another broker's, or failing the full check (against the final client directory)"};
const metrics::Declared kBrokerBatchesOversize{
    "rampart_broker_batches_oversize_total",
    "distilled batches refused for holding more entries than a slot can (kMaxBatchRequests), also counted as refused"};
}  // namespace

// A distilled part is checked against the FINAL client directory (genesis and the sign-ups of
// final blocks), never one with speculative sign-ups: replica/client_directory.hpp, SAFETY.
Status Replica::check_part(ByteView part, ClientAuth auth) const {
  if (!is_distilled(part)) return check_batch(part, auth);
  if (auth == ClientAuth::none) {
    auto b = decode_distilled(part);
    if (!b) return b.error();
    return {};
  }
  return check_distilled(part, exec_.directory().final_view());
}

bool Replica::on_distilled(SinkId from, const Principal& who, ByteView frame) {
  if (!who.broker) {
    reg_[kBrokerBatchesRefused]++;
    return false;  // only a broker's own connection carries batches
  }
  Bytes part = distilled_part(frame);
  auto b = decode_distilled(part);
  if (!b || b->broker != *who.broker) {
    reg_[kBrokerBatchesRefused]++;
    spdlog::warn("event=broker_batch_refused broker={} error=\"{}\"", *who.broker,
                 b ? "names another broker" : b.error().message);
    return false;
  }
  if (b->entries.size() > kMaxBatchRequests) {
    // The wire allows larger batches, but no slot can hold one: it would wait in the primary's
    // queue for ever. Refused here, so the broker hears nothing and its operator sees the count.
    reg_[kBrokerBatchesRefused]++;
    reg_[kBrokerBatchesOversize]++;
    spdlog::warn("event=broker_batch_refused broker={} number={} error=\"{} entries: a slot holds at most {}\"", b->broker,
                 b->number, b->entries.size(), kMaxBatchRequests);
    return true;
  }
  const Hash32 d = batch_digest(part);
  if (!bauth_->known(d)) {
    const uint64_t c0 = host_.cpu_now_ns();
    const Status st = check_part(part, opt_.auth);
    if (opt_.auth != ClientAuth::none) reg_[kSignatureCheckNs] += host_.cpu_now_ns() - c0;
    if (!st) {
      reg_[kBrokerBatchesRefused]++;
      spdlog::warn("event=broker_batch_refused broker={} number={} error=\"{}\"", b->broker, b->number,
                   st.error().message);
      return true;  // the batch is bad, not necessarily the connection
    }
  }
  reg_[kBrokerBatches]++;
  deliveries_->expect(b->broker, b->number, from);
  batcher_->add_part(std::move(part), d);
  return true;
}

}  // namespace rampart::replica
