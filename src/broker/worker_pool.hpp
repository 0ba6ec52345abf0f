#pragma once
// Worker threads for the broker process (library rampart_broker_udp, beside the UDP front end):
// the front end drains a recvmmsg batch, the pool checks its Submits' Ed25519 signatures in
// parallel (Broker::precheck), and the core takes the datagrams in order on its own thread. One
// check costs ~45 us and is nearly all of a broker's CPU per message (docs/benchmarks.md,
// `bench broker-core`), so it is the one step worth spreading over cores.
//
// Fork-join: run() returns once every index was handled; the calling thread takes a share, so
// `workers` = the threads beside it. Threads can be pinned to cores (the reference broker found
// pinning necessary on hyper-threaded cores): pin(cpus) pins the calling thread to cpus[0] and
// worker i to cpus[1 + i], wrapping around the list.
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace rampart::broker {

// "0,2-3" -> {0, 2, 3}; every core must exist on this machine.
Result<std::vector<int>> parse_cpu_list(const std::string& list);
// Pins the calling thread to one core.
Status pin_this_thread(int cpu);
// The core the calling thread may run on, if it is pinned to exactly one (tests, logs).
std::optional<int> pinned_cpu();

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers, std::vector<int> cpus = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // fn(i) for every i in [0, n), spread over the workers and the calling thread.
  void run(size_t n, const std::function<void(size_t)>& fn);
  size_t workers() const { return threads_.size(); }

 private:
  void work(size_t self);
  void take_share(const std::function<void(size_t)>& fn, size_t n);

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable go_, done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_ = 0;
  size_t next_ = 0;      // the next index to hand out (under mu_)
  size_t busy_ = 0;      // workers still inside the current round
  uint64_t round_ = 0;   // bumps once per run(): a worker joins each round once
  bool stop_ = false;
};

}  // namespace rampart::broker
