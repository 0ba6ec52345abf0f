#pragma once
// The client's end of the client channel (crypto/client_channel.hpp) over a stream of frames,
// without I/O: the caller sends hello_frame(), feeds the replica's first frame to on_hello()
// and sends what it returns, then seals requests and opens replies. After the handshake every
// sealed message is a record: one or more whole frames end to end (docs/transport.md). Used by the client
// library, the bench's load generator and the tests that speak to a client port directly.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.hpp"
#include "common/config.hpp"
#include "common/result.hpp"
#include "crypto/client_channel.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::client {

// An Ed25519 key in libsodium's form, as a Session takes it.
struct SigningKey {
  Bytes pk, sk;  // 32 and 64 bytes
  static SigningKey generate();
  static SigningKey of(const crypto::ed25519::KeyPair& kp);  // the same key, libsodium's form
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
  // Appends a record holding `payload` as its one frame to out. Only once established.
  Status seal_frame(ByteView payload, Bytes& out);
  // Appends a record holding `frames` (whole frames end to end, net::append_frame) to out.
  Status seal_frames(ByteView frames, Bytes& out);
  // Opens a received record and hands each frame in it to on_frame (valid during the call). A
  // failure means the connection is no good any more.
  Status open(ByteView record, const std::function<void(ByteView)>& on_frame);

  static constexpr size_t kMaxFrame = 1u << 20;  // a replica's client frame limit

 private:
  std::unique_ptr<crypto::ClientChannelInitiator> init_;
  uint32_t replica_;
  crypto::ChannelPublicKey static_;
  std::optional<crypto::Channel> channel_;
};

}  // namespace rampart::client
