#include "net/udp_batch.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rampart::net {

UdpBatch::UdpBatch(asio::io_context& io, size_t max_batch, size_t max_datagram)
    : socket_(io), max_batch_(std::max<size_t>(1, max_batch)), max_datagram_(max_datagram),
      arena_(max_batch_ * (max_datagram + 1)) {}

Result<uint16_t> UdpBatch::bind(const std::string& host, uint16_t port) {
  asio::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return err("bad UDP address " + host + ": " + ec.message());
  asio::ip::udp::endpoint ep(addr, port);
  socket_.open(ep.protocol(), ec);
  if (!ec) socket_.bind(ep, ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) {
    asio::error_code ignored;
    socket_.close(ignored);
    return err("cannot bind UDP " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  return socket_.local_endpoint().port();
}

size_t UdpBatch::recv_batch(std::vector<Datagram>& out) {
  if (!socket_.is_open()) return 0;
  const size_t slot = max_datagram_ + 1;
  std::vector<mmsghdr> msgs(max_batch_);
  std::vector<iovec> iovs(max_batch_);
  std::vector<sockaddr_storage> addrs(max_batch_);
  for (size_t i = 0; i < max_batch_; ++i) {
    iovs[i] = {arena_.data() + i * slot, slot};
    std::memset(&msgs[i], 0, sizeof(mmsghdr));
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  int n = ::recvmmsg(socket_.native_handle(), msgs.data(), static_cast<unsigned>(max_batch_), MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  size_t appended = 0;
  for (int i = 0; i < n; ++i) {
    size_t len = msgs[i].msg_len;
    if (len > max_datagram_ || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
      ++counters_.truncated;
      continue;
    }
    Datagram d;
    // sockaddr_storage to asio endpoint: asio's endpoint has the same layout as sockaddr.
    std::memcpy(d.peer.data(), &addrs[i], std::min<size_t>(msgs[i].msg_hdr.msg_namelen, d.peer.capacity()));
    d.peer.resize(msgs[i].msg_hdr.msg_namelen);
    const uint8_t* p = arena_.data() + i * slot;
    d.data.assign(p, p + len);
    counters_.bytes_in += len;
    ++counters_.datagrams_in;
    out.push_back(std::move(d));
    ++appended;
  }
  return appended;
}

size_t UdpBatch::send_batch(std::span<const Datagram> batch) {
  if (!socket_.is_open()) return 0;
  size_t sent = 0;
  size_t pos = 0;
  std::vector<mmsghdr> msgs(max_batch_);
  std::vector<iovec> iovs(max_batch_);
  while (pos < batch.size()) {
    size_t k = std::min(max_batch_, batch.size() - pos);
    for (size_t i = 0; i < k; ++i) {
      const Datagram& d = batch[pos + i];
      iovs[i] = {const_cast<uint8_t*>(d.data.data()), d.data.size()};
      std::memset(&msgs[i], 0, sizeof(mmsghdr));
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr*>(d.peer.data());
      msgs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(d.peer.size());
    }
    int n = ::sendmmsg(socket_.native_handle(), msgs.data(), static_cast<unsigned>(k), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      // The first datagram of this call was refused (e.g. too big, unreachable): skip it.
      ++counters_.send_errors;
      ++pos;
      continue;
    }
    for (int i = 0; i < n; ++i) {
      counters_.bytes_out += batch[pos + i].data.size();
      ++counters_.datagrams_out;
    }
    sent += static_cast<size_t>(n);
    pos += static_cast<size_t>(n);
  }
  return sent;
}

void UdpBatch::async_wait_readable(std::function<void(const asio::error_code&)> cb) {
  socket_.async_wait(asio::socket_base::wait_read, std::move(cb));
}

void UdpBatch::close() {
  asio::error_code ignored;
  socket_.close(ignored);
}

}  // namespace rampart::net
