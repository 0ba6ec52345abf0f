#include "gossip/engine.hpp"

#include <vector>

namespace rampart::gossip {

Engine::Engine(EngineIo& io, EngineOptions opt) : io_(io), opt_(opt), seen_(opt.cache_size) {}

size_t Engine::subscribers(uint16_t data_type) const {
  auto it = subs_.find(data_type);
  return it == subs_.end() ? 0 : it->second.size();
}

void Engine::api_open(ConnId c) { conns_.try_emplace(c); }

void Engine::api_message(ConnId c, ByteView message, Clock::time_point now) {
  if (!conns_.count(c)) return;  // closed already; the rest of its read is ignored
  auto m = decode_api(message);
  if (!m) {
    close_api(c, m.error().message);
    return;
  }
  if (auto* n = std::get_if<Notify>(&*m)) {
    subs_[n->data_type].insert(c);
    conns_[c].insert(n->data_type);
  } else if (auto* a = std::get_if<Announce>(&*m)) {
    announce(c, std::move(*a), now);
  } else if (auto* v = std::get_if<Validation>(&*m)) {
    validation(c, *v, now);
  } else {
    close_api(c, "a client may not send NOTIFICATION");
  }
}

void Engine::api_malformed(ConnId c, const std::string& why) {
  if (conns_.count(c)) close_api(c, why);
}

void Engine::close_api(ConnId c, const std::string& why) {
  ++stats_.malformed_api;
  forget_conn(c);
  io_.api_close(c, why);
}

void Engine::api_closed(ConnId c) { forget_conn(c); }

void Engine::forget_conn(ConnId c) {
  auto it = conns_.find(c);
  if (it == conns_.end()) return;
  for (uint16_t t : it->second) {
    auto s = subs_.find(t);
    if (s == subs_.end()) continue;
    s->second.erase(c);
    if (s->second.empty()) subs_.erase(s);
  }
  conns_.erase(it);
  // A subscriber that leaves without answering has not validated: its items are dropped.
  std::vector<uint16_t> dropped;
  for (auto& [id, p] : pending_) {
    if (!p.waiting.erase(c)) continue;
    if (p.forward) dropped.push_back(id);
    else if (p.waiting.empty()) dropped.push_back(id);
  }
  for (uint16_t id : dropped) {
    if (pending_[id].forward) ++stats_.unvalidated;
    finish(id, false, Clock::time_point{});
  }
}

uint16_t Engine::fresh_message_id() {
  // pending_ never holds more than max_pending (< 65536) ids, so this ends.
  while (pending_.count(next_msg_id_)) ++next_msg_id_;
  return next_msg_id_++;
}

bool Engine::notify(const Hash32& id, const ItemMsg& item, PeerId from, bool forward, ConnId except,
                    Clock::time_point now) {
  auto s = subs_.find(item.data_type);
  if (s == subs_.end()) return false;
  std::set<ConnId> to = s->second;
  to.erase(except);
  if (to.empty()) return false;
  uint16_t msg_id = fresh_message_id();
  auto bytes = encode_api(Notification{msg_id, item.data_type, item.data});
  if (!bytes) return false;  // data was bounded by kMaxData on the way in
  Pending p{id, item, from, forward, to, now + opt_.validation_timeout};
  pending_.emplace(msg_id, std::move(p));
  for (ConnId c : to) {
    ++stats_.notifications;
    io_.api_send(c, *bytes);
  }
  return true;
}

void Engine::announce(ConnId c, Announce a, Clock::time_point now) {
  ++stats_.announces;
  Hash32 id = content_id(a.data_type, a.data);
  if (!seen_.insert(id)) return;  // already known here: it spread (or was refused) before
  ItemMsg item{a.ttl, 0, a.data_type, std::move(a.data)};
  if (pending_.size() < opt_.max_pending) notify(id, item, 0, false, c, now);
  forward(item, 0, now);
}

void Engine::validation(ConnId c, const Validation& v, Clock::time_point now) {
  // An unknown id (answered late, after a timeout or a drop) is not malformed: ignored.
  auto it = pending_.find(v.message_id);
  if (it == pending_.end() || !it->second.waiting.count(c)) return;
  Pending& p = it->second;
  if (!v.valid) {
    if (p.forward) ++stats_.invalid;
    finish(v.message_id, false, Clock::time_point{});
    return;
  }
  p.waiting.erase(c);
  if (p.waiting.empty()) finish(v.message_id, p.forward, now);
}

void Engine::finish(uint16_t msg_id, bool spread, Clock::time_point now) {
  auto it = pending_.find(msg_id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.forward) {
    if (auto peer = peers_.find(p.from); peer != peers_.end() && peer->second.pending > 0) --peer->second.pending;
  }
  // A dropped item stays in the seen cache, so other copies of it are not processed again.
  if (spread) forward(p.item, p.from, now);
}

void Engine::forward(const ItemMsg& item, PeerId from, Clock::time_point now) {
  ItemMsg out = item;
  if (from != 0) {
    if (item.ttl == 1) {
      ++stats_.ttl_stopped;
      return;
    }
    if (item.ttl != 0) out.ttl = static_cast<uint8_t>(item.ttl - 1);
  }
  out.hops = static_cast<uint8_t>(item.hops == 255 ? 255 : item.hops + 1);
  ++stats_.forwarded;
  Held h{std::move(out), from, {}, now + opt_.hold_time};
  for (auto& [p, _] : peers_) {
    if (p == from) continue;
    io_.peer_send(p, h.out);
    ++stats_.items_sent;
    h.sent_to.insert(p);
  }
  if (h.sent_to.size() < opt_.degree) {
    held_.push_back(std::move(h));
    while (held_.size() > opt_.cache_size) held_.pop_front();
  }
}

void Engine::peer_up(PeerId p, Clock::time_point now) {
  peers_.try_emplace(p, Peer{TokenBucket(opt_.item_rate, opt_.item_burst, now), 0});
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->from != p && it->sent_to.insert(p).second) {
      io_.peer_send(p, it->out);
      ++stats_.items_sent;
      ++stats_.held_sent;
    }
    if (it->sent_to.size() >= opt_.degree) it = held_.erase(it);
    else ++it;
  }
}

