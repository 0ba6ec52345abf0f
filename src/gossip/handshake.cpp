#include "gossip/handshake.hpp"

#include <sodium.h>

#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "gossip/pow.hpp"

namespace rampart::gossip {
namespace {

enum : uint8_t { kFrameHello = 1, kFrameAuth = 2 };

Bytes binding_of(const Identity& id, const std::array<uint8_t, 32>& eph) {
  Bytes b(id.begin(), id.end());
  b.insert(b.end(), eph.begin(), eph.end());
  return b;
}

Bytes auth_message(Role signer, const Hash32& transcript) {
  Bytes m = to_bytes("rampart/gossip/auth/v1");
  m.push_back(static_cast<uint8_t>(signer));
  m.insert(m.end(), transcript.begin(), transcript.end());
  return m;
}

}  // namespace

Bytes encode_hello(const Hello& h) {
  Writer w;
  w.u8(kFrameHello);
  w.u32(kHelloMagic);
  w.u8(kHelloVersion);
  w.u8(static_cast<uint8_t>(h.role));
  w.u8(h.difficulty);
  w.fixed(h.challenge);
  w.fixed(h.ephemeral);
  w.str(h.address);
  w.bytes(h.public_key);
  return w.take();
}

Result<Hello> decode_hello(ByteView b) {
  Reader r(b);
  if (r.u8() != kFrameHello) return err("gossip handshake: expected HELLO");
  if (r.u32() != kHelloMagic) return err("gossip handshake: bad magic (not a gossip peer)");
  if (uint8_t v = r.u8(); v != kHelloVersion) return err("gossip handshake: unsupported version " + std::to_string(v));
  Hello h;
  uint8_t role = r.u8();
  if (role > 1) r.fail("unknown role");
  h.role = static_cast<Role>(role);
  h.difficulty = r.u8();
  if (h.difficulty > kMaxPowDifficulty) r.fail("difficulty above 32");
  h.challenge = r.fixed<32>();
  h.ephemeral = r.fixed<32>();
  h.address = r.str(kMaxAddressBytes);
  h.public_key = r.bytes(kMaxPublicKeyBytes);
  if (auto st = r.finish(); !st) return err("gossip handshake: malformed HELLO: " + st.error().message);
  return h;
}

Bytes encode_auth(const Auth& a) {
  Writer w;
  w.u8(kFrameAuth);
  w.u64(a.nonce);
  w.bytes(a.signature);
  return w.take();
}

Result<Auth> decode_auth(ByteView b) {
  Reader r(b);
  if (r.u8() != kFrameAuth) return err("gossip handshake: expected AUTH");
  Auth a;
  a.nonce = r.u64();
  a.signature = r.bytes(kMaxSignatureBytes);
  if (auto st = r.finish(); !st) return err("gossip handshake: malformed AUTH: " + st.error().message);
  return a;
}

Handshake::Handshake(HandshakeParams p) : p_(std::move(p)) {
  mine_.role = p_.role;
  mine_.difficulty = static_cast<uint8_t>(std::min(p_.difficulty, kMaxPowDifficulty));
  randombytes_buf(mine_.challenge.data(), mine_.challenge.size());
  crypto_kx_keypair(mine_.ephemeral.data(), eph_sk_.data());
  mine_.address = p_.address;
  mine_.public_key = p_.key->public_der();
  self_ = identity_of(mine_.public_key, mine_.address);
  my_hello_bytes_ = encode_hello(mine_);
  state_ = State::wait_hello;
}

Handshake::~Handshake() {
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
  sodium_memzero(tx_.data(), tx_.size());
  sodium_memzero(rx_.data(), rx_.size());
}

Bytes Handshake::start() { return p_.role == Role::dialer ? my_hello_bytes_ : Bytes{}; }

Hash32 Handshake::transcript() const {
  const Bytes& d = p_.role == Role::dialer ? my_hello_bytes_ : peer_hello_bytes_;
  const Bytes& a = p_.role == Role::dialer ? peer_hello_bytes_ : my_hello_bytes_;
  Writer w;
  w.bytes(d);
  w.bytes(a);
  return crypto::blake3::Hasher::derive_key("rampart/gossip/transcript/v1").update(w.data()).finalize();
}

Result<Bytes> Handshake::make_auth(const Hello& peer_hello) {
  if (peer_hello.difficulty > p_.max_difficulty)
    return err("gossip handshake: peer demands " + std::to_string(peer_hello.difficulty) +
               " bits of work, we pay at most " + std::to_string(p_.max_difficulty));
  auto nonce = pow_solve(peer_hello.challenge, binding_of(self_, mine_.ephemeral), peer_hello.difficulty);
  if (!nonce) return err("gossip handshake: no proof of work found");
  auto sig = p_.key->sign(auth_message(p_.role, transcript()));
  if (!sig) return sig.error();
  return encode_auth(Auth{*nonce, std::move(*sig)});
}

Status Handshake::check_auth(const Auth& a) {
  Bytes binding = binding_of(peer_.id, theirs_.ephemeral);
  if (!pow_check(mine_.challenge, binding, a.nonce, mine_.difficulty)) {
    pow_failed_ = true;
    return err("gossip handshake: peer failed the proof of work (" + std::to_string(mine_.difficulty) + " bits)");
  }
  if (auto st = verify_signature(peer_.public_key, auth_message(theirs_.role, transcript()), a.signature); !st)
    return err("gossip handshake: peer's signature: " + st.error().message);
  return {};
}

Status Handshake::derive_keys() {
  int rc = p_.role == Role::dialer
               ? crypto_kx_client_session_keys(rx_.data(), tx_.data(), mine_.ephemeral.data(), eph_sk_.data(),
                                               theirs_.ephemeral.data())
               : crypto_kx_server_session_keys(rx_.data(), tx_.data(), mine_.ephemeral.data(), eph_sk_.data(),
                                               theirs_.ephemeral.data());
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
  if (rc != 0) return err("gossip handshake: degenerate ephemeral key");
  return {};
}

Result<std::vector<Bytes>> Handshake::on_frame(ByteView frame) {
  if (state_ == State::failed) return err("gossip handshake already failed");
  auto r = step(frame);
  if (!r) state_ = State::failed;
  return r;
}

Result<std::vector<Bytes>> Handshake::step(ByteView frame) {
  std::vector<Bytes> out;
  if (frame.size() > kMaxHandshakeFrame) return err("gossip handshake: frame too large");
  switch (state_) {
    case State::wait_hello: {
      auto h = decode_hello(frame);
      if (!h) return h.error();
      Role want = p_.role == Role::dialer ? Role::acceptor : Role::dialer;
      if (h->role != want) return err("gossip handshake: peer claims our own role");
      theirs_ = std::move(*h);
      peer_hello_bytes_.assign(frame.begin(), frame.end());
      peer_.address = theirs_.address;
      peer_.public_key = theirs_.public_key;
      peer_.id = identity_of(peer_.public_key, peer_.address);
      if (peer_.id == self_) return err("gossip handshake: connected to ourselves");
      if (p_.role == Role::acceptor) {
        out.push_back(my_hello_bytes_);
      } else {
        auto a = make_auth(theirs_);
        if (!a) return a.error();
        out.push_back(std::move(*a));
      }
      state_ = State::wait_auth;
      return out;
    }
    case State::wait_auth: {
      auto a = decode_auth(frame);
      if (!a) return a.error();
      RAMPART_TRY(check_auth(*a));
      if (p_.role == Role::acceptor) {
        auto mine = make_auth(theirs_);
        if (!mine) return mine.error();
        out.push_back(std::move(*mine));
      }
      RAMPART_TRY(derive_keys());
      state_ = State::done;
      return out;
    }
    default:
      return err("gossip handshake: unexpected frame");
  }
}

crypto::Channel Handshake::take_channel() { return crypto::Channel(tx_, rx_); }

}  // namespace rampart::gossip
