#include "gossip/peers.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "crypto/channel.hpp"
#include "gossip/handshake.hpp"
#include "net/connection.hpp"
#include "net/frame.hpp"

namespace rampart::gossip {
namespace {

using std::chrono::milliseconds;
// A sealed ITEM is at most its data, a few header bytes and the AEAD tag.
constexpr size_t kMaxSealedFrame = kMaxData + 64 + crypto::Channel::kTagBytes;
// A link that ends this soon after it came up counts as a failed dial (e.g. a full peer that
// answered with its PEERS list and hung up), so its address backs off.
constexpr milliseconds kShortLived{2000};
constexpr milliseconds kMaxBackoff{30000};

struct Link {
  std::shared_ptr<net::Connection> conn;
  std::unique_ptr<Handshake> hs;
  std::optional<crypto::Channel> ch;
  bool outbound = false;
  std::string dial_address;
  PeerInfo info;
  bool up = false;
  bool failed = false;   // handshake failure already counted
  bool leaving = false;  // close once the write buffer drained
  Clock::time_point up_since{};
};

struct Known {
  Clock::time_point next_try{};
  int failures = 0;
  bool bootstrap = false;
};

}  // namespace

struct PeerManager::Impl : std::enable_shared_from_this<PeerManager::Impl> {
  Impl(asio::io_context& io_, std::shared_ptr<const HostKey> k, PeerOptions o, Handlers h_)
      : io(io_), key(std::move(k)), opt(std::move(o)), h(std::move(h_)), acceptor(io_), timer(io_),
        counters(std::make_shared<net::CounterSet>()), rng(randombytes_random()) {}

  asio::io_context& io;
  std::shared_ptr<const HostKey> key;
  PeerOptions opt;
  Handlers h;
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer timer;
  std::shared_ptr<net::CounterSet> counters;
  std::map<PeerId, Link> links;
  std::map<std::string, Known> known;
  std::set<std::string> dialing;  // resolving or connecting
  std::string address;
  Identity self{};
  PeerStats stats;
  PeerId next_id = 1;
  bool stopped = false;
  Clock::time_point last_peers_request{};
  std::mt19937_64 rng;

  size_t up_count() const {
    size_t n = 0;
    for (auto& [id, l] : links) n += l.up ? 1 : 0;
    return n;
  }

  bool linked_to(const std::string& addr) const {
    for (auto& [id, l] : links)
      if (l.dial_address == addr || (l.up && l.info.address == addr)) return true;
    return dialing.count(addr) != 0;
  }

  void learn(const std::string& raw, Clock::time_point now) {
    auto a = parse_address(raw);
    if (!a) return;
    std::string s = a->str();
    if (s == address || known.count(s)) return;
    if (known.size() >= opt.max_known) {
      // Forget a random address that is not a bootstrapper, so fresh ones still get in.
      auto it = known.begin();
      std::advance(it, static_cast<long>(rng() % known.size()));
      if (it->second.bootstrap) return;
      known.erase(it);
    }
    known[s] = Known{now, 0, false};
  }

  void backoff(const std::string& addr, bool failed, Clock::time_point now) {
    auto it = known.find(addr);
    if (it == known.end()) return;
    Known& k = it->second;
    k.failures = failed ? std::min(k.failures + 1, 16) : 0;
    auto wait = opt.redial_backoff * (1 << std::min(k.failures, 5));
    k.next_try = now + std::min<milliseconds>(wait, kMaxBackoff);
  }

  void accept_loop() {
    acceptor.async_accept([w = weak_from_this()](const asio::error_code& ec, asio::ip::tcp::socket s) {
      auto me = w.lock();
      if (!me || me->stopped || ec == asio::error::operation_aborted) return;
      if (!ec) {
        size_t pending = 0;
        for (auto& [id, l] : me->links) pending += (!l.up && !l.outbound) ? 1 : 0;
        if (pending >= me->opt.max_pending_handshakes) {
          asio::error_code ignored;
          s.close(ignored);
        } else {
          me->add_link(std::move(s), false, "");
        }
      }
      me->accept_loop();
    });
  }

