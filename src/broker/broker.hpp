#pragma once
// The broker core (DESIGN §3.1), sans-IO: messages and timer expiries in, sends through a
// BrokerHost out. One batch is in construction at a time; closed batches go through
// proposal -> distilled -> delivered (batch.hpp).
//
// In construction: each Submit's Ed25519 signature is checked (the broker pays for it so the
// servers need not); one entry per client id is kept (the highest seq). The batch closes at
// batch_size entries or close_timeout_ms after its first entry.
//
// Retransmissions: a client that sends again a Submit the broker already placed gets its
// Inclusion again (batch in proposal) or its Delivery again (batch delivered), so a lost
// datagram in either direction costs the client one retransmission, never its message.
//
// Submission to the replicas: a distilled batch goes to ONE replica, its entry replica
// (broker + number) mod n, which forwards it to the others. Without a valid Delivered within
// resubmit_ms it goes to the next replica, the wait doubling up to max_resubmit_ms, forever
// until delivered: a lost message or a crashed or Byzantine entry replica costs latency, never
// the batch. For the same reason no batch is forgotten before its delivery.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "broker/batch.hpp"
#include "broker/client_wire.hpp"
#include "broker/directory.hpp"
#include "broker/host.hpp"
#include "broker/signup.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::broker {

struct BrokerConfig {
  uint32_t id = 0;
  uint32_t replicas = 4;                  // distilled batches go to replicas 0..replicas-1
  uint32_t batch_size = 65536;            // entries at which a batch closes
  uint64_t close_timeout_ms = 1000;       // ... or this long after its first entry
  uint64_t reduction_timeout_ms = 2000;   // then wait this long for reductions
  size_t max_batches = 16;                // closed batches kept: beyond it the oldest delivered ones
                                          // are dropped (undelivered ones are always kept)
  uint64_t resubmit_ms = 1000;            // first wait for a Delivered before the next replica
  uint64_t max_resubmit_ms = 8000;        // the wait doubles up to this
  // Back-pressure: while this many closed batches wait for their delivery, a message that would
  // open a new entry is dropped unanswered (its client retransmits, and after a few silent
  // attempts moves to another broker), so a broker whose replicas do not answer holds a bounded
  // amount of batches instead of growing without limit. 0: no bound.
  size_t max_undelivered = 8;
  uint64_t first_number = 1;              // the first batch's number (a restarted broker resumes)
  // Return-routability (docs/brokers.md, "Cookies"): with a key, a Submit is taken only with the
  // cookie this broker gave its source address (keyed BLAKE3 of the address and the minute,
  // this one or the last); any other gets a 17-byte Cookie answer and nothing else. So a
  // spoofed source gets neither an Inclusion (~15x a Submit) nor an Ed25519 check's worth of CPU.
  // Empty: no cookies (tests, benchmarks whose senders do not take part).
  std::optional<Hash32> cookie_key;
  uint64_t cookie_epoch_ms = 60000;
};

struct BrokerStats {
  uint64_t submissions = 0;          // accepted into a batch in construction
  uint64_t rejected = 0;             // undecodable, unknown id, bad signature, stale
  uint64_t resent = 0;               // Inclusion or Delivery sent again on a retransmission
  uint64_t reductions = 0;           // shares stored
  uint64_t batches_proposed = 0, batches_distilled = 0, batches_delivered = 0;
  uint64_t stragglers = 0;           // over all distilled batches
  uint64_t invalid_reductions = 0;   // shares isolated by splitting
  uint64_t reduction_checks = 0;     // pairing checks spent on reductions
  uint64_t replica_sends = 0;        // distilled batches sent to a replica (first sends included)
  uint64_t resubmissions = 0;        // ... of which sent again, to the next replica, on a timeout
  uint64_t signups = 0;              // clients learnt from sign-up certificates
  uint64_t signups_refused = 0;      // certificates that did not check (or contradict the directory)
  uint64_t shed = 0;                 // valid new messages dropped: max_undelivered batches were waiting
  uint64_t cookies_sent = 0;         // Submits answered with a Cookie (none, stale or wrong)
};

// What a worker thread found of a datagram's Submit signature before the core took it
// (Broker::precheck): the core then skips the Ed25519 check or refuses at once.
enum class SigCheck : uint8_t { unchecked, good, bad };

