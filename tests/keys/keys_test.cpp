// cluster.toml round trip and validation, keygen output (public config + 0600 secret key files),
// and the start-up check that a key file belongs to its cluster.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/config.hpp"
#include "temp_dir.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/keyfile.hpp"
#include "keys/secrets.hpp"
#include "keys/key_check.hpp"
#include "keys/keygen.hpp"
#include "keys/threshold_keys.hpp"

namespace rampart::keys {
namespace {
namespace fs = std::filesystem;

fs::path temp_dir() { return rampart::testing::make_temp_dir("rampart-keys-test"); }

TEST(Keygen, WritesConfigAndPrivateKeys) {
  fs::path d = temp_dir() / "c";
  KeygenOptions o;
  o.replicas = 4;
  o.brokers = 1;
  o.base_port = 23000;
  auto c = keygen(o, d);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->f, 1u);
  auto loaded = load_config(d / "cluster.toml");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->n(), 4u);
  EXPECT_EQ(loaded->brokers.size(), 1u);
  EXPECT_EQ(loaded->replica(2)->client_port, 23102);
  EXPECT_EQ(to_toml(*loaded), to_toml(*c));  // canonical round trip
  for (uint32_t i = 0; i < 4; ++i) {
    fs::path kf = loaded->resolve(loaded->replica(i)->key_file);
    struct stat st{};
    ASSERT_EQ(::stat(kf.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto s = load_secrets(kf);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->id, i);
    // The real crypto objects build from these keys and agree with each other.
    auto rc = make_replica_crypto(*loaded, *s);
    ASSERT_TRUE(rc) << rc.error().message;
    Bytes msg = to_bytes("m");
    EXPECT_TRUE(rc->verifier->verify(i, msg, rc->signer->sign(msg)));
    EXPECT_TRUE(rc->tverifier->verify_share(i, msg, rc->tsigner->sign_share(msg)));
  }
  EXPECT_FALSE(keygen(o, d)) << "must not overwrite existing keys";
  fs::remove_all(d.parent_path());
}

// Relay keys: written as single-key files, listed in cluster.toml, and only they (and brokers)
// count as relays.
TEST(Keygen, RelayKeysAreWrittenListedAndRecognised) {
  fs::path d = temp_dir() / "c";
  KeygenOptions o;
  o.replicas = 4;
  o.brokers = 1;
  o.relays = 2;
  o.base_port = 23400;
  auto c = keygen(o, d);
  ASSERT_TRUE(c) << c.error().message;
  auto loaded = load_config(d / "cluster.toml");
  ASSERT_TRUE(loaded) << loaded.error().message;
  ASSERT_EQ(loaded->relays.size(), 2u);
  EXPECT_EQ(loaded->relays, c->relays);
  for (uint32_t i = 0; i < 2; ++i) {
    auto kp = crypto::keyfile::load_ed25519_secret((d / relay_key_file(i)).string());
    ASSERT_TRUE(kp) << kp.error().message;
    EXPECT_TRUE(loaded->is_relay(kp->public_key()));
  }
  EXPECT_TRUE(loaded->is_relay(loaded->brokers[0].ed25519_public));
  EXPECT_FALSE(loaded->is_relay(loaded->replicas[0].ed25519_public));
  EXPECT_FALSE(loaded->is_relay(crypto::ed25519::KeyPair::generate().public_key()));
  ClusterConfig bad = *loaded;
  bad.relays.push_back("abc");
  EXPECT_FALSE(bad.validate());
  fs::remove_all(d.parent_path());
}

TEST(KeyFile, LoosePermissionsAreRefused) {
  fs::path d = temp_dir();
  NodeSecrets s;
  s.ed25519_secret = Bytes(64, 1);
  s.x25519_secret = Bytes(32, 2);
  ASSERT_TRUE(save_secrets(s, d / "k"));
  ASSERT_TRUE(load_secrets(d / "k"));
  fs::permissions(d / "k", fs::perms::group_read, fs::perm_options::add);
  auto r = load_secrets(d / "k");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos);
  fs::remove_all(d);
}

TEST(Config, RejectsBadInput) {
  EXPECT_FALSE(parse_config("not toml [", "/"));
  EXPECT_FALSE(parse_config("[cluster]\nf = 1\n", "/"));  // no replicas
  std::string one = "[cluster]\nf = 1\ncrypto='fake'\n[[replica]]\nid=0\npeer_port=1\nclient_port=2\ned25519_public='" +
                    std::string(64, 'a') + "'\nx25519_public='" + std::string(64, 'b') + "'\n";
  auto r = parse_config(one, "/");
  ASSERT_FALSE(r);  // 1 replica cannot tolerate f = 1
  EXPECT_NE(r.error().message.find("3f+1"), std::string::npos);
  std::string zero = one;
  zero.replace(zero.find("f = 1"), 5, "f = 0");
  EXPECT_TRUE(parse_config(zero, "/"));
  std::string badport = zero;
  badport.replace(badport.find("peer_port=1"), 11, "peer_port=70000");
  EXPECT_FALSE(parse_config(badport, "/"));
}


