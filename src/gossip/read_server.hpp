#pragma once
// An observer's read endpoint (`rampart observer --serve HOST:PORT`): clients send framed read
// requests (client/wallet_read.hpp) and get ObservedState's answer, a proof they check
// themselves. A read asking for a height the observer has not reached waits (up to max_wait,
// then the answer is "behind") until advanced() says the state moved on: a client that has just
// seen its transfer executed can ask for that block and get it once it has spread here.
//
// Limits, since anyone may connect: connections, a request frame of 1 KiB, requests queued per
// connection, reads waiting at once; exceeding one, or sending a request that does not decode,
// closes that connection and nothing else. Everything runs on the io_context thread.
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "gossip/config.hpp"
#include "gossip/observed_state.hpp"

namespace rampart::gossip {

struct ReadServerOptions {
  size_t max_connections = 256;
  size_t max_queued = 16;     // requests of one connection not answered yet
  size_t max_waiting = 1024;  // reads waiting for a height, all connections
  std::chrono::milliseconds max_wait{5000};
  // Tests only: rewrites each answer before it is sent (a Byzantine replica's lying read port,
  // node/misbehave.hpp). Clients must refuse whatever it makes.
  std::function<void(client::ReadResponse&)> rewrite;
};

struct ReadServerStats {
  uint64_t answered = 0;  // proofs sent
  uint64_t behind = 0;    // "behind" answers (waited max_wait, or too many waiting)
  uint64_t refused = 0;   // "refused" answers
  uint64_t malformed = 0; // connections closed for a bad request or a limit
};

class ReadServer {
 public:
  ReadServer(asio::io_context& io, const ObservedState& state, ReadServerOptions opt = {});
  ~ReadServer();
  ReadServer(const ReadServer&) = delete;
  ReadServer& operator=(const ReadServer&) = delete;

  // Binds and accepts; the bound port (port 0: ephemeral).
  Result<uint16_t> listen(const Address& a);
  // The state executed another block: answer the reads now satisfied.
  void advanced();
  void stop();
  const ReadServerStats& stats() const;
  size_t connections() const;
  size_t waiting() const;  // reads waiting for a height now

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::gossip
