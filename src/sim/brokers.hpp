#pragma once
// Simulated brokers (DESIGN §3.1, issue 17). Each broker owns a few broker clients whose keys
// (Ed25519 and BLS) are derived from the seed once per run and listed in the client directory
// every replica checks distilled batches against. A broker distils small batches the way
// src/broker does (entries sorted by id, one aggregate BLS signature over the reduction root,
// a few stragglers with their own seq and Ed25519 signature) and hands each to one entry
// replica on its own connection (Principal.broker = its id).
//
// An honest broker has one batch in flight: it resubmits it to the next replica after a timeout
// with back-off until a Delivered arrives whose certificate verifies under the group key for
// exactly that batch; every honest batch must be delivered within the liveness bound after GST.
//
// A Byzantine broker (Fault::broker, drawn per seed) runs the same valid flow, whose delivery is
// not required, plus one lie (BrokerLie), several times over the run, at random replicas. The
// payloads of a batch that must be refused are registered with the checker as forged: any
// execution of one at a correct replica is a violation.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "broker/directory.hpp"
#include "broker/replica_wire.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "replica/distilled.hpp"
#include "replica/ingress.hpp"

namespace rampart::sim::core {

class World;
struct Event;

enum class BrokerLie : uint8_t {
  none,
  forged_aggregate,  // an aggregate by a key no client of the batch holds
  wrong_root,        // the clients' valid aggregate, over another batch's root
  replay,            // an old valid batch's very bytes again, later, at other replicas
  renumber,          // an old batch's entries under a new number (same aggregate), or re-signed at a higher raise
  equivocate,        // one batch number, two validly signed contents, at two replicas
  forged_straggler,  // a straggler whose signature is over another seq
  unknown_client,    // an entry of a client id the directory does not hold
  other_broker,      // a batch naming another broker, on this broker's connection
  copy_other,        // another broker's valid batch (its clients' signatures) under this broker's id
  count_
};
std::string_view lie_name(BrokerLie l);

// Replicas answer a broker on this sink (World::reply_send routes it back to the broker).
inline constexpr replica::SinkId kBrokerSinkBase = 1u << 20;

struct BrokerClient {
  broker::ClientId id = 0;        // dense directory id
  crypto::bls::SecretKey bls;
  std::optional<crypto::ed25519::KeyPair> ed;
  uint64_t seq = 0;               // the last seq it submitted (its next one is higher)
  bool served = true;             // false: signed up, no batch of it delivered yet (done() waits)
};

struct SimBroker {
  uint32_t id = 0;
  BrokerLie lie = BrokerLie::none;
  std::vector<BrokerClient> clients;
  // The valid flow: batch `number` in flight until a verified Delivered for it.
  uint64_t number = 0, raise = 0;
  broker::DistilledBatch batch;
  Bytes frame;
  Hash32 amended{};
  bool waiting = false;
  uint32_t attempt = 0, entry = 0, done = 0;
  uint64_t sent_at = 0;
  std::vector<Bytes> history;   // every valid batch sent (material for replays)
  uint64_t lie_number = 1000;   // lies use their own numbers, apart from the flow's
  std::set<Hash32> lie_frames;  // hashes of the frames that are lies
};

class Brokers {
 public:
  explicit Brokers(World& w) : w_(w) {}
  // Keys, the directory, who lies (draws from the world's rng), then the first events.
  void setup();
  void start();
  void on_event(const Event& e);
  // A direct client whose sign-up came back proven with this id, done with the direct path at
  // sequence number `last_seq`: broker 0 (always honest) takes it on, its next entries above
  // that seq. They reach replicas whose final directory may not hold it yet (they refuse the
  // batch) and blocks whose executed directory may not (the entry is skipped everywhere).
  void signed_up(broker::ClientId id, const crypto::ed25519::KeyPair& ed, const crypto::bls::SecretKey& bls,
                 uint64_t last_seq);
  // A frame a replica sent to a broker's sink.
  void on_frame(uint32_t b, ByteView frame);
  // The world handed broker b's frame to replica r; accepted is on_client_frame's answer.
  void handed(uint32_t b, uint32_t r, ByteView frame, bool accepted, bool correct);
  // A correct replica executed block k carrying these brokers' batches.
  void executed(uint64_t k, ByteView slot, const std::vector<replica::DistilledRef>& refs);
  // End of run: every certificate a broker accepted names a final block that carried its batch.
  void check_end();

  const broker::Directory* directory() const { return &dir_; }
  size_t size() const { return brokers_.size(); }
  uint32_t address(uint32_t b) const;  // its network address (after the replicas and clients)
  replica::Principal principal(uint32_t b) const { return {0xB0000000u + b, true, b}; }
  bool done() const;  // every honest broker's batches delivered
  std::string pending() const;

 private:
  void next_batch(SimBroker& b);
  void send(SimBroker& b);
  void timeout(SimBroker& b, uint64_t number, uint64_t attempt);
  void lie(SimBroker& b);
  void send_lie(SimBroker& b, Bytes frame, uint32_t to);
  // A batch of these clients at `raise` (stragglers keep their seqs), payloads tagged.
  broker::DistilledBatch distil(SimBroker& b, uint64_t number, uint64_t raise, const std::vector<size_t>& who,
                                const std::vector<size_t>& stragglers, const std::string& tag) const;
  void seal(const SimBroker& b, broker::DistilledBatch& d) const;
  std::vector<size_t> draw_clients(SimBroker& b) const;
  static bool all_served(const SimBroker& b);
  static const BrokerClient* client_of(const SimBroker& b, broker::ClientId id);  // nullptr: not its client
  static BrokerClient* client_of(SimBroker& b, broker::ClientId id) {
    return const_cast<BrokerClient*>(client_of(std::as_const(b), id));
  }
  void forbid(const broker::DistilledBatch& batch);
  void schedule(uint32_t b, uint64_t kind, uint64_t at, uint64_t c = 0, uint64_t d = 0);

  World& w_;
  broker::MemoryDirectory dir_;
  std::vector<SimBroker> brokers_;
  // (broker, number, amended root, k): what a delivery certificate may claim.
  std::set<std::tuple<uint32_t, uint64_t, Hash32, uint64_t>> executed_;
  std::map<Hash32, std::vector<replica::DistilledRef>> refs_of_slot_;  // by batch digest
  std::vector<std::pair<replica::DistilledRef, uint64_t>> certified_;  // accepted: (batch, height)
};

}  // namespace rampart::sim::core
