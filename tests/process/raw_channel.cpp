#include "process/raw_channel.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process/raw_net.hpp"

namespace rampart::test {

namespace {
bool read_exact(int fd, uint8_t* out, size_t n, std::chrono::steady_clock::time_point until) {
  size_t got = 0;
  while (got < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}
}  // namespace

std::optional<Bytes> read_frame(int fd, std::chrono::milliseconds d, size_t max) {
  const auto until = std::chrono::steady_clock::now() + d;
  uint8_t h[4];
  if (!read_exact(fd, h, 4, until)) return std::nullopt;
  const uint32_t len = uint32_t{h[0]} | uint32_t{h[1]} << 8 | uint32_t{h[2]} << 16 | uint32_t{h[3]} << 24;
  if (len > max) return std::nullopt;
  Bytes b(len);
  if (!read_exact(fd, b.data(), len, until)) return std::nullopt;
  return b;
}

std::optional<RawChannel> RawChannel::open(const ClusterConfig& cfg, uint32_t id, const client::SigningKey& key,
                                           uint16_t port, const std::string& src) {
  auto s = client::Session::to_replica(cfg, id, key.pk, key.sk);
  if (!s) return std::nullopt;
  int fd = tcp_connect(src, port ? port : cfg.replica(id)->client_port);
  if (fd < 0) return std::nullopt;
  RawChannel ch(fd, std::move(*s));
  if (!send_all(fd, ch.session_.hello_frame())) return std::nullopt;
  auto hello = read_frame(fd, std::chrono::seconds(10));
  if (!hello) return std::nullopt;
  auto auth = ch.session_.on_hello(*hello);
  if (!auth || !send_all(fd, *auth)) return std::nullopt;
  return ch;
}

RawChannel::RawChannel(RawChannel&& o) noexcept
    : fd_(o.fd_), session_(std::move(o.session_)), ready_(std::move(o.ready_)) {
  o.fd_ = -1;
}

RawChannel::~RawChannel() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawChannel::send(ByteView payload) {
  Bytes out;
  if (!session_.seal_frame(payload, out)) return false;
  return send_all(fd_, out);
}

std::optional<Bytes> RawChannel::recv(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (ready_.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto f = read_frame(fd_, left);
    if (!f || !session_.open(*f, [&](ByteView m) { ready_.emplace_back(m.begin(), m.end()); })) return std::nullopt;
  }
  Bytes m = std::move(ready_.front());
  ready_.pop_front();
  return m;
}

}  // namespace rampart::test
