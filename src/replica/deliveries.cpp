#include "replica/deliveries.hpp"

#include "broker/entries.hpp"
#include "broker/replica_wire.hpp"
#include "common/codec.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {

const metrics::Declared kDeliveriesCertified{
    "rampart_broker_deliveries_total", "delivery certificates this replica combined and sent to a broker"};
namespace {
const metrics::Declared kDeliveryShares{"rampart_broker_delivery_shares_total",
                                        "delivery shares this replica signed for final blocks holding broker batches"};
const metrics::Declared kDeliveryCombineFailed{
    "rampart_broker_delivery_combine_failures_total",
    "nf delivery shares for one batch that did not combine (a peer sent a bad share)"};
}  // namespace

Bytes encode_delivery_share(const DeliveryShareMsg& m) {
  Writer w;
  w.u8(static_cast<uint8_t>(PeerTag::delivery));
  w.u32(m.broker);
  w.u64(m.number);
  w.u64(m.height);
  w.fixed(m.amended_root);
  w.bytes(m.share);
  return w.take();
}

Result<DeliveryShareMsg> decode_delivery_share(ByteView body) {
  Reader r(body);
  DeliveryShareMsg m;
  m.broker = r.u32();
  m.number = r.u64();
  m.height = r.u64();
  m.amended_root = r.fixed<32>();
  m.share = r.bytes(kMaxDeliveryShare);
  RAMPART_TRY(r.finish());
  return m;
}

void Deliveries::expect(uint32_t broker, uint64_t number, SinkId to) {
  auto [it, fresh] = sinks_.try_emplace({broker, number});
  it->second.sink = to;  // a resubmission answers on the connection it came on
  if (!fresh) return;
  sink_order_.push_back({broker, number});
  while (sink_order_.size() > kMaxSinks) {
    sinks_.erase(sink_order_.front());
    sink_order_.pop_front();
  }
}

void Deliveries::executed(uint64_t k, const Hash32& d, std::vector<DistilledRef> refs) {
  if (refs.empty()) {
    executed_.erase(k);
    return;
  }
  executed_[k] = {d, std::move(refs)};
}

void Deliveries::rolled_back(uint64_t k) { executed_.erase(executed_.upper_bound(k), executed_.end()); }

void Deliveries::final_upto(uint64_t k, const std::function<std::optional<Hash32>(uint64_t)>& final_digest) {
  const auto end = executed_.upper_bound(k);
  for (auto it = executed_.begin(); it != end; it = executed_.erase(it)) {
    if (final_digest(it->first) != it->second.first) continue;
    for (const auto& ref : it->second.second) {
      DeliveryShareMsg m{ref.broker, ref.number, it->first, ref.amended_root, {}};
      m.share = signer_.sign_share(broker::delivery_statement(m.broker, m.number, m.height, m.amended_root));
      reg_[kDeliveryShares]++;
      host_.broadcast_peer(encode_delivery_share(m));
      add(p_.self, m);
    }
  }
}

void Deliveries::on_share(uint32_t from, const DeliveryShareMsg& m) {
  if (from == p_.self) return;
  add(from, m);
}

// Shares are not checked one by one: combine() checks the group signature and, only if it
// fails, finds and drops the bad shares (crypto/interfaces.hpp).
void Deliveries::add(uint32_t from, const DeliveryShareMsg& m) {
  auto it = sinks_.find({m.broker, m.number});
  if (it == sinks_.end()) return;  // not ours to answer (or answered already)
  const Key key{m.height, m.amended_root};
  it->second.shares[from] = {key, m.share};
  std::vector<crypto::Share> same;
  for (const auto& [signer, ks] : it->second.shares)
    if (ks.first == key) same.push_back({signer, ks.second});
  if (same.size() < p_.nf) return;
  const Bytes msg = broker::delivery_statement(m.broker, m.number, m.height, m.amended_root);
  std::vector<crypto::NodeId> bad;
  auto sig = verifier_.combine(msg, same, &bad);
  if (!sig) {
    reg_[kDeliveryCombineFailed]++;
    for (auto b : bad) it->second.shares.erase(b);
    return;
  }
  broker::Delivered d;
  d.cert = {m.broker, m.number, m.height, m.amended_root, std::move(*sig)};
  host_.send_to_client(it->second.sink, broker::encode(d));
  reg_[kDeliveriesCertified]++;
  sinks_.erase(it);  // its FIFO slot goes when it comes round
}

}  // namespace rampart::replica