TEST(Config, RejectsPortsThatCollide) {
  fs::path d = temp_dir() / "c";
  KeygenOptions o;
  o.replicas = 4;
  o.brokers = 1;
  o.base_port = 23000;
  auto c = keygen(o, d);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->validate());
  ClusterConfig x = *c;
  x.replicas[2].metrics_port = x.replicas[1].client_port;
  auto r = x.validate();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("port 23101 is used twice"), std::string::npos) << r.error().message;
  x = *c;
  x.brokers[0].port = x.replicas[3].peer_port;
  EXPECT_FALSE(x.validate());
  x = *c;
  x.replicas[0].peer_port = x.replicas[0].client_port;
  EXPECT_FALSE(x.validate());
  // Other hosts may reuse a port number; a wildcard address covers every host.
  x = *c;
  x.replicas[1].host = "10.0.0.2";
  x.replicas[1].peer_port = x.replicas[0].peer_port;
  EXPECT_TRUE(x.validate());
  x.replicas[0].host = "0.0.0.0";
  EXPECT_FALSE(x.validate());
  // Metrics off (0) on several replicas is no collision.
  x = *c;
  for (auto& rep : x.replicas) rep.metrics_port = 0;
  EXPECT_TRUE(x.validate());
  EXPECT_TRUE(parse_config(to_toml(*c), d));
  fs::remove_all(d.parent_path());
}

TEST(KeyFile, KeysOfAnotherClusterOrReplicaAreRefused) {
  fs::path root = temp_dir();
  KeygenOptions o;
  o.replicas = 4;
  o.base_port = 23000;
  auto a = keygen(o, root / "a");
  auto b = keygen(o, root / "b");
  ASSERT_TRUE(a && b);
  auto secrets = [&](const ClusterConfig& c, uint32_t id) { return *load_secrets(c.resolve(c.replica(id)->key_file)); };
  auto check = [&](const ClusterConfig& c, uint32_t id, const NodeSecrets& s) -> Status {
    auto rc = make_replica_crypto(c, s);
    if (!rc) return rc.error();
    return check_keys_match(c, id, s, *rc);
  };
  EXPECT_TRUE(check(*a, 1, secrets(*a, 1)));
  auto foreign = check(*a, 1, secrets(*b, 1));
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("does not match cluster.toml"), std::string::npos) << foreign.error().message;
  // Only the threshold share foreign: still refused.
  NodeSecrets mixed = secrets(*a, 1);
  mixed.threshold_share = secrets(*b, 1).threshold_share;
  auto m = check(*a, 1, mixed);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("threshold"), std::string::npos) << m.error().message;
  // Only the channel key foreign.
  mixed = secrets(*a, 1);
  mixed.x25519_secret = secrets(*b, 1).x25519_secret;
  EXPECT_FALSE(check(*a, 1, mixed));
  fs::remove_all(root);
}

TEST(Config, LimitsTableIsOptionalCheckedAndRoundTrips) {
  fs::path d = temp_dir() / "c";
  KeygenOptions o;
  o.replicas = 4;
  o.base_port = 23000;
  auto c = keygen(o, d);
  ASSERT_TRUE(c) << c.error().message;
  const std::string base = to_toml(*c);
  EXPECT_EQ(base.find("[limits]"), std::string::npos);  // defaults stay implicit
  auto l = parse_config(base + "\n[limits]\nclient_max_per_source = 500\nclient_idle_timeout_ms = 0\n", d);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(l->limits.client_max_per_source, 500u);
  EXPECT_EQ(l->limits.client_idle_timeout_ms, 0u);
  EXPECT_EQ(l->limits.client_max_connections, ListenerLimits{}.client_max_connections);
  auto again = parse_config(to_toml(*l), d);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->limits == l->limits);
  auto typo = parse_config(base + "\n[limits]\nclient_max_per_sauce = 5\n", d);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("client_max_per_sauce"), std::string::npos);
  EXPECT_FALSE(parse_config(base + "\n[limits]\nclient_max_connections = 0\n", d));
  EXPECT_FALSE(parse_config(base + "\n[limits]\npeer_handshake_timeout_ms = -1\n", d));
  fs::remove_all(d.parent_path());
}

}  // namespace
}  // namespace rampart::keys
