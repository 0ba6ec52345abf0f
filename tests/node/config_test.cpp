// cluster.toml round trip, validation, keygen output (public config + 0600 secret key files).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/config.hpp"
#include "node/keyfile.hpp"
#include "node/keygen.hpp"
#include "node/threshold_keys.hpp"

namespace rampart::node {
namespace {
namespace fs = std::filesystem;

fs::path temp_dir() {
  char t[] = "/tmp/rampart-node-test-XXXXXX";
  return ::mkdtemp(t);
}

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

}  // namespace
}  // namespace rampart::node
