#pragma once
// Fake I/O for the broker path: brokers, clients and a stand-in for the replicas, wired through
// one in-memory packet queue and one manual clock. Nothing runs unless the test says so:
// run() delivers queued packets until none is left; advance(ms) moves the clock and fires the
// timers that fall due (each followed by run()). A test may drop or rewrite any packet.
//
// The replica stand-in does what the replica side will (issue 17): whichever replica a distilled
// batch is sent to, it checks it in full (broker::verify_distilled), orders it at the next height
// and answers with a delivery certificate signed by t of the n threshold shares; a batch it
// already ordered gets the same certificate again (as a replica answers a resubmission).
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "broker/verify.hpp"
#include "crypto/threshold.hpp"

namespace rampart::broker::testing {

inline Bytes seed_of(uint32_t i, uint8_t salt) {
  Bytes s(32, salt);
  for (int k = 0; k < 4; ++k) s[k] = static_cast<uint8_t>(i >> (8 * k));
  return s;
}
inline crypto::ed25519::KeyPair ed_key(uint32_t i) { return *crypto::ed25519::KeyPair::from_seed(seed_of(i, 0xed)); }
inline crypto::bls::SecretKey bls_key(uint32_t i) { return *crypto::bls::SecretKey::from_seed(seed_of(i, 0xb1)); }

inline constexpr uint32_t kFromReplicas = UINT32_MAX;

// A broker core's host for tests that drive one broker by hand: it keeps what went to clients,
// and its clock is `now`.
struct RecordingBrokerHost final : BrokerHost {
  std::vector<std::pair<ClientAddr, Bytes>> to_clients;
  uint64_t now = 0;
  void send_client(ClientAddr to, Bytes msg) override { to_clients.emplace_back(to, std::move(msg)); }
  void send_replica(uint32_t, Bytes) override {}
  uint64_t now_ms() override { return now; }
  void set_timer(uint64_t, uint64_t) override {}
};

// Client `id`'s Submit at `seq`, signed with ed_key(id).
inline Submit signed_submit(uint32_t id, uint64_t seq, const char* payload = "hello") {
  Submit m;
  m.id = id;
  m.seq = seq;
  m.payload = to_bytes(payload);
  m.sig = ed_key(id).sign(submit_statement(id, seq, m.payload));
  return m;
}

// A client core's host for tests that drive one client by hand: it keeps every datagram sent,
// with the broker it went to, and the token of the last timer armed.
struct RecordingClientHost final : ClientHost {
  std::vector<std::pair<uint32_t, Bytes>> out;
  uint64_t token = 0;
  void send_broker(uint32_t b, Bytes m) override { out.emplace_back(b, std::move(m)); }
  uint64_t now_ms() override { return 0; }
  void set_timer(uint64_t t, uint64_t) override { token = t; }
  std::vector<uint8_t> kinds() const {
    std::vector<uint8_t> k;
    for (const auto& [b, m] : out) k.push_back(m.at(0));
    return k;
  }
};

struct Packet {
  enum class To { broker, client, replica } to;
  uint32_t broker = 0;  // the broker it goes to or comes from
  uint32_t client = 0;  // the client it goes to or comes from (ClientAddr = client index); kFromReplicas;
                        // for To::replica, the replica it is sent to
  Bytes data;
  bool is(uint8_t kind) const { return !data.empty() && data[0] == kind; }
};

class World {
 public:
  struct Options {
    uint32_t brokers = 1;
    uint32_t clients = 4;
    BrokerConfig broker;  // id is set per broker
    ClientConfig client;  // id and brokers are set per client
    uint64_t first_height = 1;
    std::vector<uint64_t> first_seq;  // client i starts at first_seq[i] (default: 0)
  };

  explicit World(Options o);

  Broker& broker(uint32_t i);
  Client& client(uint32_t i);
  ~World();
  const Directory& directory() const { return dir_; }
  const crypto::threshold::BlsThresholdVerifier& group() const { return *group_; }

  // Group signature over delivery_statement(...), as t replicas would make it.
  DeliveryCert certify(uint32_t broker, uint64_t number, uint64_t height, const Hash32& amended_root) const;
  // A certificate of `height` (for some other broker's batch) reaches every broker: it makes a
  // raise up to that height legitimate.
  void announce_height(uint64_t height);

  void run();
  void advance(uint64_t ms);
  uint64_t now() const { return now_; }

  // Return true to drop a packet; may also rewrite it. Called once per packet, when sent.
  std::function<bool(Packet&)> filter;
  bool replicas_answer = true;
  std::vector<DistilledBatch> ordered;             // batches the replica stand-in accepted (once each)
  std::vector<std::string> replica_rejections;     // why it refused others
  uint64_t packets = 0, dropped = 0;

 private:
  struct BrokerNode;
  struct ClientNode;
  struct Timer {
    uint64_t at;
    bool to_broker;
    uint32_t who;
    uint64_t token;
  };
  void send(Packet p);
  void replica_receive(const Bytes& data, uint32_t broker);

  Options opt_;
  MemoryDirectory dir_;
  crypto::threshold::Dealing dealing_;
  std::unique_ptr<crypto::threshold::BlsThresholdVerifier> group_;
  std::vector<std::unique_ptr<BrokerNode>> brokers_;
  std::vector<std::unique_ptr<ClientNode>> clients_;
  std::deque<Packet> queue_;
  std::vector<Timer> timers_;
  uint64_t now_ = 0;
  uint64_t height_;
  std::map<std::pair<uint32_t, uint64_t>, DeliveryCert> certified_;  // (broker, number) -> its certificate
};

}  // namespace rampart::broker::testing
