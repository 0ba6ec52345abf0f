#include "broker_stand_in_replicas.hpp"

#include <algorithm>
#include <stdexcept>

#include "broker/directory_file.hpp"
#include "broker/verify.hpp"
#include "keys/secrets.hpp"
#include "net/frame.hpp"

namespace rampart::test {

constexpr size_t kMaxFrame = (1u << 20) + net::kFrameHeaderBytes + crypto::Channel::kTagBytes;

// One broker connection, handled on the io thread. Writes are blocking: answers are small.
struct StandInReplicas::Conn {
  uint32_t replica;
  asio::ip::tcp::socket sock;
  net::FrameDecoder dec{kMaxFrame};
  std::array<uint8_t, 64 * 1024> buf{};
  std::unique_ptr<crypto::ClientChannelResponder> responder;
  std::optional<crypto::Channel> channel;
  bool hello_seen = false;
  int broker = -1;  // the broker whose key opened the channel
  Conn(uint32_t r, asio::ip::tcp::socket s) : replica(r), sock(std::move(s)) {}
};

StandInReplicas::StandInReplicas(const ClusterConfig& cfg, const std::vector<uint32_t>& up, const std::vector<uint32_t>& liars)
    : cfg_(cfg), received_(new std::atomic<uint64_t>[cfg.n()]), liar_(cfg.n(), false) {
  for (uint32_t r : liars) liar_[r] = true;
  for (uint32_t r = 0; r < cfg.n(); ++r) received_[r] = 0;
  auto d = broker::load_directory(cfg.resolve(cfg.clients));
  if (!d) throw std::runtime_error(d.error().message);
  dir_ = std::move(*d);
  for (const auto& r : cfg.replicas) {
    auto s = keys::load_secrets(cfg.resolve(r.key_file));
    if (!s) throw std::runtime_error(s.error().message);
    auto c = keys::make_replica_crypto(cfg, *s);
    if (!c) throw std::runtime_error(c.error().message);
    crypto_.push_back(*c);
  }
  for (const auto& r : cfg.replicas) {
    auto secrets = keys::load_secrets(cfg.resolve(r.key_file));
    if (!secrets) throw std::runtime_error(secrets.error().message);
    crypto::ChannelKeypair kp;
    std::copy(r.x25519_public.begin(), r.x25519_public.end(), kp.pk.begin());
    std::copy(secrets->x25519_secret.begin(), secrets->x25519_secret.end(), kp.sk.begin());
    statics_.push_back(kp);
  }
  acceptors_.resize(cfg.n());
  for (uint32_t r : up) {
    const ReplicaEntry* e = cfg.replica(r);
    acceptors_[r] = std::make_unique<asio::ip::tcp::acceptor>(
        io_, asio::ip::tcp::endpoint(asio::ip::make_address(e->host), e->client_port));
    accept(r);
  }
  thread_ = std::thread([this] { io_.run(); });
}

StandInReplicas::~StandInReplicas() {
  io_.stop();
  thread_.join();
}

void StandInReplicas::accept(uint32_t replica) {
  acceptors_[replica]->async_accept([this, replica](const asio::error_code& ec, asio::ip::tcp::socket s) {
    if (ec) return;
    auto c = std::make_shared<Conn>(replica, std::move(s));
    c->responder = std::make_unique<crypto::ClientChannelResponder>(replica, statics_[replica]);
    read(c);
    accept(replica);
  });
}

// Reads until the connection fails or misbehaves; then it is dropped (the broker reconnects).
void StandInReplicas::read(const std::shared_ptr<Conn>& c) {
  c->sock.async_read_some(asio::buffer(c->buf), [this, c](const asio::error_code& e, size_t n) {
    if (e) return;
    std::vector<Bytes> frames;
    bool ok = c->dec.feed(ByteView(c->buf.data(), n), frames).ok();
    for (size_t i = 0; ok && i < frames.size(); ++i) ok = on_frame(c, frames[i]);
    if (!ok) {
      ++refused_;
      return;
    }
    read(c);
  });
}

bool StandInReplicas::on_frame(const std::shared_ptr<Conn>& c, const Bytes& f) {
  asio::error_code we;
  if (c->responder && !c->hello_seen) {  // the client's hello
    auto hello = c->responder->accept(f);
    if (!hello) return false;
    c->hello_seen = true;
    asio::write(c->sock, asio::buffer(net::encode_frame(*hello)), we);
    return !we;
  }
  if (c->responder) {  // its key proof: which broker (if any) this connection speaks for
    auto key = c->responder->authenticate(f);
    if (!key) return false;
    c->channel.emplace(std::move(c->responder->channel()));
    c->responder.reset();
    for (const auto& b : cfg_.brokers)
      if (std::equal(b.ed25519_public.begin(), b.ed25519_public.end(), key->begin(), key->end())) c->broker = static_cast<int>(b.id);
    return true;
  }
  auto pt = c->channel->open(f);  // a record of frames
  if (!pt) return false;
  bool ok = true;
  auto st = net::for_each_frame(*pt, 1u << 20, [&](ByteView inner) {
    auto m = broker::decode_replica_message(inner);
    if (!m || !std::holds_alternative<broker::DistilledBatch>(*m)) return ok = false;
    on_batch(c, std::get<broker::DistilledBatch>(*m));
    return true;
  });
  return ok && st.ok();
}

void StandInReplicas::on_batch(const std::shared_ptr<Conn>& c, const broker::DistilledBatch& b) {
  ++received_[c->replica];
  if (c->broker < 0 || b.broker != static_cast<uint32_t>(c->broker)) {
    ++refused_;  // only a broker may submit, and only its own batches
    return;
  }
  auto it = certified_.find({b.broker, b.number});
  if (it == certified_.end()) {
    auto v = broker::verify_distilled(b, *dir_);
    if (!v) {
      ++refused_;
      return;
    }
    const uint64_t h = height_++;
    const Bytes msg = broker::delivery_statement(b.broker, b.number, h, v->amended_root);
    std::vector<crypto::Share> shares;
    for (uint32_t r = 0; r < cfg_.nf(); ++r) shares.push_back({r, crypto_[r].tsigner->sign_share(msg)});
    auto sig = crypto_[0].tverifier->combine(msg, shares);
    if (!sig) throw std::runtime_error("stand-in replicas: shares do not combine");
    it = certified_.emplace(std::pair{b.broker, b.number}, broker::DeliveryCert{b.broker, b.number, h, v->amended_root, *sig}).first;
  }
  broker::DeliveryCert cert = it->second;
  if (liar_[c->replica]) {
    cert.height += 1000;  // the signature no longer matches
    ++forged_;
  }
  Bytes inner, out;
  net::append_frame(inner, broker::encode(broker::Delivered{cert}));
  if (!net::append_sealed_frame(*c->channel, inner, out).ok()) return;
  asio::error_code ec;
  asio::write(c->sock, asio::buffer(out), ec);
  if (!ec && !liar_[c->replica]) ++delivered_;
}

}  // namespace rampart::test
