#pragma once
// Authenticated, encrypted replica-to-replica channel (libsodium primitives, no hand-rolled
// ciphers). See docs/transport.md for the full protocol.
//
// Keys: every replica has a static X25519 key pair (crypto_kx key pairs). Every connection
// runs a handshake in which each side sends a Hello carrying a fresh ephemeral X25519 public
// key. Both sides then compute four Diffie-Hellman values (ephemeral-ephemeral,
// ephemeral-static, static-ephemeral, static-static, the Noise "KK" set) and hash them, keyed
// by a hash of both Hellos, into two session keys, one per direction. Consequences:
//  - only holders of the two configured static secrets can derive the keys (authentication);
//  - a replayed recorded connection fails, since the other side's ephemeral key is new;
//  - a stolen static key does not decrypt past sessions (the ephemerals are erased).
// After the Hellos each side sends a "confirm" message sealed under its new key: a peer is
// trusted only after its confirm message opens.
//
// Frames are sealed with ChaCha20-Poly1305 (IETF); the nonce is a per-direction counter that
// is never sent. The receiver expects exactly the next counter, so a dropped, replayed or
// reordered frame fails to open; after any failure the connection must be closed.
#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"
#include "common/result.hpp"

namespace rampart::crypto {

using ChannelNodeId = uint32_t;
using ChannelPublicKey = std::array<uint8_t, 32>;

// A static (long-term) X25519 key pair. The secret is wiped on destruction.
struct ChannelKeypair {
  ChannelPublicKey pk{};
  std::array<uint8_t, 32> sk{};

  static ChannelKeypair generate();
  // Deterministic from a 32-byte seed (key files, tests). Fails on a wrong seed length.
  static Result<ChannelKeypair> from_seed(ByteView seed);

  ChannelKeypair() = default;
  ChannelKeypair(const ChannelKeypair&) = default;
  ChannelKeypair& operator=(const ChannelKeypair&) = default;
  ~ChannelKeypair();
};

// One direction-keyed AEAD session. Move-only; keys are wiped on destruction.
class Channel {
 public:
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kKeyBytes = 32;
  using Key = std::array<uint8_t, kKeyBytes>;

  Channel(const Key& tx, const Key& rx);
  Channel(Channel&& o) noexcept;
  Channel& operator=(Channel&& o) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel();

  // Encrypts and authenticates the next outgoing message (ciphertext = plaintext + 16-byte
  // tag). Fails only if the 2^64 counter is exhausted.
  Result<Bytes> seal(ByteView plaintext);
  // Same, appending the ciphertext to `out` (lets the transport build frames in place).
  Status seal_into(ByteView plaintext, Bytes& out);
  // Authenticates and decrypts the next incoming message. On failure the receive counter is
  // not advanced, and the caller must treat the channel as dead.
  Result<Bytes> open(ByteView ciphertext);

  uint64_t sent() const { return tx_counter_; }
  uint64_t received() const { return rx_counter_; }

 private:
  void wipe();
  Key tx_{};
  Key rx_{};
  uint64_t tx_counter_ = 0;
  uint64_t rx_counter_ = 0;
};

enum class HandshakeRole : uint8_t { initiator = 0, responder = 1 };

// The handshake's only plaintext message. Wire (little-endian): magic u32 "RMPC" | version u8 |
// role u8 | node u32 | ephemeral public key [32].
struct Hello {
  HandshakeRole role = HandshakeRole::initiator;
  ChannelNodeId node = 0;
  ChannelPublicKey ephemeral{};
};

constexpr uint32_t kHelloMagic = 0x43504d52;  // "RMPC"
constexpr uint8_t kHelloVersion = 1;
constexpr size_t kHelloBytes = 4 + 1 + 1 + 4 + 32;

Bytes encode_hello(const Hello& h);
// Strict: exact length, right magic and version, a known role.
Result<Hello> decode_hello(ByteView b);

// The plaintext each side seals as its first message on the new channel.
ByteView confirm_plaintext();

// One side of one connection's handshake. Creates a fresh ephemeral key pair; the ephemeral
// secret is wiped on destruction.
class Handshake {
 public:
  Handshake(HandshakeRole role, ChannelNodeId self, const ChannelKeypair& statics);
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;
  ~Handshake();

  // Our Hello, to send first.
  const Bytes& hello() const { return hello_; }
  // Derives the session from the peer's Hello bytes and the static public key configured for
  // the node that Hello names (the caller looks it up and decides whether that node may
  // connect). Fails on a malformed Hello, a Hello with our own role, or a degenerate key.
  Result<Channel> finish(ByteView peer_hello, const ChannelPublicKey& peer_static) const;

 private:
  HandshakeRole role_;
  std::array<uint8_t, 32> static_sk_{};
  std::array<uint8_t, 32> eph_sk_{};
  ChannelPublicKey eph_pk_{};
  Bytes hello_;
};

// Key derivation shared by this handshake and the client one (crypto/client_channel.hpp): a
// BLAKE2b hash of a label and the two plaintext handshake messages (initiator's first) keys a
// BLAKE2b of the Diffie-Hellman outputs into one key per direction.
using TranscriptHash = std::array<uint8_t, 32>;
TranscriptHash transcript_hash(std::string_view label, ByteView first, ByteView second);
Channel derive_channel(ByteView ikm, const TranscriptHash& th, HandshakeRole role);

}  // namespace rampart::crypto
