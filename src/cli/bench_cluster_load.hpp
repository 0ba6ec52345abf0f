#pragma once
// The load generator of `rampart bench cluster`: closed-loop clients over one connection per
// replica, checking every reply (Merkle proof; group signature once per batch). Only
// bench_cluster.cpp includes this.
#include <sodium.h>
#include <unistd.h>

#include <asio.hpp>
#include <bit>
#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <random>
#include <set>

#include "app/kv/op.hpp"
#include "client/session.hpp"
#include "replica/client_wire.hpp"
#include "common/config.hpp"
#include "crypto/interfaces.hpp"
#include "crypto/merkle.hpp"
#include "ledger/block.hpp"
#include "net/frame.hpp"

namespace rampart::cli::cluster_bench {

struct Args {
  uint32_t replicas = 4, clients = 200, duration = 10, batch = 4000, keys = 1000;
  std::string protocol = "poe", auth = "ed25519", json;
  uint16_t base_port = 0;
  bool keep = false;
  uint64_t presign = 0;
  int64_t batch_timeout_ms = -1;  // -1: keygen's default
  uint32_t pause_ms = 0;  // SIGSTOP replica 0 (view 0's primary) this long, in the middle of the window
  bool timeline = false;  // print where a request's time goes (bench_cluster_timeline.hpp)
};

struct VClient {
  Bytes pk, sk;
  replica::ClientId id = 0;
  uint64_t seq = 0;
  uint32_t conn = 0;
  std::chrono::steady_clock::time_point sent;
  std::deque<Bytes> ready;  // pre-signed request frames for seq + 1, seq + 2, ...
};

// Client index by id, open addressing. Ids are hash outputs (client_id_of), so their low bits
// spread evenly; one probe usually lands on the slot. An unordered_map's bucket array and node
// were two cache misses per reply and ~17% of the load generator's time with 12,000 clients.
class ClientIndex {
 public:
  static constexpr size_t kNone = SIZE_MAX;
  explicit ClientIndex(size_t n) : slots_(std::bit_ceil(2 * n + 2)), mask_(slots_.size() - 1) {}
  void add(replica::ClientId id, size_t i) {
    size_t h = id & mask_;
    while (slots_[h].i != kNone) h = (h + 1) & mask_;
    slots_[h] = {id, i};
  }
  size_t find(replica::ClientId id) const {
    for (size_t h = id & mask_;; h = (h + 1) & mask_) {
      if (slots_[h].i == kNone) return kNone;
      if (slots_[h].id == id) return slots_[h].i;
    }
  }

 private:
  struct Slot {
    replica::ClientId id = 0;
    size_t i = kNone;
  };
  std::vector<Slot> slots_;
  size_t mask_;
};

struct Conn {
  std::unique_ptr<asio::ip::tcp::socket> sock;
  std::optional<client::Session> session;  // the client channel, opened with the relay key
  net::FrameDecoder dec{client::Session::kMaxFrame + net::kFrameHeaderBytes + crypto::Channel::kTagBytes};
  std::array<uint8_t, 256 * 1024> buf{};
  Bytes pt;  // request frames not yet sealed
  Bytes out, inflight;
  bool writing = false;
};

// ---- the load generator --------------------------------------------------------------------

// C closed-loop clients over one connection per replica, on one io thread: each sends its next
// request when its reply (Merkle proof and, once per batch, group signature) checked out. The
// connections are opened with a relay's key (cluster.toml lists it), as a gateway's would be:
// a client's own connection may carry only its own requests.
class Load {
 public:
  static constexpr size_t kRecordTarget = 64 * 1024;
  Load(const Args& a, const ClusterConfig& cfg, const crypto::ThresholdVerifier& group, const client::SigningKey& relay)
      : a_(a), cfg_(cfg), group_(group), relay_(relay), conns_(cfg.n()), vc_(a.clients), by_id_(vc_.size()) {
    lat_us.reserve(1 << 20);
  }

  asio::io_context io;
  std::vector<double> lat_us;  // of replies in the measured window
  uint64_t done_ops = 0, bad = 0;
  bool measuring = false;

