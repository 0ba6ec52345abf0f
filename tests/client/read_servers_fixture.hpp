#pragma once
// Read servers for tests of proven reads (client/wallet_reads.hpp, the gateway's proven reads):
// an honest one (gossip::ReadServer over an ObservedState that executed a WalletChain) and a
// liar that answers every read with the honest proof but every balance doubled, each on its own
// io thread on a free loopback port.
#include <asio.hpp>
#include <future>
#include <memory>
#include <thread>

#include "common/config.hpp"  // before wallet_chain.hpp, which uses ClusterConfig
#include "gossip/observed_state.hpp"
#include "gossip/read_server.hpp"
#include "gossip/wallet_chain.hpp"
#include "net/frame.hpp"

namespace rampart::testing {

using gossip::testing::WalletChain;

inline std::unique_ptr<gossip::ObservedState> state_upto(const WalletChain& c, uint64_t k) {
  auto s = std::make_unique<gossip::ObservedState>(c.fresh_app(), WalletChain::key_prefixed);
  for (uint64_t i = 1; i <= k; ++i)
    if (!s->apply(c.blocks[i], c.batches[i])) return nullptr;
  return s;
}

struct HonestReadServer {
  asio::io_context io;
  std::unique_ptr<gossip::ObservedState> state;
  std::unique_ptr<gossip::ReadServer> server;
  uint16_t port = 0;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread t;

  HonestReadServer(std::unique_ptr<gossip::ObservedState> s, gossip::ReadServerOptions o = {}) : state(std::move(s)) {
    server = std::make_unique<gossip::ReadServer>(io, *state, o);
    port = server->listen(gossip::Address{"127.0.0.1", 0}).value();
    t = std::thread([this] { io.run(); });
  }
  ~HonestReadServer() {
    std::promise<void> done;
    asio::post(io, [&] {
      server->stop();
      done.set_value();
    });
    done.get_future().wait();
    work.reset();
    io.stop();
    t.join();
  }
};

// Every answer is the honest one with each balance in the proof doubled: well formed, and wrong.
struct LyingReadServer {
  asio::io_context io;
  std::unique_ptr<gossip::ObservedState> state;
  asio::ip::tcp::acceptor acc{io, {asio::ip::make_address("127.0.0.1"), 0}};
  uint16_t port = acc.local_endpoint().port();
  std::atomic<int> answered{0};
  std::thread t;

  struct Conn : std::enable_shared_from_this<Conn> {
    LyingReadServer* srv;
    asio::ip::tcp::socket sock;
    net::FrameDecoder dec{1024};
    std::array<uint8_t, 1024> buf{};
    Conn(LyingReadServer* s, asio::ip::tcp::socket so) : srv(s), sock(std::move(so)) {}
    void read() {
      sock.async_read_some(asio::buffer(buf), [self = shared_from_this()](const asio::error_code& ec, size_t n) {
        if (ec) return;
        std::vector<Bytes> frames;
        if (!self->dec.feed(ByteView(self->buf.data(), n), frames)) return;
        for (const auto& f : frames) {
          auto req = client::decode_read_request(f);
          if (!req) return;
          auto resp = self->srv->state->answer(*req);
          if (resp.proof)
            for (auto& e : resp.proof->accounts.entries) e.balance *= 2;
          asio::error_code wec;
          asio::write(self->sock, asio::buffer(net::encode_frame(client::encode_read_response(resp))), wec);
          self->srv->answered++;
        }
        self->read();
      });
    }
  };

  explicit LyingReadServer(std::unique_ptr<gossip::ObservedState> s) : state(std::move(s)) {
    accept();
    t = std::thread([this] { io.run(); });
  }
  void accept() {
    acc.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket sock) {
      if (ec) return;
      std::make_shared<Conn>(this, std::move(sock))->read();
      accept();
    });
  }
  ~LyingReadServer() {
    io.stop();
    t.join();
  }
};

}  // namespace rampart::testing
