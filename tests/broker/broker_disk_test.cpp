// What a broker keeps across restarts (broker/broker_disk.hpp): the batch numbers it reserved
// and the sign-up certificates it learnt clients from, torn last records included.
#include "broker/broker_disk.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../temp_dir.hpp"

namespace rampart::broker {
namespace {

namespace fs = std::filesystem;

TEST(BrokerDisk, ARestartStartsAboveEveryReservedNumber) {
  const fs::path dir = testing::make_temp_dir("broker-disk") / "b0";
  auto d = BrokerDisk::open(dir);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->first_number(), 1u);
  ASSERT_TRUE(d->reserve_through(1));
  ASSERT_TRUE(d->reserve_through(BrokerDisk::kReserveStep));  // inside the first step: no write
  auto again = BrokerDisk::open(dir);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->first_number(), BrokerDisk::kReserveStep + 1);
  // The next run takes numbers from there on and reserves its own step.
  ASSERT_TRUE(again->reserve_through(again->first_number() + 5));
  auto third = BrokerDisk::open(dir);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->first_number(), BrokerDisk::kReserveStep + 6 + BrokerDisk::kReserveStep);
  fs::remove_all(dir.parent_path());
}

TEST(BrokerDisk, CertificatesComeBackInOrderAndATornTailIsCutOff) {
  const fs::path dir = testing::make_temp_dir("broker-disk") / "b0";
  const Bytes a = to_bytes("certificate-a"), b = to_bytes("certificate-bb"), c = to_bytes("certificate-ccc");
  {
    auto d = BrokerDisk::open(dir);
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->certificates().empty());
    ASSERT_TRUE(d->remember_certificate(a));
    ASSERT_TRUE(d->remember_certificate(b));
    EXPECT_FALSE(d->remember_certificate(Bytes{}));  // nothing to keep
  }
  const auto whole = fs::file_size(dir / "signups");
  {
    std::ofstream f(dir / "signups", std::ios::binary | std::ios::app);
    const char torn[] = {40, 0, 0, 0, 'x', 'y'};  // a record of 40 bytes, cut after 2 (a crash mid-append)
    f.write(torn, sizeof torn);
  }
  auto d = BrokerDisk::open(dir);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->certificates().size(), 2u);
  EXPECT_EQ(d->certificates()[0], a);
  EXPECT_EQ(d->certificates()[1], b);
  EXPECT_EQ(fs::file_size(dir / "signups"), whole);  // cut off, so the next record follows a whole one
  ASSERT_TRUE(d->remember_certificate(c));
  auto e = BrokerDisk::open(dir);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->certificates().size(), 3u);
  EXPECT_EQ(e->certificates()[2], c);
  fs::remove_all(dir.parent_path());
}

TEST(BrokerDisk, AMalformedNumbersFileIsAnError) {
  const fs::path dir = testing::make_temp_dir("broker-disk");
  std::ofstream(dir / "numbers") << "reserved lots\n";
  auto d = BrokerDisk::open(dir);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("malformed"), std::string::npos) << d.error().message;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rampart::broker
