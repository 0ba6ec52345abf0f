#pragma once
// The strategic Byzantine replica (docs/simulator.md, "The adversary"). It runs the honest
// protocol code for its state and holds only its own keys, but decides what leaves: it rewrites
// its messages and signs them again, sends different ones to different replicas, drops some,
// and sends messages of its own choosing on its own schedule. Every message it sends is validly
// signed by itself; it can forge nothing for keys it does not hold (crypto::FakeKeyring).
//
// Tactics (sim::Fault), each a strategy against a part of the protocols:
//   strip        VC-REQUEST / VIEW-CHANGE without some certificates, or with stale ones
//   pick_nv      as new primary, the nf requests most hostile to the history, and different
//                NV-PROPOSEs / NEW-VIEWs to different replicas
//   selective    its proposals and certificates (PoE CERTIFY, PBFT COMMIT) reach chosen subsets
//   censor       as primary, orders every batch but one client's
//   lone_vc      VIEW-CHANGE requests for the next view while everything is idle
//   false_votes  validly signed lies: checkpoints of other histories, votes for other digests
//   replay       old messages (its own and others') sent again, long after
//   flood        FORWARD / FETCH / WANT (PBFT: forwards, status) at a high rate
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/bytes.hpp"
#include "consensus/protocol.hpp"
#include "crypto/interfaces.hpp"
#include "replica/request.hpp"
#include "sim/faults.hpp"
#include "sim/rng.hpp"

namespace rampart::sim::detail {

// What the adversary needs from the world it plays in (sim/world.hpp).
class AdversaryHost {
 public:
  virtual ~AdversaryHost() = default;
  virtual void send_consensus(consensus::NodeId to, Bytes body) = 0;  // as the Byzantine replica
  virtual void send_forward(consensus::NodeId to, Bytes batch) = 0;    // a replica-level forward
  virtual bool up() const = 0;
};

class Adversary {
 public:
  // What a message reaching the replica is, for incoming().
  enum class In : uint8_t { request, forward, consensus, other };

  // cfg.self is the Byzantine replica; victim() draws the client a censor targets (called
  // after the protocol part is made, so a world's random draws keep their order).
  Adversary(AdversaryHost& host, const consensus::Config& cfg, const std::string& protocol,
            std::unique_ptr<crypto::Signer> signer, const crypto::Verifier& verifier, Rng& rng,
            const std::function<replica::ClientId()>& victim, FaultSet tactics);
  ~Adversary();
  const FaultSet& tactics() const { return tactics_; }

  // A protocol message of the replica's honest code: what goes out instead.
  void outgoing(consensus::NodeId to, Bytes body);
  // A message for the replica: observed (views, requests, certificates, material to replay).
  // False: the honest code never sees it (censor). A request is replica::encode_request's bytes.
  bool incoming(consensus::NodeId from, In kind, ByteView body);
  // A client request reaching the node; false to drop it (censor).
  bool request(const replica::Request& r) const;
  // Called on the node's own schedule (World): lone requests, lies, replays, floods.
  void tick();

  class Protocol;  // the protocol-specific part (PoE or PBFT codecs): adversary_protocol.hpp

 private:
  void send(consensus::NodeId to, Bytes body);
  void to_all(const Bytes& body);
  consensus::View view_seen() const { return view_seen_; }

  AdversaryHost& host_;
  const consensus::Config cfg_;
  Rng& rng_;
  FaultSet tactics_;
  std::unique_ptr<crypto::Signer> signer_;  // its own key, and only that
  std::unique_ptr<Protocol> p_;
  consensus::View view_seen_ = 0;
  replica::ClientId victim_ = 0;
  std::deque<std::pair<consensus::NodeId, Bytes>> heard_;  // consensus messages, to replay
  std::deque<Bytes> said_;                                 // our own, to replay
  std::vector<replica::Request> requests_;                 // seen, to build floods from
  // selective: per message key, the replicas that get it.
  std::map<std::tuple<uint8_t, consensus::View, consensus::Seq>, std::set<consensus::NodeId>> audience_;
};

}  // namespace rampart::sim::detail
