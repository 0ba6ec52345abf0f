#include "gossip/block_announcer.hpp"

#include <spdlog/spdlog.h>

#include "gossip/block_items.hpp"

namespace rampart::gossip {

BlockAnnouncer::BlockAnnouncer(asio::io_context& io, BlockAnnouncerOptions opt)
    : io_(io), opt_(std::move(opt)), retry_(io) {}

BlockAnnouncer::~BlockAnnouncer() {
  *alive_ = false;
  retry_.cancel();
}

void BlockAnnouncer::start() { connect(); }

bool BlockAnnouncer::connected() const { return client_ && client_->connected(); }

void BlockAnnouncer::connect() {
  client_ = std::make_unique<ApiClient>(io_);
  if (auto st = client_->connect(opt_.api); !st) {
    spdlog::debug("event=block_announcer_connect_failed error=\"{}\"", st.error().message);
    client_.reset();
    retry_.expires_after(opt_.retry);
    retry_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
      auto a = alive.lock();
      if (!ec && a && *a) connect();
    });
    return;
  }
  ++stats_.connects;
  client_->on_notification([this](const Notification& n) { on_notification(n); });
  client_->on_close([this, alive = std::weak_ptr<bool>(alive_)](const std::string& why) {
    auto a = alive.lock();
    if (a && *a) on_closed(why);
  });
  if (opt_.fetch) client_->notify(kWantDataType);
  flush();
}

void BlockAnnouncer::on_closed(const std::string& why) {
  spdlog::warn("event=block_announcer_disconnected why=\"{}\"", why);
  // Not reset here: this runs from the client's own posted handler; connect() replaces it.
  retry_.expires_after(opt_.retry);
  retry_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
    auto a = alive.lock();
    if (!ec && a && *a) connect();
  });
}

void BlockAnnouncer::announce(const ledger::Block& b, ByteView batch) {
  ++stats_.blocks;
  auto parts = encode_block_parts(b, batch);
  if (!parts) {
    spdlog::error("event=block_announce_skipped k={} error=\"{}\"", b.k, parts.error().message);
    return;
  }
  for (auto& p : *parts) queue(std::move(p));
  flush();
}

void BlockAnnouncer::queue(Bytes item) {
  queue_.push_back(std::move(item));
  while (queue_.size() > opt_.max_queued) {
    queue_.pop_front();
    ++stats_.dropped;
  }
}

void BlockAnnouncer::flush() {
  if (!connected()) return;
  while (!queue_.empty()) {
    if (!client_->announce(opt_.ttl, kBlockDataType, queue_.front())) return;
    queue_.pop_front();
    ++stats_.items;
  }
}

void BlockAnnouncer::on_notification(const Notification& n) {
  auto w = n.data_type == kWantDataType ? decode_want(n.data) : Result<Want>(err("not a WANT"));
  // A malformed request is refused, so it spreads no further than this module.
  client_->validate(n.message_id, w.ok());
  if (!w || !opt_.fetch) return;
  ++stats_.wants;
  uint64_t last = opt_.last_final ? opt_.last_final() : 0;
  for (uint64_t k = w->from; k < w->from + w->count && k <= last; ++k) {
    auto bb = opt_.fetch(k);
    if (!bb) {
      spdlog::warn("event=block_want_unserved k={} error=\"{}\"", k, bb.error().message);
      break;
    }
    auto parts = encode_block_parts(bb->first, bb->second, w->nonce);
    if (!parts) continue;
    ++stats_.resent;
    for (auto& p : *parts) queue(std::move(p));
  }
  flush();
}

}  // namespace rampart::gossip
