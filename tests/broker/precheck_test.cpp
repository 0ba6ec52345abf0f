// Submit signatures checked on worker threads before the core takes the datagram
// (Broker::precheck, broker/worker_pool.hpp): good and bad only for a Submit from a known id with
// a valid cookie, unchecked for anything else; the core then skips the check (good), refuses at
// once (bad) or checks as without workers (unchecked), so a drain ends the same either way.
#include <gtest/gtest.h>

#include "world.hpp"

namespace rampart::broker::testing {
namespace {

using Host = RecordingBrokerHost;

MemoryDirectory two_clients() {
  MemoryDirectory dir;
  for (uint32_t id : {1u, 2u}) dir.add_trusted(id, {ed_key(id).public_key(), crypto::bls::public_key(bls_key(id))});
  return dir;
}

TEST(BrokerPrecheck, GoodOrBadOnlyForASubmitOfAKnownIdWithItsCookie) {
  MemoryDirectory dir = two_clients();
  Host host;
  BrokerConfig bc;
  Broker b(bc, dir, nullptr, host);
  EXPECT_EQ(b.precheck(7, encode(signed_submit(1, 0))), SigCheck::good);
  Submit forged = signed_submit(1, 0);
  forged.payload = to_bytes("other");
  EXPECT_EQ(b.precheck(7, encode(forged)), SigCheck::bad);
  EXPECT_EQ(b.precheck(7, encode(signed_submit(3, 0))), SigCheck::unchecked) << "unknown id: its sign-up may come first";
  EXPECT_EQ(b.precheck(7, Bytes{1, 2, 3}), SigCheck::unchecked);
  EXPECT_EQ(b.precheck(7, {}), SigCheck::unchecked);
  EXPECT_TRUE(host.to_clients.empty()) << "precheck sends nothing";

  BrokerConfig with_cookies;
  with_cookies.cookie_key = Hash32{9};
  Broker c(with_cookies, dir, nullptr, host);
  EXPECT_EQ(c.precheck(7, encode(signed_submit(1, 0))), SigCheck::unchecked) << "no cookie: no Ed25519 check";
  EXPECT_EQ(c.stats().cookies_sent, 0u);
}

// The same datagrams through a core fed prechecked flags and through one checking inline: the
// same entries, rejections and answers.
TEST(BrokerPrecheck, PrecheckedDatagramsEndAsInlineChecksDo) {
  MemoryDirectory dir = two_clients();
  std::vector<Bytes> drain = {encode(signed_submit(1, 0)), encode(signed_submit(2, 5)), encode(signed_submit(3, 0))};
  Submit forged = signed_submit(2, 6);
  forged.payload = to_bytes("forged");
  drain.push_back(encode(forged));
  drain.push_back(Bytes{9, 9});
  Host inline_host, pre_host;
  BrokerConfig bc;
  Broker inline_core(bc, dir, nullptr, inline_host), pre_core(bc, dir, nullptr, pre_host);
  std::vector<SigCheck> flags;
  for (const auto& d : drain) flags.push_back(pre_core.precheck(40, d));
  EXPECT_EQ(flags, (std::vector<SigCheck>{SigCheck::good, SigCheck::good, SigCheck::unchecked, SigCheck::bad,
                                          SigCheck::unchecked}));
  for (size_t i = 0; i < drain.size(); ++i) {
    inline_core.on_client(40, drain[i]);
    pre_core.on_client(40, drain[i], flags[i]);
  }
  EXPECT_EQ(pre_core.stats().submissions, 2u);
  EXPECT_EQ(pre_core.stats().submissions, inline_core.stats().submissions);
  EXPECT_EQ(pre_core.stats().rejected, inline_core.stats().rejected);
  EXPECT_EQ(pre_core.building(), inline_core.building());
  EXPECT_EQ(pre_host.to_clients, inline_host.to_clients);
}

// A bad flag is final: the directory never changes a known id's key, so the core refuses
// without checking again (a worker already paid for the check).
TEST(BrokerPrecheck, ABadFlagIsRefusedWithoutASecondCheck) {
  MemoryDirectory dir = two_clients();
  Host host;
  BrokerConfig bc;
  Broker b(bc, dir, nullptr, host);
  b.on_client(40, encode(signed_submit(1, 0)), SigCheck::bad);
  EXPECT_EQ(b.stats().submissions, 0u);
  EXPECT_EQ(b.stats().rejected, 1u);
}

}  // namespace
}  // namespace rampart::broker::testing
