#pragma once
// The protocol-specific half of the adversary (adversary.hpp): reading and forging PoE or PBFT
// messages with the Byzantine replica's own keys. adversary_poe.cpp, adversary_pbft.cpp.
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "sim/adversary.hpp"
#include "sim/rng.hpp"

namespace rampart::sim::detail {

class Adversary::Protocol {
 public:
  enum class Kind : uint8_t { other, proposal, certificate, support, checkpoint, view_change, new_view, forward };
  struct Info {
    Kind kind = Kind::other;
    consensus::View view = 0;
    consensus::Seq k = 0;
  };

  Protocol(const consensus::Config& cfg, const crypto::Signer& signer, Rng& rng) : cfg_(cfg), signer_(signer), rng_(rng) {}
  virtual ~Protocol() = default;

  virtual Info inspect(ByteView msg) const = 0;
  // Archives what later forgeries need (requests for views, certificates, checkpoint proofs).
  virtual void observe(consensus::NodeId from, ByteView msg) = 0;
  // Our view-change request without some certificates, or with stale ones, signed again.
  virtual std::optional<Bytes> strip(ByteView request) = 0;
  // Our new-view message as `to` gets it: built from the requests most hostile to the history,
  // or another valid set (so different replicas get different ones).
  virtual std::optional<Bytes> pick_nv(ByteView new_view, consensus::NodeId to) = 0;
  // A valid request to move to `target`, from us alone.
  virtual Bytes lone_vc(consensus::View target) = 0;
  // Validly signed lies about view `v`: checkpoints of other histories, votes for other digests.
  virtual std::vector<std::pair<consensus::NodeId, Bytes>> false_votes(consensus::View v) = 0;
  // Flood messages: (to, protocol message); `seen` are genuine requests to build batches from.
  virtual std::vector<std::pair<consensus::NodeId, Bytes>> flood(consensus::View v,
                                                                 const std::vector<replica::Request>& seen) = 0;
  // Does this message carry a batch with requests of client c (censor)?
  virtual bool carries_client(ByteView msg, replica::ClientId c) const = 0;

 protected:
  const consensus::Config cfg_;
  const crypto::Signer& signer_;
  Rng& rng_;
};

std::unique_ptr<Adversary::Protocol> make_poe_tactics(const consensus::Config& cfg, const crypto::Signer& s, Rng& rng);
std::unique_ptr<Adversary::Protocol> make_pbft_tactics(const consensus::Config& cfg, const crypto::Signer& s,
                                                       const crypto::Verifier& v, Rng& rng);

// A batch of genuine requests (a random subset of `seen`): valid, and new to its receiver.
Bytes batch_from(const std::vector<replica::Request>& seen, Rng& rng);
// Requests of client c in this encoded batch (or bundle part)?
bool batch_has_client(ByteView batch, replica::ClientId c);

}  // namespace rampart::sim::detail
