#include "world.hpp"

#include <algorithm>
#include <stdexcept>

namespace rampart::broker::testing {

struct World::BrokerNode final : BrokerHost {
  World& w;
  uint32_t id;
  std::unique_ptr<Broker> core;
  BrokerNode(World& w, uint32_t id) : w(w), id(id) {}
  void send_client(ClientAddr to, Bytes msg) override {
    w.send({Packet::To::client, id, static_cast<uint32_t>(to), std::move(msg)});
  }
  void send_replica(uint32_t replica, Bytes msg) override { w.send({Packet::To::replica, id, replica, std::move(msg)}); }
  uint64_t now_ms() override { return w.now_; }
  void set_timer(uint64_t token, uint64_t after_ms) override { w.timers_.push_back({w.now_ + after_ms, true, id, token}); }
};

struct World::ClientNode final : ClientHost {
  World& w;
  uint32_t id;
  std::unique_ptr<Client> core;
  ClientNode(World& w, uint32_t id) : w(w), id(id) {}
  void send_broker(uint32_t broker, Bytes msg) override { w.send({Packet::To::broker, broker, id, std::move(msg)}); }
  uint64_t now_ms() override { return w.now_; }
  void set_timer(uint64_t token, uint64_t after_ms) override { w.timers_.push_back({w.now_ + after_ms, false, id, token}); }
};

World::World(Options o) : opt_(o), height_(o.first_height) {
  auto d = crypto::threshold::deal(4, 3, as_bytes("rampart broker test dealer seed!"));
  if (!d) throw std::runtime_error(d.error().message);
  dealing_ = std::move(*d);
  group_ = std::make_unique<crypto::threshold::BlsThresholdVerifier>(dealing_.pub);
  for (uint32_t i = 0; i < o.clients; ++i) {
    auto sk = bls_key(i);
    auto st = dir_.add(i, ed_key(i).public_key(), crypto::bls::public_key(sk), crypto::bls::prove_possession(sk));
    if (!st) throw std::runtime_error(st.error().message);
  }
  for (uint32_t b = 0; b < o.brokers; ++b) {
    brokers_.push_back(std::make_unique<BrokerNode>(*this, b));
    BrokerConfig bc = o.broker;
    bc.id = b;
    brokers_.back()->core = std::make_unique<Broker>(bc, dir_, group_.get(), *brokers_.back());
  }
  for (uint32_t i = 0; i < o.clients; ++i) {
    clients_.push_back(std::make_unique<ClientNode>(*this, i));
    ClientConfig cc = o.client;
    cc.id = i;
    cc.brokers = o.brokers;
    if (i < o.first_seq.size()) cc.first_seq = o.first_seq[i];
    clients_.back()->core = std::make_unique<Client>(cc, ed_key(i), bls_key(i), group_.get(), *clients_.back());
  }
}

World::~World() = default;
Broker& World::broker(uint32_t i) { return *brokers_[i]->core; }
Client& World::client(uint32_t i) { return *clients_[i]->core; }

DeliveryCert World::certify(uint32_t broker, uint64_t number, uint64_t height, const Hash32& amended_root) const {
  const Bytes msg = delivery_statement(broker, number, height, amended_root);
  std::vector<crypto::Share> shares;
  for (uint32_t r = 0; r < 3; ++r) shares.push_back({r, crypto::threshold::sign_share(dealing_.secrets[r], msg)});
  auto sig = group_->combine(msg, shares);
  if (!sig) throw std::runtime_error("test dealer: shares do not combine");
  return DeliveryCert{broker, number, height, amended_root, *sig};
}

void World::announce_height(uint64_t height) {
  Hash32 root{};
  root[0] = 0x5a;
  const Bytes wire = encode(Delivered{certify(1000, 1, height, root)});
  for (auto& b : brokers_) b->core->on_replica(0, wire);
}

void World::send(Packet p) {
  ++packets;
  if (filter && filter(p)) {
    ++dropped;
    return;
  }
  queue_.push_back(std::move(p));
}

void World::replica_receive(const Bytes& data, uint32_t broker) {
  auto m = decode_replica_message(data);
  if (!m || !std::holds_alternative<DistilledBatch>(*m)) {
    replica_rejections.push_back(m ? "not a distilled batch" : m.error().message);
    return;
  }
  const auto& b = std::get<DistilledBatch>(*m);
  auto v = verify_distilled(b, dir_);
  if (!v) {
    replica_rejections.push_back(v.error().message);
    return;
  }
  const bool seen = std::ranges::any_of(ordered, [&](const DistilledBatch& o) { return o.broker == b.broker && o.number == b.number; });
  if (!seen) ordered.push_back(b);
  if (!replicas_answer) return;
  auto known = certified_.find({broker, b.number});
  if (known == certified_.end())
    known = certified_.emplace(std::pair{broker, b.number}, certify(broker, b.number, height_++, v->amended_root)).first;
  send({Packet::To::broker, broker, kFromReplicas, encode(Delivered{known->second})});
}

void World::run() {
  for (size_t steps = 0; !queue_.empty(); ++steps) {
    if (steps > 10'000'000) throw std::runtime_error("world: packets keep coming");
    Packet p = std::move(queue_.front());
    queue_.pop_front();
    switch (p.to) {
      case Packet::To::broker:
        if (p.client == kFromReplicas) brokers_[p.broker]->core->on_replica(0, p.data);
        else brokers_[p.broker]->core->on_client(p.client, p.data);
        break;
      case Packet::To::client:
        clients_[p.client]->core->on_message(p.broker, p.data);
        break;
      case Packet::To::replica:
        replica_receive(p.data, p.broker);
        break;
    }
  }
}

void World::advance(uint64_t ms) {
  const uint64_t until = now_ + ms;
  run();
  for (;;) {
    auto next = std::min_element(timers_.begin(), timers_.end(), [](const Timer& a, const Timer& b) { return a.at < b.at; });
    if (next == timers_.end() || next->at > until) break;
    Timer t = *next;
    timers_.erase(next);
    now_ = std::max(now_, t.at);
    if (t.to_broker) brokers_[t.who]->core->on_timer(t.token);
    else clients_[t.who]->core->on_timer(t.token);
    run();
  }
  now_ = until;
}

}  // namespace rampart::broker::testing
