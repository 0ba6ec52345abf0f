#include "broker/worker_pool.hpp"

#include <pthread.h>
#include <sched.h>

#include <sstream>

namespace rampart::broker {

Result<std::vector<int>> parse_cpu_list(const std::string& list) {
  std::vector<int> out;
  const long have = static_cast<long>(std::thread::hardware_concurrency());
  std::stringstream in(list);
  for (std::string part; std::getline(in, part, ',');) {
    int a = 0, b = 0;
    char dash = 0;
    std::stringstream p(part);
    if (!(p >> a)) return err("cpu list: \"" + part + "\" is not a core number or a range a-b");
    b = a;
    if (p >> dash) {
      if (dash != '-' || !(p >> b)) return err("cpu list: \"" + part + "\" is not a range a-b");
    }
    if (std::string rest; p >> rest) return err("cpu list: \"" + part + "\" has trailing characters");
    if (a < 0 || b < a) return err("cpu list: \"" + part + "\" is not a range a-b with a <= b");
    if (have > 0 && b >= have) return err("cpu list: core " + std::to_string(b) + " does not exist (this machine has " +
                                          std::to_string(have) + ")");
    for (int c = a; c <= b; ++c) out.push_back(c);
  }
  if (out.empty()) return err("cpu list: empty");
  return out;
}

Status pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set); e != 0)
    return err("cannot pin a thread to core " + std::to_string(cpu) + ": error " + std::to_string(e));
  return {};
}

std::optional<int> pinned_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) return std::nullopt;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) return c;
  return std::nullopt;
}

WorkerPool::WorkerPool(size_t workers, std::vector<int> cpus) {
  threads_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) {
    const int cpu = cpus.empty() ? -1 : cpus[(1 + i) % cpus.size()];
    threads_.emplace_back([this, i, cpu] {
      if (cpu >= 0) (void)pin_this_thread(cpu);  // the caller checked the list; a refusal only costs speed
      work(i);
    });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  go_.notify_all();
  for (auto& t : threads_) t.join();
}

// Indices are handed out one at a time under the lock: a check costs ~45 us, the lock far less.
void WorkerPool::take_share(const std::function<void(size_t)>& fn, size_t n) {
  for (;;) {
    size_t i;
    {
      std::lock_guard l(mu_);
      if (next_ >= n) return;
      i = next_++;
    }
    fn(i);
  }
}

void WorkerPool::run(size_t n, const std::function<void(size_t)>& fn) {
  if (threads_.empty() || n <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  {
    std::lock_guard l(mu_);
    fn_ = &fn;
    n_ = n;
    next_ = 0;
    busy_ = threads_.size();
    ++round_;
  }
  go_.notify_all();
  take_share(fn, n);
  std::unique_lock l(mu_);
  done_.wait(l, [&] { return busy_ == 0; });
  fn_ = nullptr;
}

void WorkerPool::work(size_t) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(size_t)>* fn;
    size_t n;
    {
      std::unique_lock l(mu_);
      go_.wait(l, [&] { return stop_ || round_ != seen; });
      if (stop_) return;
      seen = round_;
      fn = fn_;
      n = n_;
    }
    take_share(*fn, n);
    {
      std::lock_guard l(mu_);
      --busy_;
    }
    done_.notify_one();
  }
}

}  // namespace rampart::broker