class Broker {
 public:
  // `group` checks delivery certificates; without it no batch is ever delivered.
  Broker(BrokerConfig cfg, const Directory& dir, const crypto::ThresholdVerifier* group, BrokerHost& host);

  // `pre`: what precheck() said of this very datagram, with the directory as it is now.
  void on_client(ClientAddr from, ByteView msg, SigCheck pre = SigCheck::unchecked);
  // The Ed25519 check of a Submit, for worker threads: good or bad when msg is a Submit with a
  // valid cookie (if cookies are on) from a known id, unchecked otherwise (the core decides, as
  // without a precheck). Reads only the configuration, the directory and the clock, changes
  // nothing: safe on several threads while the core's thread waits (nothing adds to the
  // directory meanwhile). A directory entry never changes, so a bad signature stays bad.
  SigCheck precheck(ClientAddr from, ByteView msg) const;
  // Learn new clients from their sign-up certificates (broker/signup.hpp) into `dir`, the same
  // directory the core reads (outlives the core); `check` verifies a certificate. Without it a
  // SignupCert message is rejected. `learnt` hears each certificate that added a client (the
  // process keeps them for its next start).
  void learn_signups(MemoryDirectory& dir, SignupCheck check, std::function<void(ByteView cert)> learnt = {}) {
    signup_dir_ = &dir;
    signup_check_ = std::move(check);
    signup_learnt_ = std::move(learnt);
  }
  void on_replica(uint32_t from, ByteView msg);
  void on_timer(uint64_t token);

  const BrokerStats& stats() const { return stats_; }
  size_t building() const { return building_.size(); }
  const Batch* batch(uint64_t number) const;
  // The replica the batch's first copy goes to.
  uint32_t entry_replica(uint64_t number) const { return static_cast<uint32_t>((cfg_.id + number) % cfg_.replicas); }
  size_t undelivered() const { return submitting_.size(); }
  // Closed batches not delivered yet (in proposal or distilled): what back-pressure bounds.
  size_t waiting() const { return closed_ - stats_.batches_delivered; }
  uint64_t next_number() const { return next_number_; }
  // The newest delivery certificate: attached to proposals as the proof that raise is legitimate.
  const std::optional<DeliveryCert>& legitimacy() const { return legitimacy_; }

 private:
  struct Pending {
    ClientAddr addr;
    uint64_t seq;
    Bytes payload;
    std::array<uint8_t, 64> sig;
  };
  void on_submit(ClientAddr from, const Submit& m, SigCheck pre);
  Cookie cookie_for(ClientAddr a, uint64_t epoch) const;
  bool cookie_valid(ClientAddr a, const std::optional<Cookie>& c) const;
  bool cookie_ok(ClientAddr a, const std::optional<Cookie>& c);
  void on_signup(ClientAddr from, ByteView msg);
  bool resend(ClientAddr from, const Submit& m);
  void on_reduction(ClientAddr from, const Reduction& m);
  void on_delivered(const DeliveryCert& c);
  void close();
  void distill(Batch& b);
  void forget_old_batches();
  void submit_to_replica(uint64_t number);

  // Where a distilled batch stands with the replicas: attempts so far (attempt k goes to replica
  // (broker + number + k) mod n) and the wait before the next one.
  struct Submission {
    uint32_t attempts = 0;
    uint64_t wait_ms = 0;
    Bytes wire;  // encode(DistilledBatch), kept for the resubmissions
  };

  BrokerConfig cfg_;
  const Directory& dir_;
  const crypto::ThresholdVerifier* group_;
  BrokerHost& host_;
  BrokerStats stats_;
  std::map<ClientId, Pending> building_;  // sorted by id, as the batch will be
  uint64_t building_gen_ = 0;             // names the close timer of the batch in construction
  uint64_t next_number_;
  uint64_t closed_ = 0;  // batches closed since the start
  std::map<uint64_t, std::unique_ptr<Batch>> batches_;
  std::unordered_map<ClientId, uint64_t> last_batch_;  // id -> newest batch holding it
  std::optional<DeliveryCert> legitimacy_;
  std::unordered_map<uint64_t, Submission> submitting_;  // batch number -> its submission
  MemoryDirectory* signup_dir_ = nullptr;
  SignupCheck signup_check_;
  std::function<void(ByteView)> signup_learnt_;
};

}  // namespace rampart::broker
