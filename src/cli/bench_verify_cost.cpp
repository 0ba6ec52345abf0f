// The Ed25519 verification cost that bounds `bench cluster --auth ed25519`, measured the way
// the replicas pay it: both vCPUs verifying at once (on this machine they may be SMT siblings
// sharing one core, so a single-threaded figure would flatter it). Shared by `bench crypto`
// (its "2 threads at once" row) and `bench cluster` (the bound it prints next to its result,
// measured in the same run so that the machine's other load affects both alike).
#include <cstdlib>
#include <string>
#include <latch>
#include <thread>

#include "cli/bench.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::cli::bench {

Timing ed25519_verify_two_threads(int per_thread, int reps) {
  // Distinct keys, messages and signatures, as a replica sees them: libsodium's verification is
  // variable-time, and verifying one signature over and over lets the branch predictor learn
  // its path (43.7 us against 47.9 us for distinct ones, bench crypto, one thread, 10:05).
  struct Item {
    crypto::ed25519::KeyPair kp;
    Bytes msg;
    crypto::ed25519::Signature sig;
  };
  std::vector<Item> items[2];
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < per_thread; ++i) {
      auto kp = crypto::ed25519::KeyPair::generate();
      Bytes msg = to_bytes("rampart bench: message " + std::to_string(k) + "/" + std::to_string(i));
      auto sig = kp.sign(msg);
      items[k].push_back({std::move(kp), std::move(msg), sig});
    }
  std::vector<double> wall, cpu;
  for (int r = 0; r < reps + 1; ++r) {  // the first run is a warm-up
    std::latch go(3);
    double thread_cpu[2] = {0, 0};
    std::vector<std::thread> ts;
    for (int k = 0; k < 2; ++k)
      ts.emplace_back([&, k] {
        go.arrive_and_wait();
        double c0 = thread_cpu_now_ns();
        int ok = 0;
        for (const auto& it : items[k]) ok += crypto::ed25519::verify(it.kp.public_key(), it.msg, it.sig);
        thread_cpu[k] = thread_cpu_now_ns() - c0;
        if (ok != per_thread) std::abort();
      });
    auto a = std::chrono::steady_clock::now();
    go.arrive_and_wait();
    for (auto& t : ts) t.join();
    auto b = std::chrono::steady_clock::now();
    if (r == 0) continue;
    wall.push_back(2 * std::chrono::duration<double, std::nano>(b - a).count() / (2 * per_thread));
    cpu.push_back((thread_cpu[0] + thread_cpu[1]) / (2 * per_thread));
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {cpu[cpu.size() / 2], wall[wall.size() / 2]};
}

}  // namespace rampart::cli::bench
