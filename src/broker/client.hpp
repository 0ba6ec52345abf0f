#pragma once
// The client's side of the broker path (DESIGN §3.1), sans-IO like the broker: submit one
// message at a time, answer the broker's Inclusion with a reduction share, accept a Delivery
// only when it verifies, retransmit with back-off, move to the next broker when one stops
// making progress.
//
// What the client checks before it signs a root (check_inclusion) is what keeps a lying broker
// from turning its signature into something it did not mean:
//   - its own entry (id, raise, payload) is a leaf of the root at the proof's index;
//   - its neighbours' entries are leaves at index - 1 and index + 1, with ids strictly below and
//     above its own, so in a tree the servers accept (ids strictly increasing) no other entry
//     carries its id;
//   - raise >= its own seq, and raise is legitimate: its own seq, or at most a height the
//     replicas certified (a delivery certificate it checked before, or one the broker attached),
//     so a broker cannot push its sequence number towards the end of the space.
// Before it accepts a delivery (check_delivery): the group signature over
// (broker, number, height, amended root) verifies, and its entry is a leaf of the amended root at
// its own seq or at the raise of a batch it reduced.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker/client_wire.hpp"
#include "broker/host.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::broker {

struct ClientConfig {
  ClientId id = 0;
  uint32_t brokers = 1;               // brokers 0..brokers-1
  uint32_t first_broker = 0;
  uint64_t first_seq = 0;             // the sequence number of the first message (a restarted
                                      // client starts above the last one it used)
  uint64_t retransmit_ms = 1000;      // first retransmission; doubles per silent attempt
  uint64_t max_retransmit_ms = 16000;
  uint32_t attempts_per_broker = 4;   // retransmissions without progress before moving on
  // The client's sign-up certificate (client/signup.hpp), empty for a client of the genesis
  // directory. With one, every Submit to a broker that has not acknowledged it yet (SignedUp) goes
  // right after a SignupCert, retransmissions included: a broker that never heard of the client,
  // the next one it moves to or one restarted without its data, learns it before the message.
  Bytes signup_cert;
};

struct ClientStats {
  uint64_t submitted = 0, retransmits = 0, broker_switches = 0, reductions_sent = 0, delivered = 0;
  uint64_t rejected = 0;        // inclusions or deliveries that failed their checks
  uint64_t stale = 0;           // arrived with no message outstanding (late duplicates)
  uint64_t certificates_sent = 0;  // SignupCerts handed to brokers
  uint64_t cookies = 0;            // Cookie answers taken (a broker asked for return-routability)
  std::string last_rejection;   // why the latest one failed
};

struct DeliveredInfo {
  uint64_t seq = 0;      // the sequence number the replicas recorded for it
  DeliveryCert cert;
};

class Client {
 public:
  Client(ClientConfig cfg, crypto::ed25519::KeyPair ed, crypto::bls::SecretKey bls,
         const crypto::ThresholdVerifier* group, ClientHost& host);

  // Sends payload as the next message; fails while one is outstanding or if it is too long.
  Status submit(ByteView payload);
  void on_message(uint32_t broker, ByteView msg);
  void on_timer(uint64_t token);

  bool busy() const { return out_.has_value(); }
  bool introduced_to(uint32_t broker) const { return broker < introduced_.size() && introduced_[broker]; }
  uint32_t broker() const { return broker_; }
  uint64_t next_seq() const { return next_seq_; }
  uint64_t certified_height() const { return certified_height_; }
  const std::optional<DeliveredInfo>& last_delivered() const { return delivered_; }
  const ClientStats& stats() const { return stats_; }
  std::function<void(const DeliveredInfo&)> on_delivered;  // optional

  Status check_inclusion(const Inclusion& m) const;
  Status check_delivery(const Delivery& d) const;

 private:
  struct Accepted {
    uint32_t broker;
    uint64_t number;
    Hash32 root;
    uint64_t raise;
  };
  struct Outstanding {
    Submit submit;
    Bytes wire;
    std::vector<Accepted> accepted;
    uint32_t silent = 0;    // retransmissions to the current broker without progress
    uint32_t cookie_resends = 0;  // sent again at once on a Cookie (bounded: see on_message)
    uint64_t backoff = 0;
  };
  void on_inclusion(uint32_t from, const Inclusion& m);
  void on_delivery(const Delivery& d);
  void reject(const Error& e);
  bool cert_verifies(const DeliveryCert& c) const;
  void arm_timer();
  void send_submit();  // the outstanding Submit to broker_, after our certificate if it needs it

  ClientConfig cfg_;
  crypto::ed25519::KeyPair ed_;
  crypto::bls::SecretKey bls_;
  const crypto::ThresholdVerifier* group_;
  ClientHost& host_;
  uint32_t broker_;
  uint64_t next_seq_ = 0;
  uint64_t certified_height_ = 0;  // height 0 (genesis) needs no certificate
  uint64_t timer_gen_ = 0;
  std::optional<Outstanding> out_;
  std::optional<DeliveredInfo> delivered_;
  std::optional<Bytes> last_payload_;  // of the last message delivered (a later copy is stale)
  std::vector<bool> introduced_;       // per broker: it acknowledged our certificate
  std::vector<std::optional<Cookie>> cookies_;  // per broker: the cookie it gave our address
  ClientStats stats_;
};

}  // namespace rampart::broker
