#pragma once
// The client's end of the client channel (crypto/client_channel.hpp) over a stream of frames,
// without I/O: the caller sends hello_frame(), feeds the replica's first frame to on_hello()
// and sends what it returns, then seals requests and opens replies. Used by the client
// library, the bench's load generator and the tests that speak to a client port directly.
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/config.hpp"
#include "common/result.hpp"
#include "crypto/client_channel.hpp"

namespace rampart::client {

// An Ed25519 key in libsodium's form, as a Session takes it.
struct SigningKey {
  Bytes pk, sk;  // 32 and 64 bytes
  static SigningKey generate();
};
// An Ed25519 key file (crypto/keyfile.hpp): a relay's keys/relay-I.key, an admin's key.
Result<SigningKey> load_signing_key(const std::string& path);

class Session {
 public:
  // ed25519_pk / ed25519_sk: the key this connection is opened with (libsodium's 64-byte
  // secret key form); `replica` and its static channel key come from cluster.toml.
  Session(ByteView ed25519_pk, ByteView ed25519_sk, uint32_t replica, const crypto::ChannelPublicKey& replica_static);
  // The same, with the replica's key looked up in cfg (fails for an unknown replica).
  static Result<Session> to_replica(const ClusterConfig& cfg, uint32_t replica, ByteView ed25519_pk, ByteView ed25519_sk);

  Session(Session&&) = default;
  Session& operator=(Session&&) = default;

  // The client's hello as a frame (header included).
  Bytes hello_frame() const;
  // The replica's hello (a frame's payload): the key proof to send, as a frame.
  Result<Bytes> on_hello(ByteView frame);
  bool established() const { return channel_.has_value(); }
  // Appends `payload` sealed, as a frame, to out. Only once established.
  Status seal_frame(ByteView payload, Bytes& out);
  // Opens a received frame's payload. A failure means the connection is no good any more.
  Result<Bytes> open(ByteView frame);

 private:
  std::unique_ptr<crypto::ClientChannelInitiator> init_;
  uint32_t replica_;
  crypto::ChannelPublicKey static_;
  std::optional<crypto::Channel> channel_;
};

}  // namespace rampart::client
