#pragma once
// Witness certificates for the direct path (DESIGN.md §3.1, the same idea as the broker path's):
// f + 1 replicas check a batch's client signatures and sign a WITNESS over its digest; any
// replica holding f + 1 such signatures from distinct witnesses knows at least one correct
// replica checked the batch, and accepts it without checking (BatchAuth::authentic). So a
// request costs f + 1 Ed25519 verifications in the cluster instead of n.
//
// The witnesses of a batch are its origin (the replica whose batcher built it; it checked every
// request on arrival) and the next f ids mod n: deterministic, so nobody needs to be asked, and
// spread evenly. A signature covers (origin, digest), so a certificate is f + 1 signatures over
// the same statement from distinct members of that origin's witness set.
//
// Witnesses only save work: a replica that lacks a certificate checks the batch itself, as
// without them. The book is bounded per signer (FIFO), so a Byzantine replica cannot grow it.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "crypto/interfaces.hpp"
#include "replica/peer_msg.hpp"

namespace rampart::replica {

extern const metrics::Declared kWitnessesSent;
extern const metrics::Declared kWitnessesRefused;

// The signed statement: domain-separated from every other signature a replica makes.
Bytes witness_statement(uint32_t origin, const Hash32& d);

class WitnessBook {
 public:
  struct Params {
    uint32_t self = 0;
    size_t n = 4;
    size_t f = 1;
  };
  enum class Added : uint8_t {
    counted,    // a new valid signature, no certificate yet
    certified,  // this signature completed the digest's certificate
    ignored,    // a duplicate, or the digest is certified already
    refused,    // not a witness of the origin it names, a bad origin, or a bad signature
  };

  WitnessBook(Params p, const crypto::Signer& signer, const crypto::Verifier& verifier, metrics::Registry& reg);

  static bool is_witness(uint32_t id, uint32_t origin, size_t n, size_t f) {
    return id < n && origin < n && (id + n - origin) % n <= f;
  }
  bool is_witness(uint32_t id, uint32_t origin) const { return is_witness(id, origin, p_.n, p_.f); }

  // Our witness for a batch of `origin` we checked: recorded, and the wrapped message to
  // broadcast; nullopt when we are not its witness or signed it before.
  std::optional<Bytes> vouch(uint32_t origin, const Hash32& d);
  // A WITNESS from peer `from`. The signature is verified only when it could count.
  Added add(uint32_t from, const WitnessMsg& m);
  bool certified(const Hash32& d) const;
  // Signatures held, over all digests (bounded by n * kMaxPerSigner).
  size_t size() const;

  static constexpr size_t kMaxPerSigner = 4096;

 private:
  struct Vote {
    uint32_t signer;
    uint32_t origin;
  };
  struct Entry {
    std::vector<Vote> votes;  // one per signer
    bool certified = false;
  };
  // Records a vote known valid; true if it completed the certificate.
  bool record(uint32_t signer, uint32_t origin, const Hash32& d);
  bool has_vote(uint32_t signer, const Hash32& d) const;
  void evict(uint32_t signer);

  Params p_;
  const crypto::Signer& signer_;
  const crypto::Verifier& verifier_;
  metrics::Registry& reg_;
  std::map<Hash32, Entry> entries_;
  std::vector<std::deque<Hash32>> by_signer_;  // FIFO of the digests each signer vouched for
};

}  // namespace rampart::replica
