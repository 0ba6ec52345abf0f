#include "client/session.hpp"

#include <sodium.h>

#include <algorithm>

#include "crypto/keyfile.hpp"

#include "net/frame.hpp"

namespace rampart::client {

SigningKey SigningKey::generate() {
  SigningKey k{Bytes(crypto_sign_PUBLICKEYBYTES), Bytes(crypto_sign_SECRETKEYBYTES)};
  crypto_sign_keypair(k.pk.data(), k.sk.data());
  return k;
}

SigningKey SigningKey::of(const crypto::ed25519::KeyPair& kp) {
  SigningKey k{Bytes(crypto_sign_PUBLICKEYBYTES), Bytes(crypto_sign_SECRETKEYBYTES)};
  const auto seed = kp.seed();
  crypto_sign_seed_keypair(k.pk.data(), k.sk.data(), seed.data());
  return k;
}

Result<SigningKey> load_signing_key(const std::string& path) {
  auto kp = crypto::keyfile::load_ed25519_secret(path);
  if (!kp) return kp.error();
  return SigningKey::of(*kp);
}

Session::Session(ByteView ed25519_pk, ByteView ed25519_sk, uint32_t replica, const crypto::ChannelPublicKey& replica_static)
    : init_(std::make_unique<crypto::ClientChannelInitiator>(ed25519_pk, ed25519_sk)),
      replica_(replica),
      static_(replica_static) {}

Result<Session> Session::to_replica(const ClusterConfig& cfg, uint32_t replica, ByteView ed25519_pk, ByteView ed25519_sk) {
  const ReplicaEntry* e = cfg.replica(replica);
  if (!e) return err("no replica " + std::to_string(replica));
  if (e->x25519_public.size() != 32) return err("replica " + std::to_string(replica) + " has no channel key in cluster.toml");
  crypto::ChannelPublicKey pk{};
  std::copy(e->x25519_public.begin(), e->x25519_public.end(), pk.begin());
  return Session(ed25519_pk, ed25519_sk, replica, pk);
}

Bytes Session::hello_frame() const { return net::encode_frame(init_->hello()); }

Result<Bytes> Session::on_hello(ByteView frame) {
  if (channel_) return err("replica " + std::to_string(replica_) + " sent a second hello");
  auto est = init_->finish(frame, replica_, static_);
  if (!est) return err("handshake with replica " + std::to_string(replica_) + ": " + est.error().message);
  channel_.emplace(std::move(est->channel));
  init_.reset();  // wipes the ephemeral secret
  return net::encode_frame(est->auth);
}

Status Session::seal_frame(ByteView payload, Bytes& out) {
  Bytes one;
  one.reserve(net::kFrameHeaderBytes + payload.size());
  net::append_frame(one, payload);
  return seal_frames(one, out);
}

Status Session::seal_frames(ByteView frames, Bytes& out) {
  if (!channel_) return err("channel to replica " + std::to_string(replica_) + " not set up");
  return net::append_sealed_frame(*channel_, frames, out);
}

Status Session::open(ByteView record, const std::function<void(ByteView)>& on_frame) {
  if (!channel_) return err("channel to replica " + std::to_string(replica_) + " not set up");
  auto pt = channel_->open(record);
  if (!pt) return err("replica " + std::to_string(replica_) + " sent a record that does not open: " + pt.error().message);
  auto st = net::for_each_frame(*pt, kMaxFrame, [&](ByteView f) {
    on_frame(f);
    return true;
  });
  if (!st) return err("replica " + std::to_string(replica_) + ": " + st.error().message);
  return {};
}

}  // namespace rampart::client
