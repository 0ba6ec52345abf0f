#include "broker/replica_links.hpp"

#include <spdlog/spdlog.h>

#include "broker/replica_wire.hpp"

namespace rampart::broker {
namespace {

// An incoming record is one outer frame: the sealed inner frames plus the channel's tag.
constexpr size_t kMaxRecord = client::Session::kMaxFrame + net::kFrameHeaderBytes + crypto::Channel::kTagBytes;

}  // namespace

ReplicaLinks::Link::Link(asio::io_context& io) : dec(kMaxRecord), retry(io) {}

ReplicaLinks::ReplicaLinks(asio::io_context& io, const ClusterConfig& cfg, client::SigningKey key, OnDelivered on_delivered)
    : io_(io), cfg_(cfg), key_(std::move(key)), on_delivered_(std::move(on_delivered)) {
  for (uint32_t r = 0; r < cfg.n(); ++r) {
    links_.push_back(std::make_unique<Link>(io));
    links_.back()->replica = r;
  }
}

ReplicaLinks::~ReplicaLinks() {
  for (auto& l : links_) {
    asio::error_code ec;
    if (l->sock) l->sock->close(ec);
    l->retry.cancel();
  }
}

void ReplicaLinks::send(uint32_t replica, Bytes msg) {
  if (replica >= links_.size()) return;
  // The replica's client listener closes a connection on a frame above its limit: sending it
  // would only cost a reconnect per attempt, forever. The batch size is too large for these
  // payloads; nothing but a restart with a smaller --batch-size helps.
  if (msg.size() > client::Session::kMaxFrame) {
    ++counters_.oversize;
    spdlog::error("event=batch_too_large bytes={} limit={} hint=\"lower --batch-size\"", msg.size(),
                  client::Session::kMaxFrame);
    return;
  }
  Link& l = *links_[replica];
  if (l.queue.size() >= kMaxQueued) {
    ++counters_.queue_dropped;  // the core resubmits it elsewhere on its timer
    return;
  }
  l.queue.push_back(std::move(msg));
  if (l.state == State::idle) connect(l);
  else pump(l);
}

void ReplicaLinks::connect(Link& l) {
  const ReplicaEntry* r = cfg_.replica(l.replica);
  asio::error_code ec;
  auto addr = r ? asio::ip::make_address(r->host, ec) : asio::ip::address{};
  if (!r || ec) {
    fail(l, "no address for replica " + std::to_string(l.replica));
    return;
  }
  l.state = State::connecting;
  l.sock = std::make_unique<asio::ip::tcp::socket>(io_);
  const uint64_t gen = l.gen;
  // A replica that accepts and then says nothing must not hold the link forever.
  l.retry.expires_after(std::chrono::milliseconds(kHandshakeTimeoutMs));
  l.retry.async_wait([this, &l, gen](const asio::error_code& e) {
    if (!e && gen == l.gen && l.state != State::ready) fail(l, "no handshake within " + std::to_string(kHandshakeTimeoutMs) + " ms");
  });
  l.sock->async_connect({addr, r->client_port}, [this, &l, gen](const asio::error_code& e) {
    if (gen != l.gen) return;
    if (e) return fail(l, "connect: " + e.message());
    asio::error_code ignore;
    l.sock->set_option(asio::ip::tcp::no_delay(true), ignore);
    auto s = client::Session::to_replica(cfg_, l.replica, key_.pk, key_.sk);
    if (!s) return fail(l, s.error().message);
    l.session.emplace(std::move(*s));
    l.state = State::handshaking;
    l.raw = l.session->hello_frame();
    pump(l);
    read(l);
  });
}

void ReplicaLinks::read(Link& l) {
  const uint64_t gen = l.gen;
  l.sock->async_read_some(asio::buffer(l.buf), [this, &l, gen](const asio::error_code& e, size_t n) {
    if (gen != l.gen) return;
    if (e) return fail(l, "read: " + e.message());
    std::vector<Bytes> frames;
    auto st = l.dec.feed(ByteView(l.buf.data(), n), frames);
    for (const Bytes& f : frames) {
      on_frame(l, f);
      if (gen != l.gen) return;  // the frame broke the link
    }
    if (!st) return fail(l, "malformed frame: " + st.error().message);
    read(l);
  });
}

void ReplicaLinks::on_frame(Link& l, ByteView frame) {
  if (l.state == State::handshaking) {
    // The replica's hello: answer with the key proof. The channel is usable from here on: the
    // records pump() seals next leave after the proof on the same stream.
    auto auth = l.session->on_hello(frame);
    if (!auth) return fail(l, auth.error().message);
    l.raw.insert(l.raw.end(), auth->begin(), auth->end());
    l.state = State::ready;
    l.retry.cancel();
    l.backoff_ms = kFirstBackoffMs;
    ++counters_.connects;
    spdlog::info("event=replica_link_up replica={}", l.replica);
    pump(l);
    return;
  }
  auto st = l.session->open(frame, [&](ByteView f) {
    if (!f.empty() && f[0] == static_cast<uint8_t>(ReplicaKind::delivered)) {
      ++counters_.delivered_in;
      on_delivered_(l.replica, f);
    } else {
      ++counters_.other_dropped;
    }
  });
  if (!st) fail(l, st.error().message);
}

// One write at a time: the handshake's own frames first, then every queued batch sealed as a
// record of its own.
void ReplicaLinks::pump(Link& l) {
  if (l.writing || (l.state != State::handshaking && l.state != State::ready)) return;
  Bytes out = std::move(l.raw);
  l.raw.clear();
  while (l.state == State::ready && !l.queue.empty()) {
    if (auto st = l.session->seal_frame(l.queue.front(), out); !st) return fail(l, st.error().message);
    ++counters_.batches_out;
    counters_.bytes_out += l.queue.front().size();
    l.queue.pop_front();
  }
  if (out.empty()) return;
  // The write owns its bytes: a failure may start a new connection before this one's handler ran.
  auto buf = std::make_shared<Bytes>(std::move(out));
  l.writing = true;
  const uint64_t gen = l.gen;
  asio::async_write(*l.sock, asio::buffer(*buf), [this, &l, gen, buf](const asio::error_code& e, size_t) {
    if (gen != l.gen) return;
    l.writing = false;
    if (e) return fail(l, "write: " + e.message());
    pump(l);
  });
}

// Reconnects (after the back-off) only while something waits to be sent: a replica closing an
// idle connection is not worth a reconnect, and the next batch for it connects again.
void ReplicaLinks::fail(Link& l, const std::string& why) {
  ++counters_.failures;
  ++l.gen;
  asio::error_code ec;
  if (l.sock) l.sock->close(ec);
  l.session.reset();
  l.dec = net::FrameDecoder(kMaxRecord);
  l.raw.clear();
  l.writing = false;
  if (l.queue.empty()) {
    spdlog::info("event=replica_link_down replica={} error=\"{}\"", l.replica, why);
    l.state = State::idle;
    l.retry.cancel();
    return;
  }
  spdlog::warn("event=replica_link_down replica={} error=\"{}\" retry_ms={} queued={}", l.replica, why, l.backoff_ms,
               l.queue.size());
  l.state = State::waiting;
  l.retry.expires_after(std::chrono::milliseconds(l.backoff_ms));
  l.backoff_ms = std::min(l.backoff_ms * 2, kMaxBackoffMs);
  const uint64_t gen = l.gen;
  l.retry.async_wait([this, &l, gen](const asio::error_code& e) {
    if (e || gen != l.gen) return;
    l.state = State::idle;
    connect(l);
  });
}

}  // namespace rampart::broker