  void dial(const std::string& addr) {
    auto a = parse_address(addr);
    if (!a) return;
    ++stats.dials;
    dialing.insert(addr);
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(io);
    resolver->async_resolve(a->host, std::to_string(a->port),
        [w = weak_from_this(), addr, resolver](const asio::error_code& ec, asio::ip::tcp::resolver::results_type res) {
          auto me = w.lock();
          if (!me || me->stopped) return;
          if (ec) return me->dial_failed(addr, ec.message());
          auto sock = std::make_shared<asio::ip::tcp::socket>(me->io);
          asio::async_connect(*sock, res, [w, addr, sock](const asio::error_code& ec2, const asio::ip::tcp::endpoint&) {
            auto me = w.lock();
            if (!me || me->stopped) return;
            if (ec2) return me->dial_failed(addr, ec2.message());
            me->dialing.erase(addr);
            me->add_link(std::move(*sock), true, addr);
          });
        });
  }

  void dial_failed(const std::string& addr, const std::string& why) {
    spdlog::debug("event=gossip_dial_failed addr={} why=\"{}\"", addr, why);
    dialing.erase(addr);
    backoff(addr, true, Clock::now());
  }

  void add_link(asio::ip::tcp::socket s, bool outbound, const std::string& dial_address) {
    PeerId id = next_id++;
    Link& l = links[id];
    l.outbound = outbound;
    l.dial_address = dial_address;
    l.conn = std::make_shared<net::Connection>(std::move(s), kMaxHandshakeFrame, counters);
    l.hs = std::make_unique<Handshake>(HandshakeParams{outbound ? Role::dialer : Role::acceptor, key, address,
                                                       opt.difficulty, opt.max_difficulty});
    l.conn->set_deadline(opt.handshake_timeout);
    net::Connection::Handlers ch;
    auto w = weak_from_this();
    ch.on_frame = [w, id](ByteView f) {
      if (auto me = w.lock(); me && !me->stopped) me->on_frame(id, f);
    };
    ch.on_writable = [w, id] {
      if (auto me = w.lock(); me && !me->stopped) me->on_writable(id);
    };
    ch.on_close = [w, id](const std::string& why) {
      if (auto me = w.lock(); me && !me->stopped) me->on_closed(id, why);
    };
    l.conn->start(std::move(ch));
    if (outbound) send_plain(l, l.hs->start());
  }

  static void send_plain(Link& l, ByteView frame) {
    l.conn->send_frame(frame);
    l.conn->flush();
  }

  bool send_sealed(Link& l, const P2pMessage& m) {
    if (!l.ch || l.conn->closed()) return false;
    if (!net::append_sealed_frame(*l.ch, encode_p2p(m), l.conn->fill_buffer())) return false;
    l.conn->frame_appended();
    l.conn->flush();
    return true;
  }

  void fail(PeerId id, Link& l, const std::string& why) {
    spdlog::debug("event=gossip_link_failed peer={} why=\"{}\"", id, why);
    l.conn->close(why);
  }

  void on_frame(PeerId id, ByteView f) {
    auto it = links.find(id);
    if (it == links.end()) return;
    Link& l = it->second;
    if (l.leaving) return;
    if (l.hs) {
      auto out = l.hs->on_frame(f);
      if (!out) {
        ++stats.handshake_failures;
        if (l.hs->pow_failed()) ++stats.pow_failures;
        l.failed = true;
        return fail(id, l, out.error().message);
      }
      for (auto& fr : *out) send_plain(l, fr);
      if (l.hs->done()) established(id, l);
      return;
    }
    auto plain = l.ch->open(f);
    if (!plain) {
      ++stats.bad_frames;
      return fail(id, l, "sealed frame failed to open");
    }
    auto m = decode_p2p(*plain);
    if (!m) {
      ++stats.bad_frames;
      return fail(id, l, m.error().message);
    }
    if (auto* item = std::get_if<ItemMsg>(&*m)) {
      ++stats.items_in;
      if (l.up && h.on_item) h.on_item(id, std::move(*item));
    } else if (std::holds_alternative<PeersRequest>(*m)) {
      send_peers(id, l);
    } else if (opt.discovery) {
      auto now = Clock::now();
      for (auto& a : std::get<PeersMsg>(*m).addresses) learn(a, now);
    }
  }

