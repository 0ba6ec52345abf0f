// Host keys (OpenSSL), proof of work, the sans-IO handshake, and the INI configuration.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "crypto/channel.hpp"
#include "gossip/config.hpp"
#include "gossip/handshake.hpp"
#include "gossip/hostkey.hpp"
#include "gossip/pow.hpp"

using namespace rampart;
using namespace rampart::gossip;

namespace {

std::shared_ptr<const HostKey> ed25519() { return std::make_shared<const HostKey>(HostKey::generate_ed25519()); }

struct Pair {
  Handshake dialer, acceptor;
  Pair(std::shared_ptr<const HostKey> kd, std::shared_ptr<const HostKey> ka, unsigned dd = 8, unsigned da = 8)
      : dialer(HandshakeParams{Role::dialer, kd, "127.0.0.1:1001", dd, 24}),
        acceptor(HandshakeParams{Role::acceptor, ka, "127.0.0.1:1002", da, 24}) {}
};

// Runs both sides to the end, handing each frame across; returns the first error.
// tamper_dialer_auth(auth, dialer's hello, acceptor's hello) may rewrite the dialer's AUTH.
using Tamper = std::function<void(Bytes&, const Bytes&, const Bytes&)>;
Status run(Handshake& d, Handshake& a, const Tamper& tamper_dialer_auth = nullptr) {
  Bytes dialer_hello = d.start(), acceptor_hello;
  std::vector<Bytes> to_acceptor{dialer_hello}, to_dialer;
  int dialer_frames = 0;
  while (!to_acceptor.empty() || !to_dialer.empty()) {
    for (auto& f : to_acceptor) {
      auto out = a.on_frame(f);
      if (!out) return out.error();
      for (auto& o : *out) {
        if (acceptor_hello.empty()) acceptor_hello = o;
        to_dialer.push_back(o);
      }
    }
    to_acceptor.clear();
    for (auto& f : to_dialer) {
      auto out = d.on_frame(f);
      if (!out) return out.error();
      for (auto& o : *out) {
        if (++dialer_frames == 1 && tamper_dialer_auth) tamper_dialer_auth(o, dialer_hello, acceptor_hello);
        to_acceptor.push_back(o);
      }
    }
    to_dialer.clear();
  }
  return {};
}

}  // namespace

TEST(GossipHostKey, SignsAndVerifiesEd25519AndRsa) {
  auto rsa = HostKey::generate_rsa(2048);
  ASSERT_TRUE(rsa.ok());
  for (const HostKey& k : {HostKey::generate_ed25519(), *rsa}) {
    auto sig = k.sign(to_bytes("message"));
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(verify_signature(k.public_der(), to_bytes("message"), *sig).ok()) << k.kind();
    EXPECT_FALSE(verify_signature(k.public_der(), to_bytes("messagf"), *sig).ok()) << k.kind();
    Bytes bad = *sig;
    bad[bad.size() / 2] ^= 1;
    EXPECT_FALSE(verify_signature(k.public_der(), to_bytes("message"), bad).ok()) << k.kind();
    EXPECT_FALSE(verify_signature(HostKey::generate_ed25519().public_der(), to_bytes("message"), *sig).ok());
  }
  EXPECT_EQ(rsa->kind(), "rsa-2048");
}

