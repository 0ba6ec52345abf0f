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

Deliveries::Entry& Deliveries::entry(const Batch& b) {
  auto [it, fresh] = book_.try_emplace(b);
  if (fresh) {
    book_order_.push_back(b);
    while (book_order_.size() > kMaxSinks) {
      book_.erase(book_order_.front());  // the oldest: never b, which is at the back
      book_order_.pop_front();
    }
  }
  return it->second;
}

void Deliveries::expect(uint32_t broker, uint64_t number, SinkId to) {
  const Batch b{broker, number};
  Entry& e = entry(b);
  e.sink = to;  // a resubmission answers on the connection it came on
  if (!e.delivered.empty()) {
    host_.send_to_client(to, e.delivered);  // combined before: the broker missed it
    return;
  }
  try_combine(b, e);  // the shares may all be here already (the batch was final before it came)
}

// Kept for blocks without broker batches too: final_upto must know we executed them, or it
// would read their bytes from the ledger.
void Deliveries::executed(uint64_t k, const Hash32& d, std::vector<DistilledRef> refs) {
  for (const auto& ref : refs) entry({ref.broker, ref.number});  // keep the peers' shares from now on
  executed_[k] = {d, std::move(refs)};
}

void Deliveries::rolled_back(uint64_t k) { executed_.erase(executed_.upper_bound(k), executed_.end()); }

void Deliveries::final_upto(uint64_t k, const std::function<std::optional<Hash32>(uint64_t)>& final_digest,
                            const std::function<std::vector<DistilledRef>(uint64_t)>& ledger_refs) {
  for (uint64_t h = signed_upto_ + 1; h <= k; ++h) {
    auto it = executed_.find(h);
    if (it != executed_.end() && final_digest(h) == it->second.first) {
      sign(h, it->second.second);
      continue;
    }
    auto refs = ledger_refs(h);
    for (const auto& ref : refs) entry({ref.broker, ref.number});
    sign(h, refs);
  }
  signed_upto_ = std::max(signed_upto_, k);
  executed_.erase(executed_.begin(), executed_.upper_bound(k));
}

void Deliveries::sign(uint64_t k, const std::vector<DistilledRef>& refs) {
  for (const auto& ref : refs) {
    DeliveryShareMsg m{ref.broker, ref.number, k, ref.amended_root, {}};
    m.share = signer_.sign_share(broker::delivery_statement(m.broker, m.number, m.height, m.amended_root));
    reg_[kDeliveryShares]++;
    host_.broadcast_peer(encode_delivery_share(m));
    add(p_.self, m);
  }
}

void Deliveries::on_share(uint32_t from, const DeliveryShareMsg& m) {
  if (from == p_.self) return;
  add(from, m);
}

// Shares are not checked one by one: combine() checks the group signature and, only if it
// fails, finds and drops the bad shares (crypto/interfaces.hpp).
void Deliveries::add(uint32_t from, const DeliveryShareMsg& m) {
  const Batch b{m.broker, m.number};
  auto it = book_.find(b);
  if (it == book_.end()) return;  // neither executed here nor handed to us
  Entry& e = it->second;
  if (!e.delivered.empty()) return;
  auto& mine = e.shares[from];
  auto [at, fresh] = mine.try_emplace(Key{m.height, m.amended_root}, m.share);
  if (!fresh) return;
  if (mine.size() > kHeightsPerSigner) {
    const bool lowest = at == mine.begin();
    mine.erase(mine.begin());  // keep the highest
    if (lowest) return;
  }
  try_combine(b, e);
}

// At the replica holding the broker's connection: the highest height with nf shares.
void Deliveries::try_combine(const Batch& b, Entry& e) {
  if (!e.sink || !e.delivered.empty()) return;
  std::map<Key, std::vector<crypto::Share>> by_key;
  for (const auto& [signer, mine] : e.shares)
    for (const auto& [key, share] : mine) by_key[key].push_back({signer, share});
  for (auto k = by_key.rbegin(); k != by_key.rend(); ++k) {
    if (k->second.size() < p_.nf) continue;
    const auto& [height, root] = k->first;
    const Bytes msg = broker::delivery_statement(b.first, b.second, height, root);
    std::vector<crypto::NodeId> bad;
    auto sig = verifier_.combine(msg, k->second, &bad);
    if (!sig) {
      reg_[kDeliveryCombineFailed]++;
      for (auto signer : bad) e.shares.erase(signer);
      return;
    }
    broker::Delivered d;
    d.cert = {b.first, b.second, height, root, std::move(*sig)};
    e.delivered = broker::encode(d);
    e.shares.clear();
    host_.send_to_client(*e.sink, e.delivered);
    reg_[kDeliveriesCertified]++;
    return;
  }
}

}  // namespace rampart::replica
