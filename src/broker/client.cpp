#include "broker/client.hpp"

#include <algorithm>

#include "broker/signup.hpp"

namespace rampart::broker {
namespace {

Status check_leaf(const Hash32& root, ClientId id, uint64_t seq, ByteView payload, const crypto::merkle::Proof& p,
                  const char* what) {
  if (!crypto::merkle::verify(root, entry_leaf(id, seq, payload), p).ok())
    return err(std::string("broker client: ") + what + " is not a leaf of the root at the index given");
  return {};
}

}  // namespace

Client::Client(ClientConfig cfg, crypto::ed25519::KeyPair ed, crypto::bls::SecretKey bls,
               const crypto::ThresholdVerifier* group, ClientHost& host)
    : cfg_(cfg), ed_(std::move(ed)), bls_(std::move(bls)), group_(group), host_(host),
      broker_(cfg.brokers ? cfg.first_broker % cfg.brokers : 0),
      next_seq_(cfg.first_seq), introduced_(cfg_.brokers, false), cookies_(cfg_.brokers) {}

Status Client::submit(ByteView payload) {
  if (out_) return err("broker client: a message is still outstanding");
  if (payload.size() > kMaxPayload) return err("broker client: payload longer than " + std::to_string(kMaxPayload) + " bytes");
  Outstanding o;
  o.submit.id = cfg_.id;
  o.submit.seq = next_seq_;
  o.submit.payload.assign(payload.begin(), payload.end());
  o.submit.sig = ed_.sign(submit_statement(cfg_.id, next_seq_, payload));
  o.wire = encode(o.submit);
  o.backoff = cfg_.retransmit_ms;
  out_ = std::move(o);
  ++stats_.submitted;
  send_submit();
  arm_timer();
  return {};
}

void Client::send_submit() {
  if (!cfg_.signup_cert.empty() && !introduced_to(broker_)) {
    host_.send_broker(broker_, encode_signup_cert(cfg_.signup_cert));
    ++stats_.certificates_sent;
  }
  if (broker_ < cookies_.size() && cookies_[broker_]) {
    Submit with = out_->submit;
    with.cookie = cookies_[broker_];
    host_.send_broker(broker_, encode(with));
  } else {
    host_.send_broker(broker_, out_->wire);
  }
}

void Client::arm_timer() { host_.set_timer(++timer_gen_, out_->backoff); }

void Client::on_timer(uint64_t token) {
  if (!out_ || token != timer_gen_) return;  // stale: delivered, or re-armed since
  if (++out_->silent >= cfg_.attempts_per_broker && cfg_.brokers > 1) {
    // This broker stopped making progress on our message: the next one gets the same Submit
    // (the replicas' dedup makes a message that both deliver count once).
    broker_ = (broker_ + 1) % cfg_.brokers;
    out_->silent = 0;
    out_->backoff = cfg_.retransmit_ms;
    ++stats_.broker_switches;
  } else {
    out_->backoff = std::min(out_->backoff * 2, cfg_.max_retransmit_ms);
  }
  ++stats_.retransmits;
  send_submit();
  arm_timer();
}

void Client::on_message(uint32_t broker, ByteView msg) {
  if (!msg.empty() && msg[0] == kSignedUpKind) {
    auto id = decode_signed_up(msg);
    if (!id) return reject(id.error());
    if (*id != cfg_.id || cfg_.signup_cert.empty() || broker >= introduced_.size())
      return reject(err("broker client: an acknowledgement of a sign-up we did not hand over"));
    introduced_[broker] = true;
    return;
  }
  auto m = decode_client_message(msg);
  if (!m) return reject(m.error());
  if (auto* c = std::get_if<CookieReply>(&*m)) {
    if (broker >= cookies_.size()) return reject(err("broker client: a cookie from an unknown broker"));
    const bool fresh = cookies_[broker] != c->cookie;
    cookies_[broker] = c->cookie;
    ++stats_.cookies;
    // Our Submit was not taken: again at once with the cookie, unless that very cookie was
    // refused or we did so twice for this message already (an address that changes on every
    // datagram gets a new cookie each time); then the retransmission timer paces us, so a
    // broker or the path to it cannot make us loop.
    if (fresh && out_ && broker == broker_ && out_->cookie_resends < 2) {
      ++out_->cookie_resends;
      send_submit();
    }
    return;
  }
  if (!out_) {
    ++stats_.stale;  // e.g. the copy of a delivery that a retransmission asked for twice
    return;
  }
  if (auto* inc = std::get_if<Inclusion>(&*m)) on_inclusion(broker, *inc);
  else if (auto* d = std::get_if<Delivery>(&*m)) on_delivery(*d);
  else reject(err("broker client: unexpected message kind from a broker"));
}

void Client::reject(const Error& e) {
  ++stats_.rejected;
  stats_.last_rejection = e.message;
}

bool Client::cert_verifies(const DeliveryCert& c) const {
  return group_ && group_->verify_group(delivery_statement(c.broker, c.number, c.height, c.amended_root), c.group_sig);
}

Status Client::check_inclusion(const Inclusion& m) const {
  if (!out_) return err("broker client: no message outstanding");
  const Submit& s = out_->submit;
  if (m.raise < s.seq) return err("broker client: raise is below our sequence number");
  if (m.raise != s.seq && m.raise > certified_height_ &&
      !(m.legitimacy && m.legitimacy->height >= m.raise && cert_verifies(*m.legitimacy)))
    return err("broker client: raise is above every height the replicas certified (not legitimate)");
  RAMPART_TRY(check_leaf(m.root, s.id, m.raise, s.payload, m.proof, "our entry"));
  const uint32_t idx = m.proof.index, count = m.proof.leaf_count;
  // Neighbours: present exactly where the tree has them, adjacent, ids strictly around ours.
  if ((idx > 0) != m.left.has_value()) return err("broker client: left neighbour missing or invented");
  if ((idx + 1 < count) != m.right.has_value()) return err("broker client: right neighbour missing or invented");
  if (m.left) {
    if (m.left->id == s.id) return err("broker client: our id appears twice in the batch (duplicated id)");
    if (m.left->id > s.id) return err("broker client: ids not strictly increasing (left neighbour above us)");
    if (m.left->proof.index != idx - 1 || m.left->proof.leaf_count != count)
      return err("broker client: left neighbour is not next to us");
    RAMPART_TRY(check_leaf(m.root, m.left->id, m.raise, m.left->payload, m.left->proof, "left neighbour"));
  }
  if (m.right) {
    if (m.right->id == s.id) return err("broker client: our id appears twice in the batch (duplicated id)");
    if (m.right->id < s.id) return err("broker client: ids not strictly increasing (right neighbour below us)");
    if (m.right->proof.index != idx + 1 || m.right->proof.leaf_count != count)
      return err("broker client: right neighbour is not next to us");
    RAMPART_TRY(check_leaf(m.root, m.right->id, m.raise, m.right->payload, m.right->proof, "right neighbour"));
  }
  return {};
}

void Client::on_inclusion(uint32_t from, const Inclusion& m) {
  if (auto st = check_inclusion(m); !st) return reject(st.error());
  // A newer certified height lets later proposals with a higher raise through.
  if (m.legitimacy && m.legitimacy->height > certified_height_ && cert_verifies(*m.legitimacy))
    certified_height_ = m.legitimacy->height;
  auto& acc = out_->accepted;
  const bool known = std::any_of(acc.begin(), acc.end(), [&](const Accepted& a) {
    return a.broker == m.broker && a.number == m.number && a.root == m.root;
  });
  if (!known) {
    acc.push_back({m.broker, m.number, m.root, m.raise});
    if (from == broker_) out_->silent = 0;  // progress
  }
  // Sent again for a known batch too: our first reduction may have been lost.
  Reduction r;
  r.id = cfg_.id;
  r.number = m.number;
  r.root = m.root;
  r.sig = crypto::bls::sign(bls_, reduce_statement(m.root)).to_raw();
  host_.send_broker(from, encode(r));
  ++stats_.reductions_sent;
}

Status Client::check_delivery(const Delivery& d) const {
  if (!out_) return err("broker client: no message outstanding");
  const Submit& s = out_->submit;
  const DeliveryCert& c = d.cert;
  if (!cert_verifies(c))
    return err("broker client: delivery certificate does not verify against the group key");
  const auto& acc = out_->accepted;
  const bool reduced_at = std::any_of(acc.begin(), acc.end(), [&](const Accepted& a) {
    return a.broker == c.broker && a.number == c.number && a.raise == d.seq;
  });
  if (d.seq != s.seq && !reduced_at) return err("broker client: delivered at a sequence number we never signed for");
  return check_leaf(c.amended_root, s.id, d.seq, s.payload, d.proof, "our entry");
}

void Client::on_delivery(const Delivery& d) {
  if (auto st = check_delivery(d); !st) {
    // A certified delivery of the message before this one (a second batch holding it, through
    // another broker or a retransmission) is old news, not a lie.
    if (last_payload_ && cert_verifies(d.cert) &&
        check_leaf(d.cert.amended_root, cfg_.id, d.seq, *last_payload_, d.proof, "our previous entry")) {
      ++stats_.stale;
      return;
    }
    return reject(st.error());
  }
  last_payload_ = out_->submit.payload;
  delivered_ = DeliveredInfo{d.seq, d.cert};
  certified_height_ = std::max(certified_height_, d.cert.height);
  // The next message must be above what the replicas recorded; the height keeps it legitimate.
  next_seq_ = std::max(d.seq + 1, d.cert.height);
  out_.reset();
  ++timer_gen_;  // the armed retransmission is stale now
  ++stats_.delivered;
  if (on_delivered) on_delivered(*delivered_);
}

}  // namespace rampart::broker