TEST(GossipHostKey, LoadsPemFilesAndRefusesOthers) {
  auto dir = std::filesystem::temp_directory_path() / ("gossip-key-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto k = HostKey::generate_ed25519();
  std::ofstream(dir / "k.pem") << k.private_pem();
  auto loaded = HostKey::load_pem_file((dir / "k.pem").string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->public_der(), k.public_der());
  std::ofstream(dir / "junk.pem") << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  EXPECT_FALSE(HostKey::load_pem_file((dir / "junk.pem").string()).ok());
  auto missing = HostKey::load_pem_file((dir / "none.pem").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("none.pem"), std::string::npos);
  EXPECT_FALSE(verify_signature(to_bytes("not a key"), to_bytes("m"), to_bytes("s")).ok());
  std::filesystem::remove_all(dir);
}

TEST(GossipPow, SolvedWorkChecksAndIsBound) {
  Hash32 challenge{};
  challenge.fill(7);
  Bytes binding = to_bytes("prover");
  auto nonce = pow_solve(challenge, binding, 12);
  ASSERT_TRUE(nonce.has_value());
  EXPECT_TRUE(pow_check(challenge, binding, *nonce, 12));
  EXPECT_GE(leading_zero_bits(pow_digest(challenge, binding, *nonce)), 12u);
  // The same nonce for another prover or another challenge is (overwhelmingly) not a proof.
  int still_valid = 0;
  for (uint8_t i = 0; i < 16; ++i) {
    Hash32 other = challenge;
    other[0] = static_cast<uint8_t>(other[0] + 1 + i);
    still_valid += pow_check(other, binding, *nonce, 12);
  }
  EXPECT_LE(still_valid, 1);
  EXPECT_TRUE(pow_check(challenge, binding, 12345, 0));
  EXPECT_EQ(leading_zero_bits(Hash32{}), 256u);
}

TEST(GossipHandshake, BothSidesAgreeOnKeysAndIdentities) {
  auto kd = ed25519();
  auto rsa = HostKey::generate_rsa(2048);
  ASSERT_TRUE(rsa.ok());
  auto ka = std::make_shared<const HostKey>(*rsa);
  Pair p(kd, ka);
  ASSERT_TRUE(run(p.dialer, p.acceptor).ok());
  ASSERT_TRUE(p.dialer.done() && p.acceptor.done());
  EXPECT_EQ(p.dialer.peer().id, identity_of(ka->public_der(), "127.0.0.1:1002"));
  EXPECT_EQ(p.acceptor.peer().id, identity_of(kd->public_der(), "127.0.0.1:1001"));
  EXPECT_EQ(p.acceptor.peer().address, "127.0.0.1:1001");
  auto cd = p.dialer.take_channel();
  auto ca = p.acceptor.take_channel();
  auto sealed = cd.seal(to_bytes("hello acceptor"));
  ASSERT_TRUE(sealed.ok());
  auto opened = ca.open(*sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(to_string(*opened), "hello acceptor");
  auto back = ca.seal(to_bytes("hello dialer"));
  EXPECT_EQ(to_string(*cd.open(*back)), "hello dialer");
}

TEST(GossipHandshake, WrongProofOfWorkIsRefused) {
  Pair p(ed25519(), ed25519(), 8, 16);
  auto st = run(p.dialer, p.acceptor, [&](Bytes& auth, const Bytes& dh, const Bytes& ah) {
    auto a = decode_auth(auth);
    auto mine = decode_hello(dh);
    auto theirs = decode_hello(ah);
    ASSERT_TRUE(a.ok() && mine.ok() && theirs.ok());
    // The next nonce that misses the acceptor's 16 bits; the signature still holds.
    Bytes binding(p.dialer.self().begin(), p.dialer.self().end());
    binding.insert(binding.end(), mine->ephemeral.begin(), mine->ephemeral.end());
    ASSERT_TRUE(pow_check(theirs->challenge, binding, a->nonce, 16));
    do ++a->nonce;
    while (pow_check(theirs->challenge, binding, a->nonce, 16));
    auth = encode_auth(*a);
  });
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(p.acceptor.pow_failed()) << st.error().message;
  EXPECT_NE(st.error().message.find("proof of work"), std::string::npos);
  EXPECT_FALSE(p.acceptor.done());
}

TEST(GossipHandshake, ForgedSignatureIsRefused) {
  Pair p(ed25519(), ed25519());
  auto st = run(p.dialer, p.acceptor, [](Bytes& auth, const Bytes&, const Bytes&) { auth[auth.size() - 1] ^= 1; });
  ASSERT_FALSE(st.ok());
  EXPECT_FALSE(p.acceptor.pow_failed());
  EXPECT_NE(st.error().message.find("signature"), std::string::npos);
}

TEST(GossipHandshake, RefusesToPayTooMuchAndRefusesItself) {
  auto k = ed25519();
  Handshake d(HandshakeParams{Role::dialer, k, "127.0.0.1:1", 8, 10});
  Handshake a(HandshakeParams{Role::acceptor, ed25519(), "127.0.0.1:2", 20, 24});
  auto st = run(d, a);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("demands 20 bits"), std::string::npos);

  Handshake self_d(HandshakeParams{Role::dialer, k, "127.0.0.1:1", 1, 24});
  Handshake self_a(HandshakeParams{Role::acceptor, k, "127.0.0.1:1", 1, 24});
  auto st2 = run(self_d, self_a);
  ASSERT_FALSE(st2.ok());
  EXPECT_NE(st2.error().message.find("ourselves"), std::string::npos);
}

TEST(GossipConfig, ParsesTheCourseFormat) {
  auto c = parse_gossip_config(
      "; comment\nhostkey = keys/host.pem\n\n[other]\ndegree = nonsense\n[gossip]\ncache_size = 50\n"
      "degree = 30\nbootstrapper = p2p.example:6001\np2p_address = 10.0.0.2:6001\napi_address = [::1]:7001\n"
      "unknown_key = whatever\n",
      "/etc/rampart");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->hostkey, "/etc/rampart/keys/host.pem");
  EXPECT_EQ(c->cache_size, 50u);
  EXPECT_EQ(c->degree, 30u);
  EXPECT_EQ(c->bootstrapper, "p2p.example:6001");
  EXPECT_EQ(c->p2p_address, (Address{"10.0.0.2", 6001}));
  EXPECT_EQ(c->api_address, (Address{"::1", 7001}));
  EXPECT_EQ(c->api_address.str(), "[::1]:7001");
  EXPECT_EQ(c->pow_difficulty, 16u);
}

TEST(GossipConfig, MissingKeysAreNamed) {
  const std::string full =
      "hostkey = /k.pem\n[gossip]\ncache_size = 5\ndegree = 3\np2p_address = 127.0.0.1:1\napi_address = 127.0.0.1:2\n";
  ASSERT_TRUE(parse_gossip_config(full).ok());
  for (std::string key : {"hostkey", "cache_size", "degree", "p2p_address", "api_address"}) {
    std::string text = full;
    size_t at = text.find(key + " =");
    text.erase(at, text.find('\n', at) - at + 1);
    auto c = parse_gossip_config(text);
    ASSERT_FALSE(c.ok()) << key;
    EXPECT_NE(c.error().message.find("missing required key '" + key + "'"), std::string::npos) << c.error().message;
  }
  // hostkey inside [gossip] is not the top-level key the format wants.
  auto misplaced = parse_gossip_config("[gossip]\nhostkey = /k.pem\ncache_size = 5\ndegree = 3\np2p_address = a:1\napi_address = a:2\n");
  ASSERT_FALSE(misplaced.ok());
  EXPECT_NE(misplaced.error().message.find("'hostkey'"), std::string::npos);
  auto bad = parse_gossip_config("hostkey = k\n[gossip]\ncache_size = many\ndegree = 3\np2p_address = a:1\napi_address = a:2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("cache_size"), std::string::npos);
  EXPECT_FALSE(parse_gossip_config("hostkey = k\n[gossip\n").ok());
  EXPECT_FALSE(parse_address("nohost").ok());
  EXPECT_FALSE(parse_address("h:70000").ok());
  EXPECT_FALSE(parse_address("::1:80").ok());
}
