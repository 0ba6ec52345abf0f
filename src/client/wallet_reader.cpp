#include "client/wallet_reader.hpp"

#include <asio.hpp>
#include <deque>

#include "client/group_key.hpp"
#include "net/frame.hpp"

namespace rampart::client {

using Clock = std::chrono::steady_clock;

struct WalletReader::Impl {
  WalletReaderOptions opt;
  std::shared_ptr<const crypto::ThresholdVerifier> group;
  asio::io_context io;
  std::optional<asio::ip::tcp::socket> sock;
  net::FrameDecoder dec{kMaxReadResponse};
  std::deque<Bytes> frames;
  std::array<uint8_t, 16 * 1024> buf{};
  bool answer_timed_out = false;  // the last exchange was sent but got no answer in time

  std::string where() const { return "read server " + opt.host + ":" + std::to_string(opt.port); }

  void disconnect() {
    if (sock) {
      asio::error_code ec;
      sock->close(ec);
      sock.reset();
    }
    frames.clear();
    dec = net::FrameDecoder(kMaxReadResponse);
  }

  // Runs the io_context until `done` or the deadline; on the deadline the connection goes (its
  // cancelled handlers still run, hence the poll) and the answer is false.
  bool run_until(bool& done, Clock::time_point deadline) {
    while (!done) {
      auto now = Clock::now();
      if (now >= deadline) break;
      io.restart();
      io.run_one_for(deadline - now);
    }
    if (done) return true;
    disconnect();
    io.restart();
    io.poll();
    return false;
  }

  Status connect(Clock::time_point deadline) {
    asio::error_code ec;
    auto addr = asio::ip::make_address(opt.host, ec);
    if (ec) return err("bad read server address '" + opt.host + "' (an IP address)");
    sock.emplace(io);
    bool done = false;
    asio::error_code result;
    sock->async_connect({addr, opt.port}, [&](const asio::error_code& c) {
      result = c;
      done = true;
    });
    if (!run_until(done, deadline)) return err(where() + ": connect timed out");
    if (result) {
      disconnect();
      return err(where() + ": " + result.message());
    }
    sock->set_option(asio::ip::tcp::no_delay(true), ec);
    return {};
  }

  Status write(const Bytes& bytes, Clock::time_point deadline) {
    bool done = false;
    asio::error_code wec;
    asio::async_write(*sock, asio::buffer(bytes), [&](const asio::error_code& e, size_t) {
      wec = e;
      done = true;
    });
    if (!run_until(done, deadline)) return err(where() + ": send timed out");
    if (wec) {
      disconnect();
      return err(where() + ": send failed: " + wec.message());
    }
    return {};
  }

  Result<Bytes> next_frame(Clock::time_point deadline) {
    while (frames.empty()) {
      bool done = false;
      asio::error_code rec;
      size_t n = 0;
      sock->async_read_some(asio::buffer(buf), [&](const asio::error_code& e, size_t m) {
        rec = e;
        n = m;
        done = true;
      });
      if (!run_until(done, deadline)) {
        answer_timed_out = true;
        return err(where() + ": no answer within " + std::to_string(opt.timeout.count()) + " ms");
      }
      if (rec) {
        disconnect();
        return err(where() + (rec == asio::error::eof ? std::string(" closed the connection") : ": " + rec.message()));
      }
      std::vector<Bytes> got;
      if (!dec.feed(ByteView(buf.data(), n), got)) {
        disconnect();
        return err(where() + " sent a malformed frame");
      }
      for (auto& f : got) frames.push_back(std::move(f));
    }
    Bytes f = std::move(frames.front());
    frames.pop_front();
    return f;
  }
};

Result<std::unique_ptr<WalletReader>> WalletReader::create(const ClusterConfig& cfg, WalletReaderOptions opt) {
  if (cfg.app != "wallet") return err("the cluster runs app '" + cfg.app + "', not the wallet (cluster.toml: app)");
  auto g = make_group_verifier(cfg);
  if (!g) return g.error();
  auto impl = std::make_unique<Impl>();
  impl->opt = std::move(opt);
  impl->group = *g;
  return std::unique_ptr<WalletReader>(new WalletReader(std::move(impl)));
}

WalletReader::WalletReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WalletReader::~WalletReader() = default;

std::string WalletReader::where() const { return impl_->where(); }
bool WalletReader::last_read_timed_out() const { return impl_->answer_timed_out; }

Result<ReadResponse> WalletReader::exchange(const ReadRequest& r) {
  auto& I = *impl_;
  const auto deadline = Clock::now() + I.opt.timeout;
  I.answer_timed_out = false;
  if (!I.sock) RAMPART_TRY(I.connect(deadline));
  RAMPART_TRY(I.write(net::encode_frame(encode_read_request(r)), deadline));
  auto f = I.next_frame(deadline);
  if (!f) return f.error();
  auto resp = decode_read_response(*f);
  if (!resp) {
    I.disconnect();
    return err(I.where() + ": " + resp.error().message);
  }
  return resp;
}

Result<ProvenRead> WalletReader::read(const ReadRequest& r) {
  auto resp = exchange(r);
  if (!resp) return resp.error();
  auto v = verify_read(r, *resp, *impl_->group);
  if (!v) return err(where() + ": " + v.error().message);
  return v;
}

}  // namespace rampart::client
