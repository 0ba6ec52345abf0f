#include "broker/broker.hpp"

#include <algorithm>

#include "broker/replica_wire.hpp"
#include "common/codec.hpp"
#include "crypto/blake3.hpp"

namespace rampart::broker {
namespace {

// Timer tokens: kind in the top byte, a generation or batch number below.
constexpr uint64_t kCloseTimer = uint64_t(1) << 56;
constexpr uint64_t kReduceTimer = uint64_t(2) << 56;
constexpr uint64_t kResubmitTimer = uint64_t(3) << 56;
constexpr uint64_t kTokenMask = (uint64_t(1) << 56) - 1;

}  // namespace

Broker::Broker(BrokerConfig cfg, const Directory& dir, const crypto::ThresholdVerifier* group, BrokerHost& host)
    : cfg_(cfg), dir_(dir), group_(group), host_(host), next_number_(std::max<uint64_t>(cfg.first_number, 1)) {}

const Batch* Broker::batch(uint64_t number) const {
  auto it = batches_.find(number);
  return it == batches_.end() ? nullptr : it->second.get();
}

void Broker::on_client(ClientAddr from, ByteView msg, SigCheck pre) {
  if (!msg.empty() && msg[0] == kSignupCertKind) return on_signup(from, msg);
  auto m = decode_client_message(msg);
  if (!m) {
    ++stats_.rejected;
    return;
  }
  if (auto* s = std::get_if<Submit>(&*m)) on_submit(from, *s, pre);
  else if (auto* r = std::get_if<Reduction>(&*m)) on_reduction(from, *r);
  else ++stats_.rejected;  // broker -> client kinds have no business here
}

// A certificate is a CART-proven reply: its block is proven, so never rolled back, and the id
// it names stays that key's (replica/client_directory.hpp). Checking it costs a pairing, which a
// stranger can make the broker pay per datagram, like a Reduction's decoding.
void Broker::on_signup(ClientAddr from, ByteView msg) {
  auto cert = decode_signup_cert(msg);
  if (!cert || !signup_dir_ || !signup_check_) {
    ++stats_.rejected;
    return;
  }
  auto c = signup_check_(*cert);
  if (!c) {
    ++stats_.signups_refused;
    return;
  }
  if (const ClientKeys* known = signup_dir_->find(c->id)) {
    // Two certified keys for one id cannot both come from the cluster: refuse the newcomer.
    if (known->ed25519 != c->keys.ed25519 || !(known->bls == c->keys.bls)) {
      ++stats_.signups_refused;
      return;
    }
  } else {
    signup_dir_->add_trusted(c->id, c->keys);
    ++stats_.signups;
    if (signup_learnt_) signup_learnt_(*cert);
  }
  host_.send_client(from, encode_signed_up(c->id));
}

Cookie Broker::cookie_for(ClientAddr a, uint64_t epoch) const {
  Writer w;
  w.raw(as_bytes("rampart broker cookie v1"));
  w.u64(epoch);
  w.u64(a);
  const Hash32 h = crypto::blake3::keyed_hash(*cfg_.cookie_key, w.take());
  Cookie c;
  std::copy_n(h.begin(), c.size(), c.begin());
  return c;
}

// A cookie of this epoch or the last passes; anything else is answered with this epoch's.
bool Broker::cookie_valid(ClientAddr a, const std::optional<Cookie>& c) const {
  if (!cfg_.cookie_key) return true;
  const uint64_t epoch = host_.now_ms() / std::max<uint64_t>(cfg_.cookie_epoch_ms, 1);
  return c && (*c == cookie_for(a, epoch) || (epoch > 0 && *c == cookie_for(a, epoch - 1)));
}

bool Broker::cookie_ok(ClientAddr a, const std::optional<Cookie>& c) {
  if (cookie_valid(a, c)) return true;
  const uint64_t epoch = host_.now_ms() / std::max<uint64_t>(cfg_.cookie_epoch_ms, 1);
  ++stats_.cookies_sent;
  host_.send_client(a, encode(CookieReply{cookie_for(a, epoch)}));
  return false;
}

namespace {
bool signed_by(const ClientKeys& keys, const Submit& m) {
  return crypto::ed25519::verify(keys.ed25519, submit_statement(m.id, m.seq, m.payload), m.sig);
}
}  // namespace

SigCheck Broker::precheck(ClientAddr from, ByteView msg) const {
  if (msg.empty() || msg[0] == kSignupCertKind) return SigCheck::unchecked;
  auto m = decode_client_message(msg);
  if (!m) return SigCheck::unchecked;
  const auto* s = std::get_if<Submit>(&*m);
  if (!s || !cookie_valid(from, s->cookie)) return SigCheck::unchecked;  // a spoofed source: a hash
  const ClientKeys* keys = dir_.find(s->id);
  if (!keys) return SigCheck::unchecked;  // its sign-up may come first in this very drain
  return signed_by(*keys, *s) ? SigCheck::good : SigCheck::bad;
}

void Broker::on_submit(ClientAddr from, const Submit& m, SigCheck pre) {
  if (!cookie_ok(from, m.cookie)) return;  // first: a spoofed source costs a hash, nothing more
  const ClientKeys* keys = dir_.find(m.id);
  const bool sig_ok = pre == SigCheck::good || (pre == SigCheck::unchecked && keys && signed_by(*keys, m));
  if (!keys || !sig_ok) {
    ++stats_.rejected;
    return;
  }
  if (resend(from, m)) return;
  if (cfg_.max_undelivered > 0 && waiting() >= cfg_.max_undelivered && !building_.count(m.id)) {
    ++stats_.shed;  // after the signature check: a stranger cannot make the broker count it
    return;
  }
  auto [it, fresh] = building_.try_emplace(m.id, Pending{from, m.seq, m.payload, m.sig});
  if (!fresh) {
    // One entry per id: the newest message wins; the same one again only updates the address.
    if (m.seq < it->second.seq) {
      ++stats_.rejected;
      return;
    }
    it->second = Pending{from, m.seq, m.payload, m.sig};
    return;
  }
  ++stats_.submissions;
  if (building_.size() == 1) host_.set_timer(kCloseTimer | building_gen_, cfg_.close_timeout_ms);
  if (building_.size() >= cfg_.batch_size) close();
}

// The message is already in a closed batch: answer as that batch's stage allows.
bool Broker::resend(ClientAddr from, const Submit& m) {
  auto lb = last_batch_.find(m.id);
  if (lb == last_batch_.end()) return false;
  auto bit = batches_.find(lb->second);
  if (bit == batches_.end()) return false;
  Batch& b = *bit->second;
  const long i = b.entries().find(m.id);
  if (i < 0 || b.member(i).seq != m.seq || !std::ranges::equal(b.entries().payload(i), m.payload)) return false;
  b.member(i).addr = from;  // the client may have moved (new port)
  if (b.stage() == Stage::proposal) {
    host_.send_client(from, encode(b.inclusion(i, legitimacy_)));
    ++stats_.resent;
  } else if (b.stage() == Stage::delivered) {
    host_.send_client(from, encode(b.delivery(i)));
    ++stats_.resent;
  }
  return true;  // distilled: the delivery certificate is on its way; nothing to say yet
}

void Broker::close() {
  Entries e;
  std::vector<Member> members;
  members.reserve(building_.size());
  for (auto& [id, p] : building_) {
    e.push(id, p.payload);
    members.push_back(Member{p.addr, p.seq, p.sig, std::nullopt});
  }
  building_.clear();
  ++building_gen_;  // the close timer of this batch is stale now
  host_.taking_number(next_number_);
  const uint64_t number = next_number_++;
  ++closed_;
  auto b = std::make_unique<Batch>(cfg_.id, number, std::move(e), std::move(members));
  for (size_t i = 0; i < b->size(); ++i) {
    last_batch_[b->entries().ids[i]] = number;
    host_.send_client(b->member(i).addr, encode(b->inclusion(i, legitimacy_)));
  }
  ++stats_.batches_proposed;
  batches_.emplace(number, std::move(b));
  host_.set_timer(kReduceTimer | number, cfg_.reduction_timeout_ms);
  forget_old_batches();
}

void Broker::on_reduction(ClientAddr from, const Reduction& m) {
  auto it = batches_.find(m.number);
  if (it == batches_.end() || it->second->stage() != Stage::proposal || it->second->root() != m.root) {
    ++stats_.rejected;  // unknown, late or about another root
    return;
  }
  Batch& b = *it->second;
  const long i = b.entries().find(m.id);
  // Only the address the client's signed Submit came from may fill its slot, and only once: a
  // stranger cannot spend the broker's subgroup checks nor pre-empt a client's share with junk
  // (which would make it a straggler, costing the servers an Ed25519 check).
  if (i < 0 || b.member(i).addr != from || b.member(i).share) {
    ++stats_.rejected;
    return;
  }
  // On the curve, not the identity; subgroup-checked only as part of a sum (reduce.hpp).
  auto sig = crypto::bls::UncheckedSignature::from_raw(m.sig);
  if (!sig || !b.add_share(static_cast<size_t>(i), *sig)) {
    ++stats_.rejected;
    return;
  }
  ++stats_.reductions;
  if (b.shares() == b.size()) distill(b);  // everyone answered: no reason to wait
}

void Broker::distill(Batch& b) {
  stats_.reduction_checks += b.distill(dir_);
  const auto& d = b.distilled();
  stats_.stragglers += d.stragglers.size();
  for (size_t i = 0; i < b.size(); ++i)
    if (b.member(i).share && b.is_straggler(i)) ++stats_.invalid_reductions;
  ++stats_.batches_distilled;
  submitting_[b.number()] = Submission{0, cfg_.resubmit_ms, encode(d)};
  submit_to_replica(b.number());
}

// One replica at a time: the entry replica forwards the batch to the others, so sending it to
// every replica would only multiply the broker's upstream bytes (a full batch is ~800 KB).
void Broker::submit_to_replica(uint64_t number) {
  auto it = submitting_.find(number);
  if (it == submitting_.end() || cfg_.replicas == 0) return;  // delivered meanwhile (or nowhere to go)
  Submission& s = it->second;
  const uint32_t to = static_cast<uint32_t>((cfg_.id + number + s.attempts) % cfg_.replicas);
  if (s.attempts > 0) {
    ++stats_.resubmissions;
    s.wait_ms = std::min(s.wait_ms * 2, std::max(cfg_.max_resubmit_ms, cfg_.resubmit_ms));
  }
  ++s.attempts;
  ++stats_.replica_sends;
  host_.send_replica(to, s.wire);
  // One timer per attempt, so a batch never has two pending: no generation needed.
  host_.set_timer(kResubmitTimer | number, s.wait_ms);
}

void Broker::on_replica(uint32_t /*from*/, ByteView msg) {
  auto m = decode_replica_message(msg);
  if (!m || !std::holds_alternative<Delivered>(*m)) {
    ++stats_.rejected;
    return;
  }
  on_delivered(std::get<Delivered>(*m).cert);
}

void Broker::on_delivered(const DeliveryCert& c) {
  auto it = c.broker == cfg_.id ? batches_.find(c.number) : batches_.end();
  const bool ours = it != batches_.end() && it->second->stage() == Stage::distilled &&
                    it->second->amended_root() == c.amended_root;
  // Every replica sends the certificate: the copies after the first cost a lookup, no pairing.
  if (!ours && legitimacy_ && c.height <= legitimacy_->height) return;
  if (!group_ || !group_->verify_group(delivery_statement(c.broker, c.number, c.height, c.amended_root), c.group_sig)) {
    ++stats_.rejected;
    return;
  }
  // Any valid certificate proves its height was reached: proposals carry the newest one so
  // that clients accept a raise up to it.
  if (!legitimacy_ || c.height > legitimacy_->height) legitimacy_ = c;
  if (!ours) return;
  Batch& b = *it->second;
  b.deliver(c);
  submitting_.erase(b.number());
  for (size_t i = 0; i < b.size(); ++i) host_.send_client(b.member(i).addr, encode(b.delivery(i)));
  ++stats_.batches_delivered;
}

void Broker::on_timer(uint64_t token) {
  const uint64_t kind = token & ~kTokenMask, arg = token & kTokenMask;
  if (kind == kCloseTimer) {
    if (arg == building_gen_ && !building_.empty()) close();
  } else if (kind == kReduceTimer) {
    auto it = batches_.find(arg);
    if (it != batches_.end() && it->second->stage() == Stage::proposal) distill(*it->second);
  } else if (kind == kResubmitTimer) {
    submit_to_replica(arg);
  }
}

// Delivered batches only, oldest first: a batch in proposal is about to be distilled, and a
// distilled one is resubmitted until it is delivered; their clients wait for them. Their number
// is bounded by back-pressure on intake (BrokerConfig::max_undelivered).
void Broker::forget_old_batches() {
  for (auto it = batches_.begin(); batches_.size() > cfg_.max_batches && it != batches_.end();) {
    const Batch& b = *it->second;
    if (b.stage() != Stage::delivered) {
      ++it;
      continue;
    }
    for (ClientId id : b.entries().ids) {
      auto lb = last_batch_.find(id);
      if (lb != last_batch_.end() && lb->second == b.number()) last_batch_.erase(lb);
    }
    it = batches_.erase(it);
  }
}

}  // namespace rampart::broker