  // Connect (retrying while the replicas start).
  bool connect() {
    for (uint32_t i = 0; i < cfg_.n(); ++i) {
      const auto* r = cfg_.replica(i);
      for (int attempt = 0;; ++attempt) {
        conns_[i].sock = std::make_unique<asio::ip::tcp::socket>(io);
        asio::error_code ec;
        conns_[i].sock->connect({asio::ip::make_address(r->host), r->client_port}, ec);
        if (!ec) break;
        if (attempt > 200) {
          std::fprintf(stderr, "error: replica %u did not come up\n", i);
          return false;
        }
        ::usleep(50000);
      }
      conns_[i].sock->set_option(asio::ip::tcp::no_delay(true));
      if (auto st = handshake(i); !st) {
        std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
        return false;
      }
    }
    for (size_t i = 0; i < vc_.size(); ++i) {
      vc_[i].pk.resize(32);
      vc_[i].sk.resize(64);
      crypto_sign_keypair(vc_[i].pk.data(), vc_[i].sk.data());
      vc_[i].id = client::client_id_of(vc_[i].pk);
      vc_[i].conn = static_cast<uint32_t>(i % cfg_.n());
      by_id_.add(vc_[i].id, i);
    }
    return true;
  }

  // Requests are signed before the measurement starts, so the load generator's Ed25519 signing
  // (~20 us each) does not compete with the replicas for this machine's cores.
  void presign() {
    uint64_t per_client = a_.presign ? a_.presign : (20000ull * (a_.duration + 2)) / std::max<uint32_t>(a_.clients, 1) + 2;
    for (auto& v : vc_)
      for (uint64_t s = 1; s <= per_client; ++s) v.ready.push_back(make_frame(v, s));
  }

  void start() {
    for (uint32_t c = 0; c < cfg_.n(); ++c) read(c);
    for (size_t i = 0; i < vc_.size(); ++i) send(i);
  }
  void stop() { stopping_ = true; }

 private:
  // The client channel, before the load starts (blocking): hello, the replica's hello, key proof.
  Status handshake(uint32_t i) {
    Conn& k = conns_[i];
    auto s = client::Session::to_replica(cfg_, i, relay_.pk, relay_.sk);
    if (!s) return s.error();
    k.session.emplace(std::move(*s));
    asio::error_code ec;
    asio::write(*k.sock, asio::buffer(k.session->hello_frame()), ec);
    std::vector<Bytes> frames;
    while (!ec && frames.empty()) {
      size_t n = k.sock->read_some(asio::buffer(k.buf), ec);
      if (!ec && !k.dec.feed(ByteView(k.buf.data(), n), frames)) return err("replica " + std::to_string(i) + " sent a malformed frame");
    }
    if (ec) return err("handshake with replica " + std::to_string(i) + ": " + ec.message());
    auto auth = k.session->on_hello(frames.front());
    if (!auth) return auth.error();
    asio::write(*k.sock, asio::buffer(*auth), ec);
    if (ec) return err("handshake with replica " + std::to_string(i) + ": " + ec.message());
    return {};
  }

  Bytes make_frame(VClient& v, uint64_t seq) {
    std::string key = "key" + std::to_string(rng_() % a_.keys);
    Bytes payload = v.pk;
    Bytes op = app::kv::encode_op(app::kv::put(key, "value-" + std::to_string(seq)));
    payload.insert(payload.end(), op.begin(), op.end());
    replica::Request r;
    r.client = v.id;
    r.seq = seq;
    r.payload = std::move(payload);
    if (a_.auth != "none") {
      Bytes msg = replica::request_signing_bytes(r.client, r.seq, r.payload);
      r.sig.resize(crypto_sign_BYTES);
      crypto_sign_detached(r.sig.data(), nullptr, msg.data(), msg.size(), v.sk.data());
    }
    return client::encode_request_frame(r);
  }

  // Requests queued while a write is in flight go out sealed together as one record (a seal
  // costs ~0.7 us before its first byte on this machine).
  void seal(Conn& k) {
    if (k.pt.empty()) return;
    if (!k.session->seal_frames(k.pt, k.out)) bad++;
    k.pt.clear();
  }

  void flush(uint32_t c) {
    Conn& k = conns_[c];
    if (k.writing) return;
    seal(k);
    if (k.out.empty()) return;
    std::swap(k.out, k.inflight);
    k.out.clear();
    k.writing = true;
    asio::async_write(*k.sock, asio::buffer(k.inflight), [this, c](const asio::error_code& ec, size_t) {
      conns_[c].writing = false;
      if (!ec) flush(c);
    });
  }

