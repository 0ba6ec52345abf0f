// Simulated brokers (sim/brokers.hpp): keys and directory, the honest flow (one batch in flight,
// resubmitted with back-off until a verified delivery), and the Byzantine brokers' lies.
#include "sim/brokers.hpp"

#include <algorithm>

#include "app/kv/op.hpp"
#include "broker/verify.hpp"
#include "common/batch_digest.hpp"
#include "common/codec.hpp"
#include "crypto/blake3.hpp"
#include "replica/client_wire.hpp"
#include "sim/world.hpp"

namespace rampart::sim::core {

namespace {
constexpr std::string_view kLieNames[] = {"none",       "forged_aggregate", "wrong_root",     "replay",      "renumber",
                                          "equivocate", "forged_straggler", "unknown_client", "other_broker",
                                          "copy_other"};
static_assert(std::size(kLieNames) == static_cast<size_t>(BrokerLie::count_));

enum Kind : uint32_t { kNext = 0, kTimeout = 1, kLie = 2 };

Hash32 derive(uint64_t seed, std::string_view what, uint64_t i) {
  Writer w;
  w.u64(seed);
  w.bytes(ByteView(reinterpret_cast<const uint8_t*>(what.data()), what.size()));
  w.u64(i);
  return crypto::blake3::hash(w.take());
}

Bytes payload_of(uint32_t broker, broker::ClientId id, const std::string& tag, uint64_t number) {
  return app::kv::encode_op(app::kv::put("b" + std::to_string(broker) + "k" + std::to_string(id % 4),
                                         tag + "n" + std::to_string(number) + "c" + std::to_string(id)));
}
}  // namespace

std::string_view lie_name(BrokerLie l) { return kLieNames[static_cast<size_t>(l)]; }

uint32_t Brokers::address(uint32_t b) const { return w_.cfg.n() + w_.o.clients + b; }

void Brokers::setup() {
  const SimOptions& o = w_.o;
  brokers_.resize(o.brokers);
  for (uint32_t b = 0; b < o.brokers; ++b) {
    SimBroker& br = brokers_[b];
    br.id = b;
    for (uint32_t i = 0; i < o.broker_clients; ++i) {
      BrokerClient c;
      c.id = b * o.broker_clients + i;
      const Hash32 s = derive(o.seed, "rampart sim broker client", c.id);
      c.bls = *crypto::bls::SecretKey::from_seed(s);
      c.ed = *crypto::ed25519::KeyPair::from_seed(s);
      dir_.add_trusted(c.id, {c.ed->public_key(), crypto::bls::public_key(c.bls)});
      br.clients.push_back(std::move(c));
    }
  }
  // Broker 0 is always honest; the others lie, half the time each, in a way drawn per seed.
  for (uint32_t b = 1; b < o.brokers; ++b) {
    SimBroker& br = brokers_[b];
    if (o.force_broker_lie >= 0) {
      if (b + 1 == o.brokers) br.lie = static_cast<BrokerLie>(o.force_broker_lie);
    } else if (o.faults.has(Fault::broker) && w_.rng.chance(0.5)) {
      br.lie = static_cast<BrokerLie>(1 + w_.rng.below(static_cast<uint64_t>(BrokerLie::count_) - 1));
    }
    if (br.lie == BrokerLie::none) continue;
    if (w_.res.setup == "no faulty replicas") w_.res.setup.clear();
    w_.res.setup += (w_.res.setup.empty() ? "broker" : " broker") + std::to_string(b) + ":" + std::string(lie_name(br.lie));
  }
}

void Brokers::start() {
  for (auto& b : brokers_) {
    schedule(b.id, kNext, w_.now() + w_.rng.range(0, 20) * kMs);
    if (b.lie == BrokerLie::none) continue;
    uint64_t t = w_.rng.range(150, 600) * kMs;
    for (int i = 0; i < 3; ++i, t += w_.rng.range(200, 900) * kMs) schedule(b.id, kLie, t);
  }
}

void Brokers::schedule(uint32_t b, uint64_t kind, uint64_t at, uint64_t c, uint64_t d) {
  Event e;
  e.type = Ev::broker;
  e.a = b;
  e.b = static_cast<uint32_t>(kind);
  e.c = c;
  e.d = d;
  w_.schedule(at, std::move(e));
}

void Brokers::on_event(const Event& e) {
  SimBroker& b = brokers_.at(e.a);
  switch (e.b) {
    case kNext: return next_batch(b);
    case kTimeout: return timeout(b, e.c, e.d);
    case kLie: return lie(b);
  }
}

const BrokerClient* Brokers::client_of(const SimBroker& b, broker::ClientId id) {
  auto it = std::find_if(b.clients.begin(), b.clients.end(), [&](const BrokerClient& c) { return c.id == id; });
  return it == b.clients.end() ? nullptr : &*it;
}

bool Brokers::all_served(const SimBroker& b) {
  return std::all_of(b.clients.begin(), b.clients.end(), [](const BrokerClient& c) { return c.served; });
}

bool Brokers::done() const {
  for (const auto& b : brokers_)
    if (b.lie == BrokerLie::none && (b.done < w_.o.broker_batches || !all_served(b))) return false;
  return true;
}

std::string Brokers::pending() const {
  std::string out;
  for (const auto& b : brokers_)
    if (b.lie == BrokerLie::none && (b.done < w_.o.broker_batches || !all_served(b)))
      out += " broker" + std::to_string(b.id) + "(batch " + std::to_string(b.number) + ", attempt " +
             std::to_string(b.attempt) + ", waiting since " + std::to_string(b.sent_at / kMs) + " ms)";
  return out;
}

void Brokers::signed_up(broker::ClientId id, const crypto::ed25519::KeyPair& ed, const crypto::bls::SecretKey& bls,
                        uint64_t last_seq) {
  if (brokers_.empty() || dir_.find(id)) return;  // a genesis client's id is never signed up again
  SimBroker& b = brokers_[0];
  if (client_of(b, id)) return;  // the same key signed up twice gets its id back
  BrokerClient c;
  c.id = id;
  c.bls = bls;
  c.ed = ed;
  c.seq = last_seq;
  c.served = false;
  b.clients.push_back(std::move(c));
  ++w_.res.broker_signups_learnt;
  if (!b.waiting && b.done >= w_.o.broker_batches) schedule(b.id, kNext, w_.now() + w_.rng.range(0, 20) * kMs);
}

std::vector<size_t> Brokers::draw_clients(SimBroker& b) const {
  std::vector<size_t> all(b.clients.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  const size_t k = w_.rng.range(std::min<size_t>(2, all.size()), std::min<size_t>(8, all.size()));
  std::vector<size_t> who;
  for (size_t i = 0; i < b.clients.size(); ++i)
    if (!b.clients[i].served) who.push_back(i);  // signed-up clients not served yet: every batch
  std::erase_if(all, [&](size_t i) { return !b.clients[i].served; });
  while (who.size() < k && !all.empty()) {
    const size_t i = w_.rng.below(all.size());
    who.push_back(all[i]);
    all.erase(all.begin() + static_cast<long>(i));
  }
  // Ids strictly increasing (signed-up clients join in the order their replies came, not by id).
  std::sort(who.begin(), who.end(), [&](size_t x, size_t y) { return b.clients[x].id < b.clients[y].id; });
  return who;
}

// As src/broker distils: every non-straggler BLS-signs the reduction root (raise in every
// leaf), aggregated; a straggler keeps its own seq (its `seq`) and signs its submission.
broker::DistilledBatch Brokers::distil(SimBroker& b, uint64_t number, uint64_t raise, const std::vector<size_t>& who,
                                       const std::vector<size_t>& stragglers, const std::string& tag) const {
  broker::DistilledBatch d;
  d.broker = b.id;
  d.number = number;
  d.raise = raise;
  for (size_t i : who) d.entries.push(b.clients[i].id, payload_of(b.id, b.clients[i].id, tag, number));
  for (size_t i : stragglers) {
    const BrokerClient& c = b.clients[i];
    broker::Straggler s;
    s.id = c.id;
    s.seq = c.seq;
    const auto sig = c.ed->sign(broker::submit_statement(c.id, c.seq, d.entries.payload(d.entries.find(c.id))));
    std::copy(sig.begin(), sig.end(), s.sig.begin());
    d.stragglers.push_back(s);
  }
  seal(b, d);
  return d;
}

// The aggregate of the batch's own clients that are not stragglers, over its reduction root.
void Brokers::seal(const SimBroker& b, broker::DistilledBatch& d) const {
  const Hash32 root = broker::batch_roots(d).root;
  std::vector<crypto::bls::Signature> sigs;
  for (auto id : d.entries.ids) {
    const bool straggler = std::any_of(d.stragglers.begin(), d.stragglers.end(), [&](const auto& s) { return s.id == id; });
    const BrokerClient* own = client_of(b, id);
    if (!straggler && own) sigs.push_back(crypto::bls::sign(own->bls, broker::reduce_statement(root)));
  }
  d.has_aggregate = !sigs.empty();
  if (d.has_aggregate) d.aggregate = crypto::bls::aggregate_signatures(sigs)->to_bytes();
}

// The honest flow's next batch: each client submits at its next seq, the raise is above every
// seq the broker used before (so no entry is stale), about a fifth are stragglers.
void Brokers::next_batch(SimBroker& b) {
  if ((b.done >= w_.o.broker_batches && all_served(b)) || b.waiting) return;
  const auto who = draw_clients(b);
  std::vector<size_t> stragglers;
  uint64_t raise = b.raise + 1;
  for (size_t i : who) {
    raise = std::max(raise, ++b.clients[i].seq);
    if (w_.rng.chance(0.2)) stragglers.push_back(i);
  }
  b.batch = distil(b, ++b.number, raise, who, stragglers, "v");
  b.raise = raise;
  for (size_t i : who)
    if (std::find(stragglers.begin(), stragglers.end(), i) == stragglers.end()) b.clients[i].seq = raise;
  b.frame = broker::encode(b.batch);
  b.amended = broker::batch_roots(b.batch).amended_root;
  b.history.push_back(b.frame);
  b.waiting = true;
  b.attempt = 0;
  b.entry = static_cast<uint32_t>(w_.rng.below(w_.cfg.n()));
  b.sent_at = w_.now();
  send(b);
}

void Brokers::send(SimBroker& b) {
  w_.net_send(address(b.id), b.entry, b.frame);
  // Back-off: 400 ms, doubling up to 3.2 s, each time at the next replica.
  schedule(b.id, kTimeout, w_.now() + 400 * kMs * std::min<uint64_t>(uint64_t{1} << std::min<uint32_t>(b.attempt, 3), 8),
           b.number, b.attempt);
}

void Brokers::timeout(SimBroker& b, uint64_t number, uint64_t attempt) {
  if (!b.waiting || b.number != number || b.attempt != attempt) return;
  ++b.attempt;
  b.entry = (b.entry + 1) % w_.cfg.n();
  ++w_.res.broker_resubmits;
  send(b);
}

void Brokers::on_frame(uint32_t id, ByteView frame) {
  SimBroker& b = brokers_.at(id);
  auto m = broker::decode_replica_message(frame);
  if (!m || !b.waiting) return;
  const auto* d = std::get_if<broker::Delivered>(&*m);
  if (!d || d->cert.broker != b.id || d->cert.number != b.number || d->cert.amended_root != b.amended) return;
  // Only the group key is trusted: a lying replica's certificate does not verify.
  const Bytes stmt = broker::delivery_statement(b.id, b.number, d->cert.height, d->cert.amended_root);
  if (!w_.keys.threshold_verifier().verify_group(stmt, d->cert.group_sig)) return;
  // nf replicas signed only once the block was final there, so a correct one executed the
  // batch at that height.
  if (!executed_.count({b.id, b.number, b.amended, d->cert.height}))
    w_.checker.report("broker: a certificate for broker " + std::to_string(b.id) + "'s batch " + std::to_string(b.number) +
                      " names height " + std::to_string(d->cert.height) + ", where no correct replica executed it");
  certified_.push_back({replica::DistilledRef{b.id, b.number, b.amended}, d->cert.height});
  for (auto e : b.batch.entries.ids) {
    if (dir_.find(e)) continue;
    ++w_.res.broker_signed_up_entries;
    if (BrokerClient* c = client_of(b, e)) c->served = true;
  }
  b.waiting = false;
  ++b.done;
  ++w_.res.broker_deliveries;
  schedule(b.id, kNext, w_.now() + w_.rng.range(0, 50) * kMs);
}

void Brokers::executed(uint64_t k, ByteView slot, const std::vector<replica::DistilledRef>& refs) {
  for (const auto& r : refs) executed_.emplace(r.broker, r.number, r.amended_root, k);
  if (!refs.empty()) refs_of_slot_.emplace(rampart::batch_digest(slot), refs);
}

// The final batch at a height is agreed (invariant 1), so its slot's refs are the truth: the
// checker's, or else a correct replica's ledger (a replica signs delivery shares for final
// blocks it recovered, was replayed or state-transferred, which the checker never saw executed).
void Brokers::check_end() {
  for (const auto& [ref, k] : certified_) {
    std::optional<std::vector<replica::DistilledRef>> refs;
    if (const auto d = w_.checker.final_batch(k)) {
      const auto it = refs_of_slot_.find(*d);
      refs = it == refs_of_slot_.end() ? std::vector<replica::DistilledRef>{} : it->second;
    } else if (const auto slot = w_.final_slot(k)) {
      auto r = replica::distilled_refs(*slot);
      refs = r ? *r : std::vector<replica::DistilledRef>{};
    }
    if (!refs || std::find(refs->begin(), refs->end(), ref) == refs->end())
      w_.checker.report("broker: broker " + std::to_string(ref.broker) + "'s batch " + std::to_string(ref.number) +
                        " was certified at height " + std::to_string(k) + ", but the final block there " +
                        (refs ? "does not carry it" : "is unknown to every correct replica"));
  }
}

void Brokers::handed(uint32_t id, uint32_t r, ByteView frame, bool accepted, bool correct) {
  if (!correct) return;
  SimBroker& b = brokers_.at(id);
  const bool is_lie = b.lie_frames.count(crypto::blake3::hash(frame)) > 0;
  if (is_lie) ++w_.res.broker_lies;
  if (is_lie && b.lie == BrokerLie::other_broker) {
    if (accepted)
      w_.checker.report("broker: correct replica " + std::to_string(r) + " took a batch naming another broker from broker " +
                        std::to_string(id) + "'s connection");
    else
      ++w_.res.broker_refusals;
  } else if (!accepted) {
    w_.checker.report("broker: correct replica " + std::to_string(r) + " refused broker " + std::to_string(id) +
                      "'s own connection for a well-formed batch of its own");
  }
}

void Brokers::forbid(const broker::DistilledBatch& batch) {
  for (size_t i = 0; i < batch.entries.size(); ++i) {
    const broker::ClientKeys* k = dir_.find(batch.entries.ids[i]);
    if (!k) continue;  // no key: it could never execute as anyone
    Bytes p(k->ed25519.begin(), k->ed25519.end());
    const ByteView body = batch.entries.payload(i);
    p.insert(p.end(), body.begin(), body.end());
    w_.checker.forbid(client::client_id_of(k->ed25519), crypto::blake3::hash(p));
  }
}

void Brokers::send_lie(SimBroker& b, Bytes frame, uint32_t to) {
  b.lie_frames.insert(crypto::blake3::hash(frame));
  w_.net_send(address(b.id), to % w_.cfg.n(), std::move(frame));
}

// One lie, at two replicas (so that a correct one sees it whatever the faulty one is).
void Brokers::lie(SimBroker& b) {
  const uint32_t r = static_cast<uint32_t>(w_.rng.below(w_.cfg.n()));
  const auto both = [&](const broker::DistilledBatch& d) {
    const Bytes f = broker::encode(d);
    send_lie(b, f, r);
    send_lie(b, f, r + 1);
  };
  const auto forged = [&] { return distil(b, b.lie_number++, b.raise + 1, draw_clients(b), {}, "forged"); };
  switch (b.lie) {
    case BrokerLie::none:
    case BrokerLie::count_:
      return;
    case BrokerLie::forged_aggregate: {
      auto d = forged();
      const auto outsider = *crypto::bls::SecretKey::from_seed(derive(w_.o.seed, "rampart sim outsider", b.id));
      d.aggregate = crypto::bls::sign(outsider, broker::reduce_statement(broker::batch_roots(d).root)).to_bytes();
      d.has_aggregate = true;
      forbid(d);
      return both(d);
    }
    case BrokerLie::wrong_root: {
      const auto who = draw_clients(b);
      auto d = distil(b, b.lie_number, b.raise + 1, who, {}, "forged");
      d.aggregate = distil(b, b.lie_number++, b.raise + 1, who, {}, "other").aggregate;
      forbid(d);
      return both(d);
    }
    case BrokerLie::replay:
      if (b.history.empty()) return;
      send_lie(b, b.history[w_.rng.below(b.history.size())], r);
      send_lie(b, b.history[w_.rng.below(b.history.size())], r + 1);
      return;
    case BrokerLie::renumber: {
      if (b.history.empty()) return;
      auto m = broker::decode_replica_message(b.history[w_.rng.below(b.history.size())]);
      auto d = std::get<broker::DistilledBatch>(*m);
      d.number = b.lie_number++;  // not in the signed root: any number goes
      if (w_.rng.chance(0.5)) {
        // The latest batch's very payloads, re-signed by its clients at a higher raise (as after a
        // retry through another broker): acknowledged at the seq they executed at, never re-run.
        m = broker::decode_replica_message(b.history.back());
        const auto& last = std::get<broker::DistilledBatch>(*m);
        b.raise += 3;
        d.raise = b.raise;
        d.entries = last.entries;
        d.stragglers.clear();
        seal(b, d);
        std::vector<size_t> who;
        for (auto id : last.entries.ids) who.push_back(id - b.id * w_.o.broker_clients);
        for (size_t i : who) b.clients[i].seq = b.raise;
      }
      return both(d);
    }
    case BrokerLie::equivocate: {
      const auto who = draw_clients(b);
      const uint64_t raise = ++b.raise;
      for (size_t i : who) b.clients[i].seq = raise;
      const auto left = distil(b, b.lie_number, raise, who, {}, "L");
      const auto right = distil(b, b.lie_number++, raise, who, {}, "R");
      send_lie(b, broker::encode(left), r);
      send_lie(b, broker::encode(right), r + 1 + static_cast<uint32_t>(w_.rng.below(w_.cfg.n() - 1)));
      return;
    }
    case BrokerLie::forged_straggler: {
      const auto who = draw_clients(b);
      ++b.clients[who[0]].seq;  // what it signed; the batch claims the seq after it
      auto d = distil(b, b.lie_number++, b.raise + 1, who, {who[0]}, "forged");
      d.stragglers[0].seq += 1;
      forbid(d);
      return both(d);
    }
    case BrokerLie::unknown_client: {
      auto d = forged();
      // Signed by the batch's clients, over a root with an entry of an id nobody holds.
      d.entries.push(1u << 20, payload_of(b.id, 1u << 20, "forged", d.number));
      seal(b, d);
      forbid(d);
      return both(d);
    }
    case BrokerLie::copy_other: {
      // As when a client submits one payload through two brokers: its signatures bind neither
      // the broker nor the number, so the copy is valid; each entry must still run once.
      const SimBroker& victim = brokers_[b.id == 0 ? 1 : 0];
      if (victim.history.empty()) return;
      auto m = broker::decode_replica_message(victim.history.back());
      auto d = std::get<broker::DistilledBatch>(*m);
      d.broker = b.id;
      d.number = b.lie_number++;
      return both(d);
    }
    case BrokerLie::other_broker: {
      auto d = forged();
      d.broker = b.id == 0 ? 1 : 0;  // valid signatures, another broker's name
      forbid(d);
      return both(d);
    }
  }
}

}  // namespace rampart::sim::core
