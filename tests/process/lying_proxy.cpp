#include "process/lying_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "app/wallet/op.hpp"
#include "client/wire.hpp"
#include "net/frame.hpp"

namespace rampart::test {

namespace {
int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t k = ::write(fd, p, n);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}
}  // namespace

LyingProxy::LyingProxy(uint16_t target) : target_(target) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("proxy: cannot listen");
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) conns_.emplace_back([this, fd] { serve(fd); });
    }
  });
}

LyingProxy::~LyingProxy() {
  stop_ = true;
  acceptor_.join();
  for (auto& t : conns_) t.join();
  ::close(listen_fd_);
}

void LyingProxy::serve(int cfd) {
  int rfd = connect_to(target_);
  if (rfd < 0) {
    ::close(cfd);
    return;
  }
  net::FrameDecoder dec(1u << 20);
  uint8_t buf[65536];
  while (!stop_) {
    pollfd p[2] = {{cfd, POLLIN, 0}, {rfd, POLLIN, 0}};
    if (::poll(p, 2, 100) <= 0) continue;
    if (p[0].revents) {  // requests pass through untouched
      ssize_t n = ::read(cfd, buf, sizeof buf);
      if (n <= 0 || !write_all(rfd, buf, static_cast<size_t>(n))) break;
    }
    if (p[1].revents) {
      ssize_t n = ::read(rfd, buf, sizeof buf);
      if (n <= 0) break;
      std::vector<Bytes> frames;
      if (!dec.feed(ByteView(buf, static_cast<size_t>(n)), frames)) break;
      for (auto& f : frames) {
        auto m = client::decode_message(f);
        if (m && m->tag == client::kTagReply) {
          auto r = app::wallet::decode_result(m->reply.result);
          if (r) {
            for (auto& e : r->entries) e.balance += 1000000;  // the lie
            m->reply.result = app::wallet::encode_result(*r);
            f = client::encode_reply(m->reply);
            lies_++;
          }
        }
        Bytes out = net::encode_frame(f);
        if (!write_all(cfd, out.data(), out.size())) break;
      }
    }
  }
  ::close(rfd);
  ::close(cfd);
}

}  // namespace rampart::test
