#pragma once
// The small crypto interfaces the protocols are written against (libhotstuff's PrivKey/QuorumCert
// idea). Real implementations use libsodium (Ed25519) and blst (BLS threshold); the simulator
// plugs in a fast deterministic stand-in that still cannot forge for keys a node does not hold.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "common/bytes.hpp"

namespace rampart::crypto {

using NodeId = uint32_t;

// Signs as one node.
class Signer {
 public:
  virtual ~Signer() = default;
  virtual Bytes sign(ByteView msg) const = 0;
};

// Verifies any node's signature by its id.
class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual bool verify(NodeId signer, ByteView msg, ByteView sig) const = 0;
};

// Produces this node's share of a t-of-n threshold signature.
class ThresholdSigner {
 public:
  virtual ~ThresholdSigner() = default;
  virtual Bytes sign_share(ByteView msg) const = 0;
};

struct Share {
  NodeId signer;
  Bytes sig;
};

// Checks shares, combines any t of them into the group signature, checks group signatures.
class ThresholdVerifier {
 public:
  virtual ~ThresholdVerifier() = default;
  virtual size_t threshold() const = 0;
  virtual bool verify_share(NodeId signer, ByteView msg, ByteView share) const = 0;
  // Optimistic: combine the first t shares, verify once; only on failure check shares one by
  // one, drop the bad ones and retry. Returns nullopt when fewer than t valid shares remain.
  // bad_out (optional) receives the ids of shares found invalid.
  virtual std::optional<Bytes> combine(ByteView msg, const std::vector<Share>& shares,
                                       std::vector<NodeId>* bad_out = nullptr) const = 0;
  virtual bool verify_group(ByteView msg, ByteView group_sig) const = 0;
  // The first t usable shares combined with no check at all (BLS: the Lagrange interpolation of
  // combine()'s fast path, ~0.3 ms of its ~0.95): for a sender whose receivers check what it
  // sends anyway, so it can send first and check after (verify_group, or combine() to find bad
  // shares). Garbage when a share is bad. The default is combine() itself.
  virtual std::optional<Bytes> combine_unchecked(ByteView msg, const std::vector<Share>& shares) const {
    return combine(msg, shares);
  }
  // The group signature made of this replica's own share alone, where the scheme allows it: a
  // threshold of one (n = 1) under BLS, whose degree-0 sharing makes every share the group
  // signature. Unchecked: a share we signed ourselves is valid (keys/key_check.cpp checks the
  // key at start). nullopt otherwise; then combine().
  virtual std::optional<Bytes> group_from_own_share(ByteView /*share*/) const { return std::nullopt; }
};

}  // namespace rampart::crypto
