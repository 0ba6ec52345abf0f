#pragma once
// Raw sockets for the hostile process tests: many connections from chosen loopback source
// addresses, half-sent requests, and a look at a replica process's memory and CPU.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/bytes.hpp"

namespace rampart::test {

// A blocking TCP connection to 127.0.0.1:port from the loopback address `src` (any 127.x.y.z
// works on Linux); -1 on failure.
int tcp_connect(const std::string& src, uint16_t port);
// Sends all of `data` (MSG_NOSIGNAL, 10 s send timeout); false once the other side is gone.
bool send_all(int fd, ByteView data);
// True if the other side closes the connection (EOF or reset) within `d`; data is discarded.
bool closed_by_peer(int fd, std::chrono::milliseconds d);
void close_all(std::vector<int>& fds);

// From /proc: resident set size in bytes, and CPU time (user + system) in seconds.
long process_rss_bytes(pid_t pid);
double process_cpu_seconds(pid_t pid);
size_t process_open_fds(pid_t pid);

}  // namespace rampart::test
