#include "crypto/channel.hpp"

#include <sodium.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "common/codec.hpp"

namespace rampart::crypto {

namespace {

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; it returns 1 when already initialised.
  static const int rc = sodium_init();
  (void)rc;
}

constexpr std::string_view kKdfLabel = "rampart-channel-v1";
constexpr std::string_view kConfirm = "rampart-channel-confirm-v1";

// 12-byte IETF nonce: 4 zero bytes, then the 64-bit counter little-endian.
std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> nonce_for(uint64_t counter) {
  std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> n{};
  for (int i = 0; i < 8; ++i) n[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
  return n;
}

}  // namespace

static_assert(crypto_aead_chacha20poly1305_IETF_ABYTES == Channel::kTagBytes);
static_assert(crypto_aead_chacha20poly1305_IETF_KEYBYTES == Channel::kKeyBytes);
static_assert(crypto_kx_PUBLICKEYBYTES == 32 && crypto_kx_SECRETKEYBYTES == 32);
static_assert(crypto_scalarmult_BYTES == 32);

// ---- static keys -------------------------------------------------------------------------

ChannelKeypair ChannelKeypair::generate() {
  ensure_sodium();
  ChannelKeypair k;
  crypto_kx_keypair(k.pk.data(), k.sk.data());
  return k;
}

Result<ChannelKeypair> ChannelKeypair::from_seed(ByteView seed) {
  ensure_sodium();
  if (seed.size() != crypto_kx_SEEDBYTES) return err("channel key seed must be 32 bytes");
  ChannelKeypair k;
  crypto_kx_seed_keypair(k.pk.data(), k.sk.data(), seed.data());
  return k;
}

ChannelKeypair::~ChannelKeypair() { sodium_memzero(sk.data(), sk.size()); }

// ---- channel -----------------------------------------------------------------------------

Channel::Channel(const Key& tx, const Key& rx) : tx_(tx), rx_(rx) { ensure_sodium(); }

Channel::Channel(Channel&& o) noexcept
    : tx_(o.tx_), rx_(o.rx_), tx_counter_(o.tx_counter_), rx_counter_(o.rx_counter_) {
  o.wipe();
}

Channel& Channel::operator=(Channel&& o) noexcept {
  if (this != &o) {
    tx_ = o.tx_;
    rx_ = o.rx_;
    tx_counter_ = o.tx_counter_;
    rx_counter_ = o.rx_counter_;
    o.wipe();
  }
  return *this;
}

Channel::~Channel() { wipe(); }

void Channel::wipe() {
  sodium_memzero(tx_.data(), tx_.size());
  sodium_memzero(rx_.data(), rx_.size());
  // A moved-from or destroyed channel can never be used to seal under a reused nonce.
  tx_counter_ = UINT64_MAX;
  rx_counter_ = UINT64_MAX;
}

Status Channel::seal_into(ByteView plaintext, Bytes& out) {
  if (tx_counter_ == UINT64_MAX) return err("channel send counter exhausted");
  auto nonce = nonce_for(tx_counter_);
  size_t at = out.size();
  out.resize(at + plaintext.size() + kTagBytes);
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data() + at, &clen, plaintext.data(),
                                            plaintext.size(), nullptr, 0, nullptr, nonce.data(),
                                            tx_.data());
  ++tx_counter_;
  return {};
}

Result<Bytes> Channel::seal(ByteView plaintext) {
  Bytes out;
  out.reserve(plaintext.size() + kTagBytes);
  RAMPART_TRY(seal_into(plaintext, out));
  return out;
}

Result<Bytes> Channel::open(ByteView ciphertext) {
  if (ciphertext.size() < kTagBytes) return err("sealed message shorter than its tag");
  if (rx_counter_ == UINT64_MAX) return err("channel receive counter exhausted");
  auto nonce = nonce_for(rx_counter_);
  Bytes out(ciphertext.size() - kTagBytes);
  unsigned long long mlen = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &mlen, nullptr, ciphertext.data(),
                                                ciphertext.size(), nullptr, 0, nonce.data(),
                                                rx_.data()) != 0) {
    return err("channel authentication failed");
  }
  ++rx_counter_;
  return out;
}

// ---- hello -------------------------------------------------------------------------------

Bytes encode_hello(const Hello& h) {
  Writer w;
  w.u32(kHelloMagic);
  w.u8(kHelloVersion);
  w.u8(static_cast<uint8_t>(h.role));
  w.u32(h.node);
  w.fixed(h.ephemeral);
  return w.take();
}