  void established(PeerId id, Link& l) {
    l.conn->clear_deadline();
    l.conn->decoder().set_max_frame(kMaxSealedFrame);
    l.info = l.hs->peer();
    l.ch.emplace(l.hs->take_channel());
    l.hs.reset();
    ++stats.handshakes;
    auto now = Clock::now();
    if (opt.discovery && !l.outbound) learn(l.info.address, now);
    // One link per identity. When both sides dialed at once, both keep the link dialed by the
    // smaller identity, so they agree without talking about it.
    for (auto& [oid, o] : links) {
      if (oid == id || !o.up || o.info.id != l.info.id) continue;
      const Identity& smaller = std::min(self, l.info.id);
      bool mine_preferred = (l.outbound ? self : l.info.id) == smaller;
      bool theirs_preferred = (o.outbound ? self : o.info.id) == smaller;
      ++stats.duplicates_closed;
      if (mine_preferred && !theirs_preferred) {
        o.conn->close("duplicate link to one peer");
        break;
      }
      l.conn->close("duplicate link to one peer");
      return;
    }
    if (!l.outbound && up_count() >= opt.max_peers) {
      // Full: tell the caller where else to go, then hang up.
      ++stats.refused_full;
      send_peers(id, l);
      l.leaving = true;
      l.conn->set_deadline(std::chrono::milliseconds(1000));
      return;
    }
    l.up = true;
    l.up_since = now;
    spdlog::debug("event=gossip_peer_up self={} peer={} addr={} outbound={}", short_id(self), short_id(l.info.id),
                  l.info.address, l.outbound);
    if (h.on_up) h.on_up(id);
    auto again = links.find(id);  // on_up may have sent, but never removes links
    if (again != links.end() && opt.discovery) send_sealed(again->second, PeersRequest{});
  }

  void send_peers(PeerId id, Link& l) {
    PeersMsg m;
    std::vector<std::string> addrs;
    for (auto& [oid, o] : links)
      if (oid != id && o.up && o.info.address != l.info.address) addrs.push_back(o.info.address);
    std::shuffle(addrs.begin(), addrs.end(), rng);
    if (addrs.size() > kMaxPeerList) addrs.resize(kMaxPeerList);
    if (addrs.size() < kMaxPeerList) {
      // Top up with addresses that worked recently.
      std::vector<std::string> more;
      for (auto& [a, k] : known)
        if (k.failures == 0 && a != l.info.address && std::find(addrs.begin(), addrs.end(), a) == addrs.end())
          more.push_back(a);
      std::shuffle(more.begin(), more.end(), rng);
      for (auto& a : more) {
        if (addrs.size() >= kMaxPeerList) break;
        addrs.push_back(a);
      }
    }
    m.addresses = std::move(addrs);
    send_sealed(l, m);
  }

  void on_writable(PeerId id) {
    auto it = links.find(id);
    if (it != links.end() && it->second.leaving && it->second.conn->pending_bytes() == 0)
      it->second.conn->close("full: sent our peer list");
  }

  void on_closed(PeerId id, const std::string& why) {
    auto it = links.find(id);
    if (it == links.end()) return;
    Link l = std::move(it->second);
    links.erase(it);
    auto now = Clock::now();
    if (!l.up && !l.failed && !l.leaving) ++stats.handshake_failures;
    if (l.outbound) {
      bool short_lived = !l.up || now - l.up_since < kShortLived;
      backoff(l.dial_address, short_lived, now);
    }
    spdlog::debug("event=gossip_link_closed self={} peer={} up={} why=\"{}\"", short_id(self), id, l.up, why);
    if (l.up && h.on_down) h.on_down(id);
  }

