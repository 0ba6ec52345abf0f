#include "crypto/keyfile.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace rampart::crypto {
namespace {

namespace fs = std::filesystem;

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "rampart-keyfile-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (fs::path(dir_) / name).string(); }
  static unsigned mode(const std::string& p) {
    struct stat st;
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  }
  fs::path dir_;
};

TEST_F(KeyFileTest, Ed25519RoundTripAndMode0600) {
  auto kp = ed25519::KeyPair::generate();
  std::string p = path("replica0.key");
  ASSERT_TRUE(keyfile::save_ed25519_secret(p, kp).ok());
  EXPECT_EQ(mode(p), 0600u);
  EXPECT_TRUE(keyfile::check_private_permissions(p).ok());
  auto back = keyfile::load_ed25519_secret(p);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->public_key(), kp.public_key());
  EXPECT_EQ(back->seed(), kp.seed());

  std::string pp = path("replica0.pub");
  ASSERT_TRUE(keyfile::save_ed25519_public(pp, kp.public_key()).ok());
  EXPECT_EQ(mode(pp), 0644u);
  auto pub = keyfile::load_ed25519_public(pp);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, kp.public_key());
}

TEST_F(KeyFileTest, RefusesSecretReadableByOthers) {
  auto kp = ed25519::KeyPair::generate();
  std::string p = path("leaky.key");
  ASSERT_TRUE(keyfile::save_ed25519_secret(p, kp).ok());
  for (mode_t m : {0644, 0640, 0604, 0660, 0601}) {
    ASSERT_EQ(::chmod(p.c_str(), m), 0);
    auto r = keyfile::load_ed25519_secret(p);
    ASSERT_FALSE(r.ok()) << std::oct << m;
    EXPECT_NE(r.error().message.find("chmod 600"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(p), std::string::npos);
    EXPECT_FALSE(keyfile::check_private_permissions(p).ok());
  }
  ASSERT_EQ(::chmod(p.c_str(), 0400), 0);
  EXPECT_TRUE(keyfile::load_ed25519_secret(p).ok());
}

TEST_F(KeyFileTest, SavingTightensAnExistingWorldReadableFile) {
  std::string p = path("existing.key");
  { std::ofstream(p) << "old"; }
  ASSERT_EQ(::chmod(p.c_str(), 0644), 0);
  ASSERT_TRUE(keyfile::save_bls_secret(p, bls::SecretKey::random()).ok());
  EXPECT_EQ(mode(p), 0600u);
}

TEST_F(KeyFileTest, BlsRoundTripChecksPublicKeyAndPop) {
  auto sk = bls::SecretKey::random();
  std::string p = path("client.bls");
  ASSERT_TRUE(keyfile::save_bls_secret(p, sk).ok());
  auto back = keyfile::load_bls_secret(p);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->to_bytes(), sk.to_bytes());

  // Replace the public key with another key's: load must notice.
  std::ifstream in(p);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string other = to_hex(bls::public_key(bls::SecretKey::random()).to_bytes());
  size_t at = text.find("public = \"") + 10;
  text.replace(at, other.size(), other);
  { std::ofstream(p, std::ios::trunc) << text; }
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  auto bad = keyfile::load_bls_secret(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("does not match"), std::string::npos);
}

TEST_F(KeyFileTest, ThresholdFiles) {
  auto d = threshold::deal(4, 3, as_bytes("seed"));
  ASSERT_TRUE(d.ok());
  std::string sp = path("share2.key"), gp = path("group.pub");
  ASSERT_TRUE(keyfile::save_threshold_share(sp, d->secrets[2]).ok());
  ASSERT_TRUE(keyfile::save_threshold_public(gp, d->pub).ok());
  EXPECT_EQ(mode(sp), 0600u);
  auto share = keyfile::load_threshold_share(sp);
  auto pub = keyfile::load_threshold_public(gp);
  ASSERT_TRUE(share.ok()) << share.error().message;
  ASSERT_TRUE(pub.ok()) << pub.error().message;
  EXPECT_EQ(share->id, 2u);
  EXPECT_EQ(share->encode(), d->secrets[2].encode());
  EXPECT_EQ(pub->encode(), d->pub.encode());

  ASSERT_EQ(::chmod(sp.c_str(), 0644), 0);
  EXPECT_FALSE(keyfile::load_threshold_share(sp).ok());
}

TEST_F(KeyFileTest, RejectsWrongTypeGarbageAndMissingFiles) {
  auto kp = ed25519::KeyPair::generate();
  std::string p = path("a.key");
  ASSERT_TRUE(keyfile::save_ed25519_secret(p, kp).ok());
  auto wrong = keyfile::load_bls_secret(p);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("type"), std::string::npos);

  std::string g = path("garbage.key");
  { std::ofstream(g) << "this is = = not toml"; }
  ASSERT_EQ(::chmod(g.c_str(), 0600), 0);
  EXPECT_FALSE(keyfile::load_ed25519_secret(g).ok());

  std::string h = path("badhex.key");
  { std::ofstream(h) << "format = \"rampart-key-v1\"\ntype = \"ed25519-secret\"\npublic = \"zz\"\nsecret = \"00\"\n"; }
  ASSERT_EQ(::chmod(h.c_str(), 0600), 0);
  EXPECT_FALSE(keyfile::load_ed25519_secret(h).ok());

  EXPECT_FALSE(keyfile::load_ed25519_secret(path("missing.key")).ok());
}

}  // namespace
}  // namespace rampart::crypto
