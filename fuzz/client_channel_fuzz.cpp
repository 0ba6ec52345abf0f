// Fuzzes what an unauthenticated client controls on a replica's client port before its channel
// is up: each frame as a client hello (strict decode, re-encode), the replica's side of the
// handshake fed the frames in order (a hello, then a key proof that random bytes must never
// pass), the client's side fed frames as a replica's hello, and each frame split as a record.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crypto/client_channel.hpp"
#include "net/frame.hpp"

using namespace rampart;

namespace {
struct Fixture {
  crypto::ChannelKeypair replica = *crypto::ChannelKeypair::from_seed(Bytes(32, 3));
  Bytes pk = Bytes(crypto_sign_PUBLICKEYBYTES), sk = Bytes(crypto_sign_SECRETKEYBYTES);
  Fixture() {
    if (sodium_init() < 0) __builtin_trap();
    crypto_sign_seed_keypair(pk.data(), sk.data(), Bytes(32, 4).data());
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  net::FrameDecoder dec(crypto::kClientHandshakeMaxFrame);
  std::vector<Bytes> frames;
  (void)dec.feed(ByteView(data, size), frames);

  crypto::ClientChannelResponder replica(7, fx.replica);
  bool hello_done = false;
  for (auto& f : frames) {
    auto ch = crypto::decode_client_hello(f);
    if (ch.ok() && crypto::encode_client_hello(*ch) != f) __builtin_trap();
    auto sh = crypto::decode_server_hello(f);
    if (sh.ok() && crypto::encode_server_hello(*sh) != f) __builtin_trap();
    if (!hello_done) {
      hello_done = replica.accept(f).ok();
      if (hello_done && !ch.ok()) __builtin_trap();  // accepted what is no hello
    } else if (replica.authenticate(f).ok()) {
      __builtin_trap();  // random bytes proved a key
    }
    // As an opened record: the frames it yields lie inside it and never exceed the limit.
    size_t total = 0;
    (void)net::for_each_frame(f, 64, [&](ByteView m) {
      if (m.size() > 64 || m.data() < f.data() || m.data() + m.size() > f.data() + f.size()) __builtin_trap();
      total += net::kFrameHeaderBytes + m.size();
      return true;
    });
    if (total > f.size()) __builtin_trap();
    crypto::ClientChannelInitiator client(fx.pk, fx.sk);
    auto est = client.finish(f, 7, fx.replica.pk);
    if (est.ok() && !sh.ok()) __builtin_trap();
  }
  return 0;
}
