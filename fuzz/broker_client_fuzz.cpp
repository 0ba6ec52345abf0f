// Fuzzes what travels between clients and brokers (UDP datagrams from anyone): a decoded
// message must re-encode to exactly the input, and neither the broker core nor the client core
// may crash or misbehave on it, whatever it is.
#include <cstddef>
#include <cstdint>

#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "crypto/threshold.hpp"

namespace {
using namespace rampart;
using namespace rampart::broker;

struct Null final : BrokerHost, ClientHost {
  void send_client(ClientAddr, Bytes) override {}
  void send_replica(uint32_t, Bytes) override {}
  void send_broker(uint32_t, Bytes) override {}
  uint64_t now_ms() override { return 0; }
  void set_timer(uint64_t, uint64_t) override {}
};

struct Keys {
  MemoryDirectory dir;
  crypto::threshold::Dealing dealing = *crypto::threshold::deal(4, 3, as_bytes("fuzz dealer seed"));
  crypto::threshold::BlsThresholdVerifier group{dealing.pub};
  crypto::ed25519::KeyPair ed = *crypto::ed25519::KeyPair::from_seed(Bytes(32, 1));
  crypto::bls::SecretKey bls = *crypto::bls::SecretKey::from_seed(Bytes(32, 2));
  Keys() { dir.add_trusted(0, {ed.public_key(), crypto::bls::public_key(bls)}); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Keys keys;
  ByteView in(data, size);
  if (auto m = decode_client_message(in); m.ok()) {
    if (encode(*m) != Bytes(in.begin(), in.end())) __builtin_trap();
  }
  Null host;
  BrokerConfig bc;
  bc.batch_size = 2;
  Broker b(bc, keys.dir, &keys.group, host);
  b.on_client(1, in);
  b.on_replica(0, in);
  b.on_timer(size);
  Client c(ClientConfig{}, keys.ed, keys.bls, &keys.group, host);
  if (!c.submit(as_bytes("fuzz")).ok()) __builtin_trap();
  c.on_message(0, in);
  if (c.last_delivered()) __builtin_trap();  // nothing unsigned by the group can deliver
  return 0;
}