Result<Hello> decode_hello(ByteView b) {
  Reader r(b);
  uint32_t magic = r.u32();
  uint8_t version = r.u8();
  uint8_t role = r.u8();
  Hello h;
  h.node = r.u32();
  h.ephemeral = r.fixed<32>();
  if (!r.failed() && magic != kHelloMagic) r.fail("bad hello magic");
  if (!r.failed() && version != kHelloVersion) r.fail("unsupported hello version");
  if (!r.failed() && role > 1) r.fail("bad hello role");
  auto st = r.finish();
  if (!st) return st.error();
  h.role = static_cast<HandshakeRole>(role);
  return h;
}

ByteView confirm_plaintext() { return as_bytes(kConfirm); }

// ---- handshake ---------------------------------------------------------------------------

Handshake::Handshake(HandshakeRole role, ChannelNodeId self, const ChannelKeypair& statics)
    : role_(role), static_sk_(statics.sk) {
  ensure_sodium();
  crypto_kx_keypair(eph_pk_.data(), eph_sk_.data());
  hello_ = encode_hello(Hello{role, self, eph_pk_});
}

Handshake::~Handshake() {
  sodium_memzero(static_sk_.data(), static_sk_.size());
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
}

Result<Channel> Handshake::finish(ByteView peer_hello, const ChannelPublicKey& peer_static) const {
  auto ph = decode_hello(peer_hello);
  if (!ph) return ph.error();
  if (ph->role == role_) return err("peer hello has our own role");

  // Four DH values in initiator order: ee, e_i·S_r, s_i·E_r, ss. Each side computes the same
  // values with its own secrets; crypto_scalarmult fails on low-order (all-zero) results.
  std::array<uint8_t, 4 * 32> ikm{};
  auto dh = [&](size_t slot, const std::array<uint8_t, 32>& sk, const ChannelPublicKey& pk) {
    return crypto_scalarmult(ikm.data() + 32 * slot, sk.data(), pk.data()) == 0;
  };
  bool ok;
  if (role_ == HandshakeRole::initiator) {
    ok = dh(0, eph_sk_, ph->ephemeral) && dh(1, eph_sk_, peer_static) &&
         dh(2, static_sk_, ph->ephemeral) && dh(3, static_sk_, peer_static);
  } else {
    ok = dh(0, eph_sk_, ph->ephemeral) && dh(1, static_sk_, ph->ephemeral) &&
         dh(2, eph_sk_, peer_static) && dh(3, static_sk_, peer_static);
  }
  if (!ok) {
    sodium_memzero(ikm.data(), ikm.size());
    return err("degenerate public key in handshake");
  }

  // Transcript hash over both Hellos (initiator first) keys the KDF, binding identities, roles
  // and ephemerals into the session keys.
  ByteView mine(hello_);
  ByteView first = role_ == HandshakeRole::initiator ? mine : peer_hello;
  ByteView second = role_ == HandshakeRole::initiator ? peer_hello : mine;
  auto th = transcript_hash(kKdfLabel, first, second);
  Channel out = derive_channel(ikm, th, role_);
  sodium_memzero(ikm.data(), ikm.size());
  return out;
}

// ---- key derivation, shared by the replica and the client handshakes ---------------------

TranscriptHash transcript_hash(std::string_view label, ByteView first, ByteView second) {
  ensure_sodium();
  TranscriptHash th{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, th.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(label.data()), label.size());
  crypto_generichash_update(&st, first.data(), first.size());
  crypto_generichash_update(&st, second.data(), second.size());
  crypto_generichash_final(&st, th.data(), th.size());
  return th;
}

Channel derive_channel(ByteView ikm, const TranscriptHash& th, HandshakeRole role) {
  std::array<uint8_t, 64> okm{};
  crypto_generichash(okm.data(), okm.size(), ikm.data(), ikm.size(), th.data(), th.size());
  Channel::Key i2r{}, r2i{};
  std::memcpy(i2r.data(), okm.data(), 32);
  std::memcpy(r2i.data(), okm.data() + 32, 32);
  sodium_memzero(okm.data(), okm.size());
  Channel out = role == HandshakeRole::initiator ? Channel(i2r, r2i) : Channel(r2i, i2r);
  sodium_memzero(i2r.data(), i2r.size());
  sodium_memzero(r2i.data(), r2i.size());
  return out;
}

}  // namespace rampart::crypto
