#pragma once
// The encrypted, authenticated channel between a client (or a relay: gateway, broker, load
// generator) and one replica's client port. libsodium primitives only; docs/transport.md
// ("Client channel") has the protocol and its reasons.
//
//   client                                        replica
//   ClientHello: Ed25519 key C, ephemeral e_c  ->
//                                              <- ServerHello: replica id, ephemeral e_r
//   keys = KDF(DH(e_c, e_r) || DH(e_c, S_r), transcript of both hellos)
//   sealed: Ed25519 signature by C over the transcript hash  ->   (the connection is now C's)
//   sealed frames both ways
//
// The client knows the replica's static X25519 key S_r from cluster.toml, so only that replica
// can derive the keys: nobody else reads the requests or forges replies on the channel. The
// replica learns C only from the signature over this connection's transcript (fresh ephemerals
// on both sides), so a recorded handshake or a signature from another connection does not bind
// a connection to C: replies go only to connections the client's key opened.
#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/channel.hpp"

namespace rampart::crypto {

using ClientKey = std::array<uint8_t, 32>;  // an Ed25519 public key

// Wire (little-endian): magic u32 "RMCL" | version u8 | Ed25519 key [32] | ephemeral [32].
struct ClientHello {
  ClientKey key{};
  ChannelPublicKey ephemeral{};
};
// Wire: magic u32 "RMCS" | version u8 | replica id u32 | ephemeral [32].
struct ServerHello {
  uint32_t replica = 0;
  ChannelPublicKey ephemeral{};
};

constexpr uint32_t kClientHelloMagic = 0x4c434d52;  // "RMCL"
constexpr uint32_t kServerHelloMagic = 0x53434d52;  // "RMCS"
constexpr uint8_t kClientChannelVersion = 1;
constexpr size_t kClientHelloBytes = 4 + 1 + 32 + 32;
constexpr size_t kServerHelloBytes = 4 + 1 + 4 + 32;
// The largest plaintext handshake message (a listener's frame limit before the channel is up).
constexpr size_t kClientHandshakeMaxFrame = 128;

Bytes encode_client_hello(const ClientHello& h);
Bytes encode_server_hello(const ServerHello& h);
// Strict: exact length, right magic and version.
Result<ClientHello> decode_client_hello(ByteView b);
Result<ServerHello> decode_server_hello(ByteView b);

// The client's side of one connection. Creates a fresh ephemeral key pair (wiped with it).
class ClientChannelInitiator {
 public:
  // ed25519_sk: libsodium's 64-byte secret key; ed25519_pk its public key.
  ClientChannelInitiator(ByteView ed25519_pk, ByteView ed25519_sk);
  ~ClientChannelInitiator();
  ClientChannelInitiator(const ClientChannelInitiator&) = delete;
  ClientChannelInitiator& operator=(const ClientChannelInitiator&) = delete;

  const Bytes& hello() const { return hello_; }

  struct Established {
    Channel channel;
    Bytes auth;  // sealed on `channel`: send it as the first frame
  };
  // From the replica's hello, the id we dialed and the static key cluster.toml lists for it.
  Result<Established> finish(ByteView server_hello, uint32_t replica, const ChannelPublicKey& replica_static) const;

 private:
  Bytes sk_;
  std::array<uint8_t, 32> eph_sk_{};
  Bytes hello_;
};

// The replica's side of one connection.
class ClientChannelResponder {
 public:
  ClientChannelResponder(uint32_t self, const ChannelKeypair& statics);
  ~ClientChannelResponder();
  ClientChannelResponder(const ClientChannelResponder&) = delete;
  ClientChannelResponder& operator=(const ClientChannelResponder&) = delete;

  // From the client's hello: our hello to send back. The channel exists from here on.
  Result<Bytes> accept(ByteView client_hello);
  // Opens the client's first sealed message and checks its signature over this connection's
  // transcript: the client's key on success. Anything else means the connection must close.
  Result<ClientKey> authenticate(ByteView sealed_auth);
  // After accept(); moved out by the owner once authenticate() succeeded.
  Channel& channel() { return *channel_; }

 private:
  uint32_t self_;
  std::array<uint8_t, 32> static_sk_{};
  std::optional<Channel> channel_;
  TranscriptHash th_{};
  ClientKey claimed_{};
};

}  // namespace rampart::crypto
