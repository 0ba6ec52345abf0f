#pragma once
// The P2P handshake (docs/gossip.md, "Handshake"), sans-IO: frames in, frames out.
//
//   dialer -> acceptor   HELLO  role, difficulty demanded, challenge, ephemeral X25519 key,
//                               P2P address, host public key (DER)
//   acceptor -> dialer   HELLO  (the same fields)
//   dialer -> acceptor   AUTH   proof of work on the acceptor's challenge, signature
//   acceptor -> dialer   AUTH   proof of work on the dialer's challenge, signature
//
// Each side proves work on the other's fresh challenge (pow.hpp), bound to its own identity and
// ephemeral key, and signs "rampart/gossip/auth/v1" | role | transcript hash of both HELLOs with
// its host key. The acceptor checks the dialer's work before doing any of its own, so a caller
// that cannot pay is refused before it costs the acceptor a proof. Session keys come from the
// ephemeral keys (libsodium crypto_kx); the signatures bind them to the two host keys. After
// the handshake every frame is sealed with crypto::Channel (ChaCha20-Poly1305, counter nonces).
// Wire: little-endian, as every Rampart protocol except the VoidPhone API.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/channel.hpp"
#include "gossip/hostkey.hpp"
#include "gossip/identity.hpp"

namespace rampart::gossip {

enum class Role : uint8_t { dialer = 0, acceptor = 1 };

inline constexpr uint32_t kHelloMagic = 0x50534752;  // "RGSP"
inline constexpr uint8_t kHelloVersion = 1;
inline constexpr size_t kMaxAddressBytes = 262;      // "[" + 255 + "]:" + port
// Every handshake frame fits this (an RSA-8192 key and signature included).
inline constexpr size_t kMaxHandshakeFrame = 4096;

struct Hello {
  Role role = Role::dialer;
  uint8_t difficulty = 0;  // leading zero bits the sender demands of the receiver's work
  Hash32 challenge{};
  std::array<uint8_t, 32> ephemeral{};
  std::string address;     // the sender's P2P address
  Bytes public_key;        // the sender's host key, DER SubjectPublicKeyInfo
  bool operator==(const Hello&) const = default;
};
struct Auth {
  uint64_t nonce = 0;
  Bytes signature;
  bool operator==(const Auth&) const = default;
};

Bytes encode_hello(const Hello& h);
// Strict: magic, version, a known role, difficulty <= 32, bounded address and key, no trailing bytes.
Result<Hello> decode_hello(ByteView b);
Bytes encode_auth(const Auth& a);
Result<Auth> decode_auth(ByteView b);

struct PeerInfo {
  Identity id{};
  std::string address;
  Bytes public_key;
};

struct HandshakeParams {
  Role role = Role::dialer;
  std::shared_ptr<const HostKey> key;
  std::string address;            // ours, as peers should dial it
  unsigned difficulty = 16;       // what we demand
  unsigned max_difficulty = 24;   // the most we pay for a peer
};

class Handshake {
 public:
  explicit Handshake(HandshakeParams p);
  ~Handshake();
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // The dialer's first frame; empty for the acceptor.
  Bytes start();
  // One received handshake frame; returns the frames to send (possibly none). After an error
  // the handshake is failed and the connection must be closed.
  Result<std::vector<Bytes>> on_frame(ByteView frame);
  bool done() const { return state_ == State::done; }
  // The peer failed the proof of work (for counters and tests).
  bool pow_failed() const { return pow_failed_; }
  // Valid once the peer's HELLO has been read (identity checked only when done()).
  const PeerInfo& peer() const { return peer_; }
  const Identity& self() const { return self_; }
  // After done(): the session, once.
  crypto::Channel take_channel();

 private:
  enum class State { start, wait_hello, wait_auth, done, failed };
  Result<std::vector<Bytes>> step(ByteView frame);
  Hash32 transcript() const;
  Result<Bytes> make_auth(const Hello& peer_hello);
  Status check_auth(const Auth& a);
  Status derive_keys();

  HandshakeParams p_;
  State state_ = State::start;
  Identity self_{};
  Bytes my_hello_bytes_, peer_hello_bytes_;
  Hello mine_, theirs_;
  std::array<uint8_t, 32> eph_sk_{};
  PeerInfo peer_;
  bool pow_failed_ = false;
  crypto::Channel::Key tx_{}, rx_{};
};

}  // namespace rampart::gossip
