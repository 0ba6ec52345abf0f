#include "node/background.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace rampart::node {

Background::Background(int nice, std::function<void(std::function<void()>)> post)
    : post_(std::move(post)), thread_([this, nice] { loop(nice); }) {}

Background::~Background() { stop(); }

void Background::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Background::run(std::function<bool()> work, std::function<void(bool)> done) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    jobs_.emplace_back(std::move(work), std::move(done));
  }
  cv_.notify_one();
}

void Background::loop(int nice) {
  // Linux keeps a nice value per thread: this lowers this thread's alone.
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), nice) != 0)
    spdlog::warn("event=background_nice_failed nice={}", nice);
  while (true) {
    std::function<bool()> work;
    std::function<void(bool)> done;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      work = std::move(jobs_.front().first);
      done = std::move(jobs_.front().second);
      jobs_.pop_front();
    }
    const bool ok = work();
    post_([done = std::move(done), ok] { done(ok); });
  }
}

}  // namespace rampart::node
