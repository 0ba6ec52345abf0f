#pragma once
// Batch authentication: every correct replica checks each client signature of a batch before it
// supports or submits the batch, but only once: the digest (BLAKE3, collision resistant) of bytes
// it already checked stands for the check. So a replica never orders a request whose signature
// it has not verified itself, and each request costs one Ed25519 verification per replica
// instead of one at the receiving replica, one at the primary and one at every backup. A bundle
// is checked part by part, so the parts a replica built or checked before (its own batch,
// batches forwarded through it) are not verified again. Sans-IO: the check itself is the
// caller's (replica/client_auth.hpp, timed on the process's CPU clock).
//
// With witnesses (replica/witness.hpp) a part also counts as authentic when f + 1 of its
// witnesses vouched for its digest: one of them is correct and checked it. A part without that
// certificate is checked here, so witnesses that never come only cost checks.
#include <deque>
#include <functional>
#include <set>

#include "common/bytes.hpp"
#include "common/metrics_registry.hpp"
#include "replica/witness.hpp"

namespace rampart::replica {

// Client signatures a replica verified (0 with client auth none); counted on arrival too.
extern const metrics::Declared kSignaturesChecked;
extern const metrics::Declared kPartsOnWitnesses;
extern const metrics::Declared kPartsChecked;

class BatchAuth {
 public:
  // check: decodes one plain batch and checks every request in it. counts: signatures are
  // checked (client auth is on), so kSignaturesChecked counts them.
  BatchAuth(std::function<bool(ByteView)> check, bool counts, metrics::Registry& reg)
      : check_(std::move(check)), counts_(counts), reg_(reg) {}

  // The batch (or bundle) with digest d is authentic: every request checked, here and now or
  // before. Remembered when it is.
  bool authentic(ByteView batch, const Hash32& d);
  // Bytes whose requests this replica checked another way (on arrival, one by one).
  void remember(const Hash32& d);
  bool known(const Hash32& d) const { return verified_.count(d) > 0; }
  // f + 1 witnesses vouched for these bytes (never without a book).
  bool certified(const Hash32& d) const { return witnesses_ && witnesses_->certified(d); }
  void set_witnesses(const WitnessBook* w) { witnesses_ = w; }
  // Requests of a batch executed without our check (a commit certificate brought it).
  size_t unchecked_requests(ByteView batch) const;

  static constexpr size_t kMaxRemembered = 4096;  // FIFO

 private:
  bool check_part(ByteView part, const Hash32& d);

  std::function<bool(ByteView)> check_;
  bool counts_;
  const WitnessBook* witnesses_ = nullptr;
  metrics::Registry& reg_;
  std::set<Hash32> verified_;
  std::deque<Hash32> order_;
};

}  // namespace rampart::replica
