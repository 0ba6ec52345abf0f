// Fuzzes what a local API client controls: the VoidPhone stream splitter (fed in input-chosen
// chunk sizes, checked against a one-shot split), the message decoder (an accepted message
// re-encodes to one that decodes the same) and the Engine acting on the messages (a decode
// failure must close the connection, nothing else may).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gossip/api_message.hpp"
#include "gossip/engine.hpp"

using namespace rampart;
using namespace rampart::gossip;

namespace {

struct NullIo : EngineIo {
  std::vector<ConnId> closed;
  void api_send(ConnId, Bytes m) override {
    if (!decode_api(m).ok()) __builtin_trap();  // the module only sends well-formed messages
  }
  void api_close(ConnId c, const std::string&) override { closed.push_back(c); }
  void peer_send(PeerId, const ItemMsg&) override {}
};

std::vector<Bytes> split(ByteView input, size_t chunk, bool& ok) {
  ApiStreamDecoder d;
  std::vector<Bytes> out;
  ok = true;
  for (size_t pos = 0; pos < input.size() && ok; pos += chunk) {
    size_t n = std::min(chunk, input.size() - pos);
    ok = d.feed(input.subspan(pos, n), [&](ByteView m) {
           out.emplace_back(m.begin(), m.end());
           return true;
         }).ok();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 1 + data[0] % 97;
  ByteView input(data + 1, size - 1);
  bool ok1 = false, ok2 = false;
  auto chunked = split(input, chunk, ok1);
  auto whole = split(input, input.size() + 1, ok2);
  if (ok1 != ok2 || chunked != whole) __builtin_trap();

  NullIo io;
  EngineOptions opt;
  opt.cache_size = 8;
  Engine e(io, opt);
  e.api_open(1);
  e.api_open(2);
  e.api_message(2, *encode_api(Notify{1}), Clock::time_point{});
  e.peer_up(7, Clock::time_point{});
  for (auto& m : whole) {
    if (m.size() < 4 || m.size() != ((size_t(m[0]) << 8) | m[1])) __builtin_trap();
    auto d = decode_api(m);
    if (d.ok()) {
      auto again = encode_api(*d);
      if (!again.ok() || again->size() != m.size()) __builtin_trap();
      auto d2 = decode_api(*again);
      if (!d2.ok() || !(*d2 == *d)) __builtin_trap();
    }
    size_t closed_before = io.closed.size();
    e.api_message(1, m, Clock::time_point{});
    bool client_may_send = d.ok() && !std::holds_alternative<Notification>(*d);
    if (!client_may_send && io.closed.size() == closed_before && closed_before == 0) __builtin_trap();
    for (ConnId c : io.closed)
      if (c != 1) __builtin_trap();  // only the offending connection
  }
  return 0;
}
