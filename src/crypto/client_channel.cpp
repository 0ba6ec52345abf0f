#include "crypto/client_channel.hpp"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "common/codec.hpp"

namespace rampart::crypto {

namespace {

constexpr std::string_view kKdfLabel = "rampart-client-channel-v1";
constexpr std::string_view kAuthLabel = "rampart-client-auth-v1";

// What the client signs: a label (so the signature means nothing elsewhere) and the transcript.
Bytes auth_message(const TranscriptHash& th) {
  Bytes m(kAuthLabel.size() + th.size());
  std::copy(kAuthLabel.begin(), kAuthLabel.end(), m.begin());
  std::copy(th.begin(), th.end(), m.begin() + static_cast<std::ptrdiff_t>(kAuthLabel.size()));
  return m;
}

// Both sides' ee and es values (client ephemeral with replica ephemeral, client ephemeral with
// replica static), in that order. crypto_scalarmult fails on low-order (all-zero) results.
bool dh2(std::array<uint8_t, 64>& ikm, const std::array<uint8_t, 32>& sk1, const ChannelPublicKey& pk1,
         const std::array<uint8_t, 32>& sk2, const ChannelPublicKey& pk2) {
  return crypto_scalarmult(ikm.data(), sk1.data(), pk1.data()) == 0 &&
         crypto_scalarmult(ikm.data() + 32, sk2.data(), pk2.data()) == 0;
}

}  // namespace

// ---- hellos ------------------------------------------------------------------------------

Bytes encode_client_hello(const ClientHello& h) {
  Writer w;
  w.u32(kClientHelloMagic);
  w.u8(kClientChannelVersion);
  w.fixed(h.key);
  w.fixed(h.ephemeral);
  return w.take();
}

Bytes encode_server_hello(const ServerHello& h) {
  Writer w;
  w.u32(kServerHelloMagic);
  w.u8(kClientChannelVersion);
  w.u32(h.replica);
  w.fixed(h.ephemeral);
  return w.take();
}

Result<ClientHello> decode_client_hello(ByteView b) {
  Reader r(b);
  uint32_t magic = r.u32();
  uint8_t version = r.u8();
  ClientHello h;
  h.key = r.fixed<32>();
  h.ephemeral = r.fixed<32>();
  if (!r.failed() && magic != kClientHelloMagic) r.fail("not a client hello");
  if (!r.failed() && version != kClientChannelVersion) r.fail("unsupported client channel version");
  auto st = r.finish();
  if (!st) return st.error();
  return h;
}

Result<ServerHello> decode_server_hello(ByteView b) {
  Reader r(b);
  uint32_t magic = r.u32();
  uint8_t version = r.u8();
  ServerHello h;
  h.replica = r.u32();
  h.ephemeral = r.fixed<32>();
  if (!r.failed() && magic != kServerHelloMagic) r.fail("not a replica's hello");
  if (!r.failed() && version != kClientChannelVersion) r.fail("unsupported client channel version");
  auto st = r.finish();
  if (!st) return st.error();
  return h;
}

// ---- client side -------------------------------------------------------------------------

ClientChannelInitiator::ClientChannelInitiator(ByteView ed25519_pk, ByteView ed25519_sk)
    : sk_(ed25519_sk.begin(), ed25519_sk.end()) {
  if (sodium_init() < 0) return;  // then every finish() fails on the degenerate key below
  ClientHello h;
  std::copy_n(ed25519_pk.begin(), std::min<size_t>(ed25519_pk.size(), 32), h.key.begin());
  crypto_kx_keypair(h.ephemeral.data(), eph_sk_.data());
  hello_ = encode_client_hello(h);
}

ClientChannelInitiator::~ClientChannelInitiator() {
  sodium_memzero(sk_.data(), sk_.size());
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
}

Result<ClientChannelInitiator::Established> ClientChannelInitiator::finish(
    ByteView server_hello, uint32_t replica, const ChannelPublicKey& replica_static) const {
  if (sk_.size() != crypto_sign_SECRETKEYBYTES) return err("client key must be a 64-byte Ed25519 secret key");
  auto sh = decode_server_hello(server_hello);
  if (!sh) return sh.error();
  if (sh->replica != replica) return err("replica " + std::to_string(replica) + " answered as replica " +
                                         std::to_string(sh->replica));
  std::array<uint8_t, 64> ikm{};
  bool ok = dh2(ikm, eph_sk_, sh->ephemeral, eph_sk_, replica_static);
  if (!ok) {
    sodium_memzero(ikm.data(), ikm.size());
    return err("degenerate public key in the replica's hello");
  }
  auto th = transcript_hash(kKdfLabel, hello_, server_hello);
  Established e{derive_channel(ikm, th, HandshakeRole::initiator), {}};
  sodium_memzero(ikm.data(), ikm.size());
  Bytes msg = auth_message(th);
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk_.data());
  auto sealed = e.channel.seal(sig);
  if (!sealed) return sealed.error();
  e.auth = std::move(*sealed);
  return e;
}

// ---- replica side ------------------------------------------------------------------------

ClientChannelResponder::ClientChannelResponder(uint32_t self, const ChannelKeypair& statics)
    : self_(self), static_sk_(statics.sk) {}

ClientChannelResponder::~ClientChannelResponder() { sodium_memzero(static_sk_.data(), static_sk_.size()); }

Result<Bytes> ClientChannelResponder::accept(ByteView client_hello) {
  if (channel_) return err("client hello after the channel was set up");
  auto ch = decode_client_hello(client_hello);
  if (!ch) return ch.error();
  if (sodium_init() < 0) return err("libsodium failed to initialise");
  std::array<uint8_t, 32> eph_sk{};
  ServerHello sh{self_, {}};
  crypto_kx_keypair(sh.ephemeral.data(), eph_sk.data());
  std::array<uint8_t, 64> ikm{};
  const bool ok = dh2(ikm, eph_sk, ch->ephemeral, static_sk_, ch->ephemeral);
  sodium_memzero(eph_sk.data(), eph_sk.size());
  if (!ok) {
    sodium_memzero(ikm.data(), ikm.size());
    return err("degenerate ephemeral key in client hello");
  }
  Bytes hello = encode_server_hello(sh);
  th_ = transcript_hash(kKdfLabel, client_hello, hello);
  channel_.emplace(derive_channel(ikm, th_, HandshakeRole::responder));
  sodium_memzero(ikm.data(), ikm.size());
  claimed_ = ch->key;
  return hello;
}

Result<ClientKey> ClientChannelResponder::authenticate(ByteView sealed_auth) {
  if (!channel_) return err("client authentication before its hello");
  auto sig = channel_->open(sealed_auth);
  if (!sig) return err("client authentication did not open: " + sig.error().message);
  if (sig->size() != crypto_sign_BYTES) return err("client authentication is not a signature");
  Bytes msg = auth_message(th_);
  if (crypto_sign_verify_detached(sig->data(), msg.data(), msg.size(), claimed_.data()) != 0)
    return err("client authentication: bad signature for the key in its hello");
  return claimed_;
}

}  // namespace rampart::crypto
