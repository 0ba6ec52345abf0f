#pragma once
// The broker process's I/O (`rampart broker`): the sans-IO broker core on one asio thread,
// clients over UDP through net::UdpBatch (recvmmsg/sendmmsg), timers on asio steady timers.
// This is the only file of src/broker that knows sockets or clocks; library rampart_broker_udp.
//
// With workers (use_workers), each drained recvmmsg batch's Submit signatures are checked on the
// worker pool first (Broker::precheck, broker/worker_pool.hpp); the core then takes the
// datagrams in order on this thread, as without workers.
//
// A client's address is its IPv4 endpoint packed into the core's ClientAddr (address << 16 |
// port), so no table grows with spoofed sources; IPv6 datagrams are counted and dropped.
//
// Distilled batches leave through the replica sink (ReplicaLinks in `rampart broker`); the
// replicas' Delivered frames come back through on_replica. Without a sink a batch is only
// logged and held (the core resubmits it on its timer, to nowhere).
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "broker/broker.hpp"
#include "broker/worker_pool.hpp"
#include "net/udp_batch.hpp"

namespace rampart::broker {

struct FrontCounters {
  uint64_t ipv6_dropped = 0;
  uint64_t replica_sends = 0;  // distilled batches handed to the replica sink (resubmissions too)
  uint64_t replica_bytes = 0;  // their wire size
  uint64_t send_dropped = 0;   // answers dropped because the send queue was full
};

class UdpFront final : public BrokerHost {
 public:
  UdpFront(asio::io_context& io, BrokerConfig cfg, const Directory& dir, const crypto::ThresholdVerifier* group);
  Result<uint16_t> bind(const std::string& host, uint16_t port);
  void start();  // begins receiving; io.run() drives everything
  // `workers` threads beside io.run()'s for the Ed25519 checks (0: the core checks inline).
  void use_workers(size_t workers, std::vector<int> cpus = {}) {
    pool_ = workers ? std::make_unique<WorkerPool>(workers, std::move(cpus)) : nullptr;
  }
  using ReplicaSink = std::function<void(uint32_t replica, Bytes msg)>;
  void set_replica_sink(ReplicaSink sink) { to_replica_ = std::move(sink); }
  // Called before batch `number` is announced (BrokerHost::taking_number).
  void set_number_hook(std::function<void(uint64_t number)> hook) { number_hook_ = std::move(hook); }
  // A frame from replica `from` (a Delivered): to the core, then its answers to the clients.
  void on_replica(uint32_t from, ByteView msg);

  const Broker& core() const { return core_; }
  Broker& core() { return core_; }
  const net::UdpCounters& udp() const { return udp_.counters(); }
  const FrontCounters& counters() const { return counters_; }

  void send_client(ClientAddr to, Bytes msg) override;
  void send_replica(uint32_t replica, Bytes msg) override;
  uint64_t now_ms() override;
  void set_timer(uint64_t token, uint64_t after_ms) override;
  void taking_number(uint64_t number) override {
    if (number_hook_) number_hook_(number);
  }

 private:
  void on_readable(const asio::error_code& ec);
  void flush();

  asio::io_context& io_;
  net::UdpBatch udp_;
  Broker core_;
  // Answers not yet taken by the kernel; bounded (a full batch's Inclusions fit).
  static constexpr size_t kMaxQueued = size_t(1) << 18;
  std::vector<net::Datagram> in_, out_;
  std::unique_ptr<WorkerPool> pool_;
  std::vector<SigCheck> pre_;  // what the pool found of in_[i]
  bool write_wait_ = false;
  FrontCounters counters_;
  ReplicaSink to_replica_;
  std::function<void(uint64_t)> number_hook_;
  uint64_t logged_number_ = 0;  // the newest batch logged as distilled
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace rampart::broker
