#pragma once
// A Byzantine replica process, for tests and benchmarks only (`rampart replica --misbehave`):
// the honest replica core runs unchanged and this filter rewrites what leaves it. It holds the
// replica's own keys, as a Byzantine replica does, so its lies are well formed: shares that
// decode to valid curve points and name the right block but sign another one, combined proofs
// that do the same, and replies whose results are altered and re-encoded so they still parse.
// Correct replicas and clients must refuse every one of them (the wallet process test and
// `bench wallet --byzantine`). The simulator's adversary (src/sim) covers far more behaviours;
// this is the same adversary where real processes, sockets and disks are involved.
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "common/result.hpp"
#include "client/wallet_read.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::node {

struct Misbehaviour {
  bool bad_shares = false;   // CART reply shares and combined proofs over another block's hash
  bool lie_results = false;  // every reply to a client altered (wallet: balances inflated)
  bool any() const { return bad_shares || lie_results; }
};

// "bad-shares,lie-results" (either, both, or "none").
Result<Misbehaviour> parse_misbehaviour(std::string_view list);

class Liar {
 public:
  Liar(Misbehaviour m, const crypto::ThresholdSigner& signer, metrics::Registry& reg)
      : m_(m), signer_(signer), reg_(reg) {}
  // A replica-to-replica message as it leaves (replica/peer_msg.hpp framing).
  Bytes peer(Bytes wire);
  // A client-port frame as it leaves; returns it unchanged unless it is a reply to lie in.
  Bytes reply(ByteView frame);
  // A proven read's answer as it leaves the read port (lie_results: every balance inflated,
  // the proof left as it was, so it no longer verifies).
  void read(client::ReadResponse& r);

 private:
  Misbehaviour m_;
  const crypto::ThresholdSigner& signer_;
  metrics::Registry& reg_;
};

}  // namespace rampart::node
