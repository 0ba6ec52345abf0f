#pragma once
// The direct path's ingress and reply sink, sans-IO. A request frame arrives on a sink — a
// client-port connection today, a gateway's or a broker's next — opened by some client key (the
// client channel, crypto/client_channel.hpp). Ingress decodes it, refuses what that sink may not
// carry (another key's request, unless the sink is a relay's), checks the signature, answers a
// retry of a final block from the reply cache without ordering, refuses a stale replay, and hands
// the rest to the batcher. When a block is proven each reply goes back to the sink its client
// last asked on; a request the replica already executed does not move that binding.
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "common/bytes.hpp"
#include "common/codec.hpp"
#include "common/metrics_registry.hpp"
#include "replica/client_auth.hpp"
#include "replica/executor.hpp"
#include "replica/proofs.hpp"
#include "replica/request.hpp"

namespace rampart::replica {

using SinkId = uint64_t;

// Who opened a sink.
struct Principal {
  ClientId id = 0;     // of the key that opened it
  bool relay = false;  // may carry other clients' requests (cluster.toml relays, brokers)
  std::optional<uint32_t> broker;  // opened with broker i's key: may hand us broker i's batches
};

extern const metrics::Declared kSignatureCheckNs;

class IngressHost {
 public:
  virtual ~IngressHost() = default;
  // A reply or a reject to a sink; false if the sink is gone or full.
  virtual bool send_to_client(SinkId to, ByteView frame) = 0;
  virtual void order(Request r) = 0;  // to the batcher
  virtual uint64_t last_final() = 0;
  // A final block whose replies went out, while it is kept (Proofs::answered).
  virtual std::optional<Proofs::Answer> answered_block(uint64_t k) = 0;
  virtual uint64_t cpu_now_ns() = 0;  // this thread's CPU time: the sampled timing of signature checks
};

class Ingress {
 public:
  Ingress(IngressHost& host, const Executor& exec, ClientAuth auth, metrics::Registry& reg)
      : host_(host), exec_(exec), auth_(auth), reg_(reg) {}

  // A frame from sink `from`, opened by `who`. False when it is no request at all (the caller
  // closes the sink); a bad or refused request is answered with a REJECT and returns true.
  bool on_frame(SinkId from, const Principal& who, ByteView frame);
  // A proven block: each reply to the sink its client last asked on.
  void deliver(const BlockProof& b);

  // One arriving signature check in this many is timed (the thread CPU clock is a system call).
  static constexpr uint64_t kTimingEvery = 16;

 private:
  bool answer_from_cache(SinkId to, const Request& r, const CacheEntry& e);
  void reject(SinkId to, const Request& r, const std::string& why);

  IngressHost& host_;
  const Executor& exec_;
  ClientAuth auth_;
  metrics::Registry& reg_;
  // Where each client's replies go. A closed sink's entries stay (sink ids are never reused, and
  // a send to a gone sink fails harmlessly) until the client asks again elsewhere.
  std::unordered_map<ClientId, SinkId> sink_of_;
  uint64_t arrivals_ = 0;
  Writer buf_;  // reused for reply frames
};

}  // namespace rampart::replica
