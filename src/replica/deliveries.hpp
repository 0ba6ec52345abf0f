#pragma once
// Delivery certificates for brokers' batches (DESIGN §3.1 "Delivery"), sans-IO: once a block
// holding a distilled part is final here, this replica signs a threshold share over
// broker::delivery_statement(broker, number, height, amended root) and sends it to every peer.
// The replica the broker handed the batch to (it holds the broker's connection, a sink) combines
// nf shares into one group signature, the certificate, and answers the broker with a Delivered.
// nf shares mean nf replicas hold the block final (proven and synced), so nothing a broker
// hands its clients as delivered can be lost.
//
// Shares are sent once, so every replica keeps the shares of the batches it executed, whether
// or not it holds their broker's connection yet: a broker whose first replica never answered
// resubmits the batch elsewhere, often after the batch is final everywhere, and is not ordered
// again; the replica it reaches then combines what it kept. A combined certificate is kept too
// and sent again on each resubmission (the first Delivered may be lost). A batch ordered more
// than once (resubmitted during a view change) is final at several heights: each signer's share
// for its kHeightsPerSigner highest ones is kept, so the correct replicas' shares meet on one
// height (keeping each signer's latest arrival left three shares on three heights: sim poe f=1
// seed 3718571820). More than the highest: a correct replica that state-transferred past the
// highest height never signs it, and its share for a lower one must still find the others'.
//
// A block final here that this replica did not execute (a state transfer installed it, peers
// replayed it to us, another block stood at its height when we executed) is signed from the
// ledger: the broker batches it carried are read off its bytes. Without that, a correct replica
// that state-transferred past every height of a batch signs none, and with f silent the batch
// never gets nf shares. At start the final blocks above the stable checkpoint are signed again:
// a crash may have lost our first shares.
//
// Bounded: at most kMaxSinks batches are kept (FIFO), and for each at most kHeightsPerSigner
// shares per signer, so a Byzantine peer cannot grow the book.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"
#include "replica/distilled.hpp"
#include "replica/ingress.hpp"

namespace rampart::replica {

// One replica's share for one delivered batch (PeerTag::delivery).
struct DeliveryShareMsg {
  uint32_t broker = 0;
  uint64_t number = 0;
  uint64_t height = 0;
  Hash32 amended_root{};
  Bytes share;
  bool operator==(const DeliveryShareMsg&) const = default;
};
inline constexpr size_t kMaxDeliveryShare = 256;
Bytes encode_delivery_share(const DeliveryShareMsg& m);  // wrapped: the tag, then the body
Result<DeliveryShareMsg> decode_delivery_share(ByteView body);

class DeliveriesHost {
 public:
  virtual ~DeliveriesHost() = default;
  virtual void broadcast_peer(Bytes wire) = 0;
  virtual bool send_to_client(SinkId to, ByteView frame) = 0;
};

extern const metrics::Declared kDeliveriesCertified;

class Deliveries {
 public:
  struct Params {
    uint32_t self = 0;
    size_t nf = 3;
  };
  Deliveries(Params p, const crypto::ThresholdSigner& signer, const crypto::ThresholdVerifier& verifier,
             DeliveriesHost& host, metrics::Registry& reg)
      : p_(p), signer_(signer), verifier_(verifier), host_(host), reg_(reg) {}

  // Broker `broker` handed us its batch `number` on sink `to`: its certificate goes there.
  void expect(uint32_t broker, uint64_t number, SinkId to);
  // Block k (speculative), the slot with digest d, carried these broker batches (maybe none).
  void executed(uint64_t k, const Hash32& d, std::vector<DistilledRef> refs);
  void rolled_back(uint64_t k);  // blocks above k are gone
  // Heights up to k need no shares from us (at start: the stable checkpoint).
  void signed_upto(uint64_t k) { signed_upto_ = k; }
  // Final blocks above k left the ledger (a fork abandoned): sign them again once final.
  void rewind(uint64_t k) { signed_upto_ = std::min(signed_upto_, k); }
  // Blocks up to k are final here: our shares for each height above the last call's go out.
  // From what execution kept when the final block holds the very slot we executed there
  // (final_digest(h)); otherwise from ledger_refs(h), the batches the final block carries.
  void final_upto(uint64_t k, const std::function<std::optional<Hash32>(uint64_t)>& final_digest,
                  const std::function<std::vector<DistilledRef>(uint64_t)>& ledger_refs);
  void on_share(uint32_t from, const DeliveryShareMsg& m);

  size_t kept() const { return book_.size(); }
  static constexpr size_t kMaxSinks = 4096;
  static constexpr size_t kHeightsPerSigner = 4;

 private:
  using Batch = std::pair<uint32_t, uint64_t>;                 // (broker, number)
  using Key = std::tuple<uint64_t, Hash32>;                    // (height, amended root)
  struct Entry {
    std::optional<SinkId> sink;                        // the broker's connection, once it handed us the batch
    // Each signer's shares for its kHeightsPerSigner highest heights.
    std::map<uint32_t, std::map<Key, Bytes>> shares;
    Bytes delivered;                                   // encode(Delivered), once combined
  };
  Entry& entry(const Batch& b);
  void add(uint32_t from, const DeliveryShareMsg& m);
  void try_combine(const Batch& b, Entry& e);
  void sign(uint64_t k, const std::vector<DistilledRef>& refs);

  Params p_;
  const crypto::ThresholdSigner& signer_;
  const crypto::ThresholdVerifier& verifier_;
  DeliveriesHost& host_;
  metrics::Registry& reg_;
  std::map<Batch, Entry> book_;
  std::deque<Batch> book_order_;
  std::map<uint64_t, std::pair<Hash32, std::vector<DistilledRef>>> executed_;  // not yet final here
  uint64_t signed_upto_ = 0;
};

}  // namespace rampart::replica
