#pragma once
// Stand-ins for the replica side of the broker contract (docs/brokers.md), so the broker
// process, its replica links and the driver can be tested end to end before the real replica
// side exists: on each chosen replica's client port, the replica's end of the client channel
// (crypto::ClientChannelResponder with the replica's keys), and for every DistilledBatch from a
// connection opened with a broker's key listed in cluster.toml, for that broker: a full check
// (broker::verify_distilled against cluster.toml's client directory), the next height, and a
// Delivered whose certificate t replicas' real threshold shares signed, on the same connection.
// A batch already certified gets the same certificate again.
//
// Not a replica: no consensus, no forwarding, no witnesses. A replica not in `up` has no
// listener: the broker's connection to it is refused, as to a crashed replica. A replica in
// `liars` answers every batch with a forged certificate (its height changed after signing), as a
// Byzantine entry replica might.
#include <asio.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "broker/directory.hpp"
#include "broker/replica_wire.hpp"
#include "common/config.hpp"
#include "crypto/client_channel.hpp"
#include "keys/threshold_keys.hpp"

namespace rampart::test {

class StandInReplicas {
 public:
  // Throws if a key file or the client directory does not load, or a port cannot be bound.
  StandInReplicas(const ClusterConfig& cfg, const std::vector<uint32_t>& up, const std::vector<uint32_t>& liars = {});
  ~StandInReplicas();  // stops the io thread and closes everything

  // Distilled batches each replica received (resubmissions included), and certificates sent.
  uint64_t batches_received(uint32_t replica) const { return received_[replica].load(); }
  uint64_t delivered() const { return delivered_.load(); }
  uint64_t refused() const { return refused_.load(); }  // bad frames, unknown keys, failed checks
  uint64_t forged() const { return forged_.load(); }    // forged certificates the liars sent

 private:
  struct Conn;
  void accept(uint32_t replica);
  void read(const std::shared_ptr<Conn>& c);
  bool on_frame(const std::shared_ptr<Conn>& c, const Bytes& frame);
  void on_batch(const std::shared_ptr<Conn>& c, const broker::DistilledBatch& b);

  const ClusterConfig& cfg_;
  asio::io_context io_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;  // by replica id; null if down
  std::unique_ptr<broker::MemoryDirectory> dir_;
  std::vector<keys::ReplicaCrypto> crypto_;
  std::vector<crypto::ChannelKeypair> statics_;  // each replica's channel key
  std::map<std::pair<uint32_t, uint64_t>, broker::DeliveryCert> certified_;  // (broker, number)
  uint64_t height_ = 1;
  std::unique_ptr<std::atomic<uint64_t>[]> received_;
  std::vector<bool> liar_;
  std::atomic<uint64_t> delivered_{0}, refused_{0}, forged_{0};
  std::thread thread_;
};

}  // namespace rampart::test
