// The broker clients' secret key file (broker/client_keys.hpp): what keygen writes, the driver
// reads back the same keys; an exposed or malformed file is refused.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

#include "broker/client_keys.hpp"
#include "temp_dir.hpp"

namespace rampart::broker {
namespace {

namespace fs = std::filesystem;

TEST(BrokerClientKeys, WrittenSetLoadsBackAndMatchesTheDirectory) {
  const fs::path dir = rampart::testing::make_temp_dir("broker-keys");
  fs::create_directories(dir / "keys");
  auto name = write_client_set(dir, 5);
  ASSERT_TRUE(name.ok()) << name.error().message;
  struct stat st{};
  ASSERT_EQ(::stat((dir / kClientSecretsFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto secrets = load_client_secrets(dir / kClientSecretsFile);
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  auto directory = load_directory(dir / *name);  // checks every proof of possession
  ASSERT_TRUE(directory.ok()) << directory.error().message;
  ASSERT_EQ(secrets->size(), 5u);
  for (const auto& c : *secrets) {
    const ClientKeys* k = (*directory)->find(c.id);
    ASSERT_NE(k, nullptr) << c.id;
    EXPECT_EQ(k->ed25519, c.ed25519.public_key());
    EXPECT_EQ(k->bls.to_bytes(), crypto::bls::public_key(c.bls).to_bytes());
  }
  fs::remove_all(dir);
}

TEST(BrokerClientKeys, ExposedOrMalformedFilesAreRefused) {
  const fs::path dir = rampart::testing::make_temp_dir("broker-keys");
  const fs::path f = dir / "k";
  ASSERT_TRUE(save_client_secrets(f, generate_clients(2)).ok());
  ASSERT_TRUE(load_client_secrets(f).ok());
  fs::permissions(f, fs::perms::group_read, fs::perm_options::add);
  EXPECT_FALSE(load_client_secrets(f).ok());  // readable by the group

  const std::string good_seed(64, '1');
  auto refused = [&](const std::string& text) {
    std::ofstream(f, std::ios::trunc) << text;
    fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    auto r = load_client_secrets(f);
    return !r.ok();
  };
  const std::string head = "rampart-broker-clients-secret-v1\n";
  EXPECT_FALSE(refused(head + "0 " + good_seed + " " + good_seed + "\n"));
  EXPECT_TRUE(refused("rampart-clients-v1\n"));                                              // wrong format line
  EXPECT_TRUE(refused(head + "0 " + good_seed + "\n"));                                      // a field missing
  EXPECT_TRUE(refused(head + "0 " + good_seed + " " + good_seed.substr(2) + "\n"));          // short key
  EXPECT_TRUE(refused(head + "x " + good_seed + " " + good_seed + "\n"));                    // id not a number
  EXPECT_TRUE(refused(head + "99999999999 " + good_seed + " " + good_seed + "\n"));          // id out of range
  EXPECT_TRUE(refused(head + "1 " + good_seed + " " + good_seed + "\n0 " + good_seed + " " + good_seed + "\n"));  // not increasing
  EXPECT_TRUE(refused(head + "0 " + good_seed + " " + std::string(64, 'f') + "\n"));        // BLS scalar >= the order
  EXPECT_TRUE(refused(head + "0 " + good_seed + "  " + good_seed + "\n"));                  // two spaces
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rampart::broker
