// Fuzzes what a remote peer controls. The input is split into frames as the P2P layer splits
// its stream (net::FrameDecoder); each frame is tried as a HELLO, an AUTH and a sealed-message
// plaintext. To reach the decoders behind the handshake without forging a signature or an
// AEAD tag: the plaintext decoder is called directly (what Channel::open would hand it), its
// items go into an Engine as if from an established peer, and the frames are also fed to an
// acceptor Handshake that demands 0 bits of work, so the proof of work never stops them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gossip/engine.hpp"
#include "gossip/handshake.hpp"
#include "gossip/p2p_message.hpp"
#include "net/frame.hpp"

using namespace rampart;
using namespace rampart::gossip;

namespace {

struct NullIo : EngineIo {
  void api_send(ConnId, Bytes) override {}
  void api_close(ConnId, const std::string&) override {}
  void peer_send(PeerId, const ItemMsg& item) override {
    if (item.data.size() > kMaxData) __builtin_trap();
  }
};

std::shared_ptr<const HostKey> key() {
  static auto k = std::make_shared<const HostKey>(HostKey::generate_ed25519());
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  net::FrameDecoder dec(kMaxData + 128);
  std::vector<Bytes> frames;
  (void)dec.feed(ByteView(data, size), frames);

  NullIo io;
  EngineOptions opt;
  opt.cache_size = 4;
  Engine e(io, opt);
  e.api_open(1);
  e.api_message(1, *encode_api(Notify{1}), Clock::time_point{});
  e.peer_up(5, Clock::time_point{});
  e.peer_up(6, Clock::time_point{});
  Handshake hs(HandshakeParams{Role::acceptor, key(), "127.0.0.1:1", 0, 0});

  for (auto& f : frames) {
    if (auto m = decode_p2p(f); m.ok()) {
      if (encode_p2p(*m) != f) __builtin_trap();  // the encoding is canonical
      if (auto* item = std::get_if<ItemMsg>(&*m)) e.peer_item(5, *item, Clock::time_point{});
    }
    if (auto h = decode_hello(f); h.ok() && encode_hello(*h) != f) __builtin_trap();
    if (auto a = decode_auth(f); a.ok() && encode_auth(*a) != f) __builtin_trap();
    auto out = hs.on_frame(f);
    if (out.ok() && hs.done()) __builtin_trap();  // completing needs the peer's real signature
  }
  e.tick(Clock::time_point{} + std::chrono::hours(1));
  return 0;
}
