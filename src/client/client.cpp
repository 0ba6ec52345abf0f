#include "client/client.hpp"

#include <sodium.h>

#include <asio.hpp>
#include <deque>

#include "client/group_key.hpp"
#include "client/session.hpp"
#include "client/verify.hpp"
#include "net/frame.hpp"

namespace rampart::client {

namespace {
class SodiumSigner final : public replica::ClientSigner {
 public:
  explicit SodiumSigner(const Bytes& sk) : sk_(sk) {}
  Bytes sign(ByteView msg) const override {
    Bytes sig(crypto_sign_BYTES);
    crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk_.data());
    return sig;
  }

 private:
  const Bytes& sk_;
};
}  // namespace

struct Client::Impl {
  ClusterConfig cfg;
  ClientOptions opt;
  std::shared_ptr<const crypto::ThresholdVerifier> group;
  Bytes pk = Bytes(crypto_sign_PUBLICKEYBYTES), sk = Bytes(crypto_sign_SECRETKEYBYTES);
  replica::ClientId id = 0;
  uint64_t seq = 0;
  asio::io_context io;
  std::optional<asio::ip::tcp::socket> sock;
  std::optional<Session> session;  // the connection's channel
  uint32_t cur = 0;
  net::FrameDecoder dec{kMaxFrame};
  std::deque<Bytes> frames;  // decoded, not yet looked at
  std::array<uint8_t, 64 * 1024> buf;

  // A record: a largest reply frame with its header, plus the channel's tag.
  static constexpr size_t kMaxFrame = Session::kMaxFrame + net::kFrameHeaderBytes + crypto::Channel::kTagBytes;

  void disconnect() {
    if (sock) {
      asio::error_code ec;
      sock->close(ec);
      sock.reset();
    }
    session.reset();
    pending_auth.clear();
    frames.clear();
    dec = net::FrameDecoder(kMaxFrame);
  }

  // Runs the io_context until `done` or the deadline; on the deadline cancels pending work and
  // returns false. The cancelled handler still runs (and sets `done`, with operation_aborted):
  // what counts is whether it finished in time, or a timeout reads as a closed connection.
  bool run_until(bool& done, std::chrono::steady_clock::time_point deadline) {
    while (!done) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      io.restart();
      io.run_one_for(deadline - now);
    }
    if (done) return true;
    disconnect();
    io.restart();
    io.poll();  // let the cancelled handlers run
    return false;
  }

  std::string timed_out(const char* what) const {
    return what + std::string(" replica ") + std::to_string(cur) + " timed out after " +
           std::to_string(opt.timeout.count()) + " ms";
  }

  Status connect(uint32_t r, std::chrono::steady_clock::time_point deadline) {
    disconnect();
    const ReplicaEntry* e = cfg.replica(r);
    if (!e) return err("no replica " + std::to_string(r));
    asio::error_code ec;
    auto addr = asio::ip::make_address(e->host, ec);
    if (ec) return err("bad replica address " + e->host);
    sock.emplace(io);
    bool done = false;
    asio::error_code result;
    sock->async_connect({addr, e->client_port}, [&](const asio::error_code& c) {
      result = c;
      done = true;
    });
    if (!run_until(done, deadline)) return err(timed_out("connecting to"));
    if (result) {
      disconnect();
      return err("connect to replica " + std::to_string(r) + ": " + result.message());
    }
    sock->set_option(asio::ip::tcp::no_delay(true), ec);
    return handshake(r, deadline);
  }

  // The client channel: our hello, the replica's, then our key proof (sent with the request).
  Status handshake(uint32_t r, std::chrono::steady_clock::time_point deadline) {
    auto s = Session::to_replica(cfg, r, pk, sk);
    if (!s) return s.error();
    session.emplace(std::move(*s));
    RAMPART_TRY(write(session->hello_frame(), deadline));
    auto hello = next_frame(deadline, timed_out("handshake with"));
    if (!hello) return hello.error();
    auto auth = session->on_hello(*hello);
    if (!auth) {
      disconnect();
      return auth.error();
    }
    pending_auth = std::move(*auth);
    return {};
  }
  Bytes pending_auth;  // sent in front of the first request on a new connection

  Status write(const Bytes& bytes, std::chrono::steady_clock::time_point deadline) {
    bool done = false;
    asio::error_code wec;
    asio::async_write(*sock, asio::buffer(bytes), [&](const asio::error_code& e, size_t) {
      wec = e;
      done = true;
    });
    if (!run_until(done, deadline)) return err(timed_out("sending to"));
    if (wec) {
      disconnect();
      return err("send to replica " + std::to_string(cur) + " failed: " + wec.message());
    }
    return {};
  }

  // The next frame from the replica (payload, still sealed once the channel is up).
  Result<Bytes> next_frame(std::chrono::steady_clock::time_point deadline, const std::string& on_timeout) {
    while (frames.empty()) {
      bool done = false;
      asio::error_code rec;
      size_t n = 0;
      sock->async_read_some(asio::buffer(buf), [&](const asio::error_code& e, size_t m) {
        rec = e;
        n = m;
        done = true;
      });
      if (!run_until(done, deadline)) return err(on_timeout);
      if (rec) {
        disconnect();
        if (rec == asio::error::eof || rec == asio::error::connection_reset)
          return err("replica " + std::to_string(cur) + " closed the connection");
        return err("reading from replica " + std::to_string(cur) + " failed: " + rec.message());
      }
      std::vector<Bytes> got;
      if (!dec.feed(ByteView(buf.data(), n), got)) {
        disconnect();
        return err("replica " + std::to_string(cur) + " sent a malformed frame");
      }
      for (auto& f : got) frames.push_back(std::move(f));
    }
    Bytes f = std::move(frames.front());
    frames.pop_front();
    return f;
  }

  // One attempt at replica `cur`: send, then read until a verified reply or the deadline.
  Result<Answer> attempt(ByteView request, uint64_t s) {
    auto deadline = std::chrono::steady_clock::now() + opt.timeout;
    if (!sock) RAMPART_TRY(connect(cur, deadline));
    Bytes out = std::move(pending_auth);
    pending_auth.clear();
    RAMPART_TRY(session->seal_frame(request, out));
    RAMPART_TRY(write(out, deadline));
    std::string last_problem = timed_out("waiting for");
    while (true) {
      auto f = next_frame(deadline, last_problem);
      if (!f) return f.error();
      std::vector<Bytes> got;
      if (auto st = session->open(*f, [&](ByteView m) { got.emplace_back(m.begin(), m.end()); }); !st) {
        disconnect();
        return st.error();
      }
      for (const auto& pt : got) {
        auto m = decode_message(pt);
        if (!m) continue;  // ignore junk; a correct replica's proof is what counts
        if (m->tag == kTagReject && m->reject.client == id && m->reject.seq == s) {
          return err("request rejected by replica " + std::to_string(cur) + ": " + m->reject.reason);
        }
        if (m->tag != kTagReply || m->reply.seq != s) continue;
        if (auto st = verify_reply(m->reply, id, s, *group); !st) {
          last_problem = st.error().message;
          continue;  // a forged or broken reply is discarded, not fatal
        }
        return Answer{m->reply.k, m->reply.result, cur, m->reply.kind == 1, std::move(m->reply)};
      }
    }
  }
};

