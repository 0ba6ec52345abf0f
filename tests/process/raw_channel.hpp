#pragma once
// The client channel over a blocking socket, for process tests that speak to a replica's client
// port byte by byte (replays, retries, a Byzantine replica's proxy): connect, hello, key proof,
// then sealed frames.
#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "client/session.hpp"
#include "common/config.hpp"
#include "net/frame.hpp"

namespace rampart::test {

class RawChannel {
 public:
  // Opens a channel to replica `id` (as cfg lists it; `port` overrides its client port) with
  // `key`, from the loopback address `src`. Nothing on failure.
  static std::optional<RawChannel> open(const ClusterConfig& cfg, uint32_t id, const client::SigningKey& key,
                                        uint16_t port = 0, const std::string& src = "127.0.0.1");
  RawChannel(RawChannel&& o) noexcept;
  RawChannel& operator=(RawChannel&&) = delete;
  ~RawChannel();

  bool send(ByteView payload);
  // The next frame (records are opened and split), if one comes within `d`.
  std::optional<Bytes> recv(std::chrono::milliseconds d);
  int fd() const { return fd_; }

 private:
  RawChannel(int fd, client::Session s) : fd_(fd), session_(std::move(s)) {}
  int fd_ = -1;
  client::Session session_;
  std::deque<Bytes> ready_;  // frames of a record not yet returned
};

// The next frame's payload on a blocking socket (not opened), if one comes within `d`.
std::optional<Bytes> read_frame(int fd, std::chrono::milliseconds d, size_t max = (1u << 20) + 4 + 16);

}  // namespace rampart::test
