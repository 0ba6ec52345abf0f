#include "cli/bench_local.hpp"

#include <unistd.h>

#include <asio.hpp>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

namespace rampart::cli::bench {

pid_t spawn_self(const std::filesystem::path& log, std::vector<std::string> args) {
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe");
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (FILE* f = std::fopen(log.c_str(), "a")) {
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
  }
  std::vector<char*> argv{const_cast<char*>(exe.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(exe.c_str(), argv.data());
  ::_exit(127);
}

uint16_t free_base_port(uint32_t n) {
  auto free = [](uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::acceptor acc(io);
    asio::error_code ec;
    acc.open(asio::ip::tcp::v4(), ec);
    if (!ec) acc.bind({asio::ip::address_v4::loopback(), port}, ec);
    return !ec;
  };
  std::mt19937 rng(static_cast<uint32_t>(::getpid()) ^ static_cast<uint32_t>(std::random_device{}()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<uint16_t>(20000 + (rng() % 120) * 100);
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; ++i)
      ok = free(static_cast<uint16_t>(base + i)) && free(static_cast<uint16_t>(base + 100 + i)) &&
           free(static_cast<uint16_t>(base + 200 + i));
    if (ok) return base;
  }
  return 20000;
}

double process_cpu_seconds(pid_t pid) {
  FILE* f = std::fopen(pid == 0 ? "/proc/self/stat" : ("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char buf[4096];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');  // the command name may contain spaces
  unsigned long long ut = 0, st = 0;
  // Fields after the name: state(3) ... utime(14) stime(15).
  if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return 0;
  return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace rampart::cli::bench