  void send(size_t i) {
    VClient& v = vc_[i];
    v.seq++;
    Bytes frame;
    if (!v.ready.empty()) {
      frame = std::move(v.ready.front());
      v.ready.pop_front();
    } else {
      frame = make_frame(v, v.seq);
    }
    Conn& k = conns_[v.conn];
    if (k.pt.size() + frame.size() + net::kFrameHeaderBytes > kRecordTarget) seal(k);
    net::append_frame(k.pt, frame);
    v.sent = std::chrono::steady_clock::now();
    flush(v.conn);
  }

  // Per read: every reply first (read in place, no copies), then their Merkle proofs together
  // (merkle::verify_many hashes one tree level of all of them per SIMD call). Buffers are
  // reused from read to read.
  void on_record(Conn& k, ByteView sealed) {
    if (!k.session->open(sealed, [this](ByteView f) { on_frame(f); })) bad++;
  }

  void on_frame(ByteView f) {
    auto rp = client::decode_reply_view(f);
    if (!rp) return;
    const size_t i = by_id_.find(rp->client);
    if (i == ClientIndex::kNone || vc_[i].seq != rp->seq) return;
    auto proof = crypto::merkle::Proof::decode(rp->proof);
    if (!proof) {
      bad++;
      return;
    }
    // The group signature now, while the frame's bytes are still valid (the view may point into
    // the decoder's buffer); once per batch (replies come in runs of one batch).
    const std::pair<uint64_t, Hash32> batch{rp->k, client::reply_block_hash(*rp)};
    if (batch != last_verified_ && !verified_batches_.count(batch)) {
      if (!group_.verify_group(ledger::proof_message(rp->view, rp->k, client::reply_block_hash(*rp)), rp->group_sig)) {
        bad++;
        return;
      }
      verified_batches_.insert(batch);
    }
    last_verified_ = batch;
    client::append_reply_leaf(leaf_bytes_, rp->client, rp->seq, rp->kind, rp->result);
    leaf_at_.push_back(leaf_bytes_.size());
    got_.push_back({i, rp->results_root, std::move(*proof)});
  }

  void read(uint32_t c) {
    conns_[c].sock->async_read_some(asio::buffer(conns_[c].buf), [this, c](const asio::error_code& ec, size_t n) {
      if (ec) return;
      got_.clear();
      leaf_bytes_.clear();
      leaf_at_.assign(1, 0);
      if (!conns_[c].dec.feed(ByteView(conns_[c].buf.data(), n), [this, c](ByteView f) { on_record(conns_[c], f); })) return;
      auto now = std::chrono::steady_clock::now();
      const std::vector<Hash32> leaves = crypto::merkle::hash_packed_leaves(leaf_bytes_.data(), leaf_at_);
      roots_.clear();
      proofs_.clear();
      for (const auto& g : got_) {
        roots_.push_back(&g.root);
        proofs_.push_back(&g.proof);
      }
      crypto::merkle::verify_many(roots_, leaves, proofs_, proof_ok_);
      for (size_t j = 0; j < got_.size(); ++j) {
        if (!proof_ok_[j]) {
          bad++;
          continue;
        }
        if (measuring) {
          done_ops++;
          lat_us.push_back(std::chrono::duration<double, std::micro>(now - vc_[got_[j].client].sent).count());
        }
        if (!stopping_) send(got_[j].client);
      }
      read(c);
    });
  }

  const Args& a_;
  const ClusterConfig& cfg_;
  const crypto::ThresholdVerifier& group_;
  const client::SigningKey& relay_;
  std::vector<Conn> conns_;
  std::vector<VClient> vc_;
  ClientIndex by_id_;
  std::mt19937_64 rng_{42};
  bool stopping_ = false;
  std::set<std::pair<uint64_t, Hash32>> verified_batches_;
  std::pair<uint64_t, Hash32> last_verified_{0, Hash32{}};
  struct Got {
    size_t client;
    Hash32 root;
    crypto::merkle::Proof proof;
  };
  std::vector<Got> got_;
  Writer leaf_bytes_;  // the replies' leaves back to back, hashed together
  std::vector<size_t> leaf_at_;
  std::vector<const Hash32*> roots_;
  std::vector<const crypto::merkle::Proof*> proofs_;
  std::vector<uint8_t> proof_ok_;
};

}  // namespace rampart::cli::cluster_bench