  void maintain() {
    if (stopped) return;
    auto now = Clock::now();
    size_t up = up_count();
    size_t in_progress = dialing.size();
    for (auto& [id, l] : links) in_progress += (l.outbound && !l.up) ? 1 : 0;
    if (up + in_progress < opt.degree) {
      std::vector<std::string> cands;
      for (auto& [a, k] : known)
        if (k.next_try <= now && (opt.discovery || k.bootstrap) && !linked_to(a)) cands.push_back(a);
      std::shuffle(cands.begin(), cands.end(), rng);
      size_t want = opt.degree - up - in_progress;
      for (size_t i = 0; i < cands.size() && i < want; ++i) dial(cands[i]);
    }
    if (opt.discovery && up > 0 && up < opt.degree && now - last_peers_request >= opt.peers_request_interval) {
      last_peers_request = now;
      std::vector<PeerId> ups;
      for (auto& [id, l] : links)
        if (l.up) ups.push_back(id);
      send_sealed(links[ups[rng() % ups.size()]], PeersRequest{});
    }
    timer.expires_after(opt.maintain_interval);
    timer.async_wait([w = weak_from_this()](const asio::error_code& ec) {
      if (ec) return;
      if (auto me = w.lock()) me->maintain();
    });
  }
};

PeerManager::PeerManager(asio::io_context& io, std::shared_ptr<const HostKey> key, PeerOptions opt, Handlers h)
    : impl_(std::make_shared<Impl>(io, std::move(key), std::move(opt), std::move(h))) {}
PeerManager::~PeerManager() { stop(); }

Result<uint16_t> PeerManager::listen() {
  auto& m = *impl_;
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(m.io);
  auto results = resolver.resolve(m.opt.listen.host, std::to_string(m.opt.listen.port), ec);
  if (ec || results.empty()) return err("cannot resolve P2P address " + m.opt.listen.str() + ": " + ec.message());
  auto ep = results.begin()->endpoint();
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    m.acceptor.close(ignored);
    return err("cannot listen on P2P address " + m.opt.listen.str() + ": " + ec.message());
  }
  uint16_t port = m.acceptor.local_endpoint().port();
  m.address = Address{m.opt.listen.host, port}.str();
  m.self = identity_of(m.key->public_der(), m.address);
  return port;
}

void PeerManager::start() {
  auto& m = *impl_;
  if (!m.opt.bootstrapper.empty()) {
    auto b = parse_address(m.opt.bootstrapper);
    if (b && b->str() != m.address) m.known[b->str()] = Known{Clock::time_point{}, 0, true};
  }
  m.accept_loop();
  m.maintain();
}

void PeerManager::stop() {
  if (!impl_ || impl_->stopped) return;
  auto& m = *impl_;
  m.stopped = true;
  asio::error_code ignored;
  m.acceptor.close(ignored);
  m.timer.cancel();
  for (auto& [id, l] : m.links) l.conn->close("module stopped");
  m.links.clear();
}

void PeerManager::send(PeerId p, const ItemMsg& item) {
  auto it = impl_->links.find(p);
  if (impl_->stopped || it == impl_->links.end() || !it->second.up) return;
  Link& l = it->second;
  if (l.conn->pending_bytes() > impl_->opt.max_queue_bytes) {
    ++impl_->stats.send_dropped;
    return;
  }
  if (impl_->send_sealed(l, item)) ++impl_->stats.items_out;
}

const Identity& PeerManager::identity() const { return impl_->self; }
const std::string& PeerManager::address() const { return impl_->address; }
size_t PeerManager::active() const { return impl_->up_count(); }
std::vector<std::string> PeerManager::peer_addresses() const {
  std::vector<std::string> v;
  for (auto& [id, l] : impl_->links)
    if (l.up) v.push_back(l.info.address);
  return v;
}
PeerStats PeerManager::stats() const { return impl_->stats; }

}  // namespace rampart::gossip
