#pragma once
// The replica core's background work (ReplicaHost::background): checks nobody waits for at once,
// such as a combined CART proof's pairing check (replica/proofs.hpp), run on one thread whose
// nice value is above the event loop's, so on a busy machine the CPU goes first to the work a
// client waits for (the next slot, the replies, the client's own check) and the checks fill what
// is left. Nice, not SCHED_IDLE: under full load an idle-class thread could starve, and a block
// becomes final only once its proof is checked.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace rampart::node {

class Background {
 public:
  // `post(f)` hands a finished job's continuation to the owner's thread (asio::post).
  Background(int nice, std::function<void(std::function<void()>)> post);
  ~Background();  // stops and joins; queued jobs are dropped
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void run(std::function<bool()> work, std::function<void(bool)> done);
  void stop();

 private:
  void loop(int nice);

  std::function<void(std::function<void()>)> post_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::function<bool()>, std::function<void(bool)>>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rampart::node
