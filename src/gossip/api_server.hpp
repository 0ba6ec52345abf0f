#pragma once
// The module's API listener: local modules connect over TCP and speak the VoidPhone messages
// (api_message.hpp). This class only moves bytes: it splits the stream into whole messages and
// hands them on; what they mean is the Engine's. A stream that cannot be split (a size field
// below 4) is reported as malformed; a connection whose unsent messages exceed max_send_bytes
// (a subscriber that stopped reading) is closed. Handlers run on the io_context thread;
// on_closed is always posted, never called from inside send() or close().
#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "gossip/config.hpp"
#include "gossip/engine.hpp"

namespace rampart::gossip {

struct ApiServerOptions {
  size_t max_connections = 1024;
  size_t max_send_bytes = 16u << 20;
};

class ApiServer {
 public:
  struct Handlers {
    std::function<void(ConnId)> on_open;
    std::function<void(ConnId, ByteView message)> on_message;
    std::function<void(ConnId, const std::string& why)> on_malformed;
    std::function<void(ConnId)> on_closed;
  };
  ApiServer(asio::io_context& io, Handlers h, ApiServerOptions opt = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and accepts; returns the bound port (port 0: ephemeral).
  Result<uint16_t> listen(const Address& a);
  // Queues one message; false (and the connection is closed) if its buffer would overflow.
  bool send(ConnId c, ByteView message);
  void close(ConnId c, const std::string& why);
  void stop();
  size_t connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::gossip
