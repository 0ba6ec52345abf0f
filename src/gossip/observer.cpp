#include "gossip/observer.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "ledger/verify.hpp"

namespace rampart::gossip {

Result<std::unique_ptr<Observer>> Observer::open(asio::io_context& io, ObserverOptions opt) {
  if (!opt.verifier) return err("observer: no group verifier");
  auto s = ledger::Store::open(opt.data_dir, opt.cluster_config);
  if (!s) return err("observer: " + s.error().message);
  if ((*s)->last_final() != (*s)->last_block()) return err("observer: data folder holds speculative blocks");
  return std::unique_ptr<Observer>(new Observer(io, std::move(opt), std::move(*s)));
}

Observer::Observer(asio::io_context& io, ObserverOptions opt, std::unique_ptr<ledger::Store> store)
    : opt_(std::move(opt)), store_(std::move(store)), client_(io), timer_(io),
      last_progress_(std::chrono::steady_clock::now()) {}

Observer::~Observer() {
  *alive_ = false;
  timer_.cancel();
}

Status Observer::start() {
  RAMPART_TRY(client_.connect(opt_.gossip_api));
  client_.on_notification([this](const Notification& n) { on_notification(n); });
  client_.on_close([this, alive = std::weak_ptr<bool>(alive_)](const std::string& why) {
    auto a = alive.lock();
    if (a && *a && opt_.on_disconnect) opt_.on_disconnect(why);
  });
  client_.notify(kBlockDataType);
  // A fresh observer asks for what it misses right away instead of waiting for news.
  last_progress_ = std::chrono::steady_clock::now() - opt_.probe_interval;
  tick();
  return {};
}

void Observer::answer(uint16_t message_id, bool valid) {
  client_.validate(message_id, valid);
  ++(valid ? stats_.valid : stats_.invalid);
}

void Observer::on_notification(const Notification& n) {
  auto p = n.data_type == kBlockDataType ? decode_block_part(n.data) : Result<BlockPart>(err("not a block part"));
  if (!p) {
    spdlog::debug("event=observer_refused why=\"{}\"", p.error().message);
    return answer(n.message_id, false);
  }
  const ledger::Block& b = p->block;
  if (b.k == 0 || !ledger::verify_proof(b, *opt_.verifier)) {
    spdlog::info("event=observer_refused k={} why=\"bad proof of execution\"", b.k);
    return answer(n.message_id, false);
  }
  Hash32 h = ledger::block_hash(b);
  if (b.k <= store_->last_block()) {
    // Known height: only a copy of what we stored (same header, same batch bytes) is valid.
    auto mine = store_->block(b.k);
    auto batch = store_->batch(b.k);
    bool same = mine && batch && ledger::block_hash(*mine) == h && batch->size() == p->batch_size &&
                std::equal(p->part.begin(), p->part.end(), batch->begin() + static_cast<long>(p->offset()));
    return answer(n.message_id, same);
  }
  auto& variants = held_[b.k];
  auto it = variants.find(h);
  if (it == variants.end()) {
    if (variants.size() >= opt_.max_variants || held_.size() > opt_.max_held_blocks) {
      if (variants.empty()) held_.erase(b.k);
      return answer(n.message_id, false);
    }
    it = variants.emplace(h, Assembly{b, p->batch_size, p->part_size, p->count, {}, {}}).first;
  }
  Assembly& a = it->second;
  if (a.batch_size != p->batch_size || a.part_size != p->part_size || a.count != p->count)
    return answer(n.message_id, false);  // the same block cut differently: not ours to guess
  auto [part, fresh] = a.parts.emplace(p->index, std::move(p->part));
  if (!fresh && part->second != p->part) return answer(n.message_id, false);
  a.message_ids.push_back(n.message_id);
  advance();
}

void Observer::advance() {
  while (!held_.empty() && held_.begin()->first <= store_->last_block() + 1) {
    auto node = held_.extract(held_.begin());
    uint64_t k = node.key();
    bool stored = false;
    for (auto& [h, a] : node.mapped()) {
      if (k <= store_->last_block()) {  // a sibling was stored: a different block is not valid
        for (uint16_t id : a.message_ids) answer(id, false);
        continue;
      }
      if (a.parts.size() < a.count) {
        held_[k].emplace(h, std::move(a));  // wait for the rest
        continue;
      }
      Bytes batch;
      batch.reserve(a.batch_size);
      for (auto& [i, bytes] : a.parts) batch.insert(batch.end(), bytes.begin(), bytes.end());
      auto prev = store_->block(k - 1);
      Status ok = prev ? ledger::verify_next(*prev, a.block, batch, *opt_.verifier) : Status(prev.error());
      if (ok) ok = store_->append_block(a.block, batch);
      if (!ok) spdlog::info("event=observer_refused k={} why=\"{}\"", k, ok.error().message);
      for (uint16_t id : a.message_ids) answer(id, ok.ok());
      if (ok) {
        if (opt_.on_stored) opt_.on_stored(a.block, batch);
        ++stats_.stored;
        stored = true;
        last_progress_ = std::chrono::steady_clock::now();
      }
    }
    if (!stored) break;  // k is still missing parts (re-inserted above) or had none that linked
  }
  // Heights at or below the end that came in while we were storing are answered next time
  // a part arrives; drop the empty ones.
  for (auto it = held_.begin(); it != held_.end();) it = it->second.empty() ? held_.erase(it) : std::next(it);
}

void Observer::want(uint64_t from, uint64_t to) {
  uint64_t count = std::min<uint64_t>(to - from + 1, kMaxWantCount);
  Want w{from, static_cast<uint32_t>(count), 0};
  randombytes_buf(&w.nonce, sizeof w.nonce);
  if (client_.announce(0, kWantDataType, encode_want(w))) {
    ++stats_.wants;
    spdlog::info("event=observer_want from={} count={}", from, count);
  }
  last_want_ = std::chrono::steady_clock::now();
}

void Observer::tick() {
  auto now = std::chrono::steady_clock::now();
  uint64_t next = store_->last_block() + 1;
  bool gap = !held_.empty() && held_.begin()->first > next;
  bool quiet = now - last_progress_ >= opt_.probe_interval;
  // Ask (again) only when neither a request nor a stored block happened for want_interval:
  // while answers to the last WANT keep coming, asking again would only duplicate them.
  if ((gap || quiet) && now - std::max(last_want_, last_progress_) >= opt_.want_interval) {
    uint64_t to = gap ? held_.begin()->first - 1 : next + kMaxWantCount - 1;
    want(next, to);
    if (quiet) last_progress_ = now;  // probe at most once per probe_interval
  }
  timer_.expires_after(std::chrono::milliseconds(100));
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const asio::error_code& ec) {
    auto a = alive.lock();
    if (!ec && a && *a) tick();
  });
}

}  // namespace rampart::gossip
