#include "process/lying_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "app/wallet/op.hpp"
#include "replica/client_wire.hpp"
#include "crypto/client_channel.hpp"
#include "keys/keygen.hpp"
#include "keys/secrets.hpp"
#include "net/frame.hpp"
#include "process/raw_channel.hpp"

namespace rampart::test {

namespace {
bool write_all(int fd, ByteView b) {
  const uint8_t* p = b.data();
  size_t n = b.size();
  while (n > 0) {
    ssize_t k = ::write(fd, p, n);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

// Inflates every balance in a wallet reply; other frames pass as they are.
Bytes lie(Bytes frame, std::atomic<uint64_t>& lies) {
  auto m = client::decode_message(frame);
  if (!m || m->tag != client::kTagReply) return frame;
  auto r = app::wallet::decode_result(m->reply.result);
  if (!r) return frame;
  for (auto& e : r->entries) e.balance += 1000000;  // the lie
  m->reply.result = app::wallet::encode_result(*r);
  lies++;
  return client::encode_reply(m->reply);
}
}  // namespace

LyingProxy::LyingProxy(const ClusterConfig& cfg, const std::filesystem::path& dir, uint32_t replica)
    : cfg_(cfg), replica_(replica) {
  auto secrets = keys::load_secrets(dir / cfg.replica(replica)->key_file);
  auto relay = client::load_signing_key((dir / keys::relay_key_file(0)).string());
  if (!secrets || !relay) throw std::runtime_error("proxy: cannot load the replica's or the relay's key");
  std::copy(secrets->x25519_secret.begin(), secrets->x25519_secret.end(), keys_.sk.begin());
  std::copy(cfg.replica(replica)->x25519_public.begin(), cfg.replica(replica)->x25519_public.end(), keys_.pk.begin());
  relay_ = std::move(*relay);
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

// The client's channel ends here (we hold the replica's key); a relay channel goes on to the
// replica. Frames are passed one at a time, each opened on one channel and sealed on the other.
void LyingProxy::serve(int cfd) {
  crypto::ClientChannelResponder hs(replica_, keys_);
  auto hello = read_frame(cfd, std::chrono::seconds(10), crypto::kClientHandshakeMaxFrame);
  auto answer = hello ? hs.accept(*hello) : Result<Bytes>(err("no hello"));
  auto auth = answer && write_all(cfd, net::encode_frame(*answer)) ? read_frame(cfd, std::chrono::seconds(10)) : std::nullopt;
  auto up = auth && hs.authenticate(*auth) ? RawChannel::open(cfg_, replica_, relay_) : std::nullopt;
  if (!up) {
    ::close(cfd);
    return;
  }
  crypto::Channel& down = hs.channel();
  while (!stop_) {
    pollfd p[2] = {{cfd, POLLIN, 0}, {up->fd(), POLLIN, 0}};
    if (::poll(p, 2, 100) <= 0) continue;
    if (p[0].revents) {  // requests pass through untouched (each record holds whole frames)
      auto f = read_frame(cfd, std::chrono::seconds(10));
      auto record = f ? down.open(*f) : Result<Bytes>(err("gone"));
      bool sent = true;
      const bool ok = record.ok() &&
                      net::for_each_frame(*record, 1u << 20, [&](ByteView req) { return sent = up->send(req); }).ok();
      if (!ok || !sent) break;
    }
    if (p[1].revents) {
      auto reply = up->recv(std::chrono::seconds(10));
      if (!reply) break;
      auto sealed = down.seal(net::encode_frame(lie(std::move(*reply), lies_)));  // a record of one frame
      if (!sealed || !write_all(cfd, net::encode_frame(*sealed))) break;
    }
  }
  ::close(cfd);
}

}  // namespace rampart::test