void Engine::peer_down(PeerId p) { peers_.erase(p); }

void Engine::peer_item(PeerId from, ItemMsg item, Clock::time_point now) {
  ++stats_.items_received;
  auto peer = peers_.find(from);
  if (peer == peers_.end()) return;
  if (!peer->second.bucket.take(now)) {
    ++stats_.rate_limited;
    return;
  }
  Hash32 id = content_id(item.data_type, item.data);
  if (seen_.contains(id)) {
    ++stats_.duplicates;
    seen_.insert(id);  // refresh: still circulating
    return;
  }
  if (subscribers(item.data_type) == 0) {
    seen_.insert(id);
    if (on_item) on_item(id, item, from);
    forward(item, from, now);
    return;
  }
  if (peer->second.pending >= opt_.max_pending_per_peer || pending_.size() >= opt_.max_pending) {
    // Not remembered as seen: a later copy, once there is room, is processed.
    ++stats_.pending_full;
    return;
  }
  seen_.insert(id);
  if (on_item) on_item(id, item, from);
  if (notify(id, item, from, true, 0, now)) ++peer->second.pending;
  else forward(item, from, now);
}

void Engine::tick(Clock::time_point now) {
  std::vector<uint16_t> expired;
  for (auto& [id, p] : pending_)
    if (p.deadline <= now) expired.push_back(id);
  for (uint16_t id : expired) {
    if (pending_[id].forward) ++stats_.unvalidated;
    finish(id, false, now);
  }
  while (!held_.empty() && held_.front().deadline <= now) held_.pop_front();
  // Held items are in deadline order (each is pushed with now + hold_time).
}

}  // namespace rampart::gossip