Result<std::unique_ptr<Client>> Client::create(const ClusterConfig& cfg, ClientOptions opt) {
  if (sodium_init() < 0) return err("libsodium failed to initialise");
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  impl->opt = opt;
  auto g = make_group_verifier(cfg);
  if (!g) return g.error();
  impl->group = *g;
  if (opt.key) {
    if (opt.key->pk.size() != impl->pk.size() || opt.key->sk.size() != impl->sk.size()) return err("client key: wrong size");
    impl->pk = opt.key->pk;
    impl->sk = opt.key->sk;
    impl->seq = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  } else {
    crypto_sign_keypair(impl->pk.data(), impl->sk.data());
  }
  impl->id = client_id_of(impl->pk);
  impl->cur = cfg.n() ? opt.first_replica % cfg.n() : 0;
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;
replica::ClientId Client::id() const { return impl_->id; }
ByteView Client::public_key() const { return impl_->pk; }

Result<Answer> Client::call(ByteView op) {
  auto& I = *impl_;
  uint64_t s = ++I.seq;
  Bytes payload = I.pk;
  payload.insert(payload.end(), op.begin(), op.end());
  replica::Request req;
  if (I.opt.sign) {
    req = replica::make_request(I.id, s, std::move(payload), SodiumSigner(I.sk));
  } else {
    req.client = I.id;
    req.seq = s;
    req.payload = std::move(payload);
  }
  const Bytes request = encode_request_frame(req);
  std::string problems;
  for (int a = 0; a < I.opt.attempts; ++a) {
    auto r = I.attempt(request, s);
    if (r) return r;
    if (r.error().message.rfind("request rejected", 0) == 0) return r.error();
    problems += (problems.empty() ? "" : "; ") + r.error().message;
    I.disconnect();
    I.cur = (I.cur + 1) % I.cfg.n();  // retry the same request elsewhere
  }
  return err("no verified reply after " + std::to_string(I.opt.attempts) + " attempts: " + problems);
}

}  // namespace rampart::client
