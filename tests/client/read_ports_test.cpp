// cluster.toml's read_port (where a wallet replica serves proven reads, and where clients look
// for them): assigned after the brokers' and the gossip module's ports, written and read back,
// left out of files without one, and checked against the other ports like them.
#include <gtest/gtest.h>

#include "client/wallet_keys.hpp"
#include "client/wallet_reads.hpp"

namespace rampart::client {
namespace {

ClusterConfig four_replicas(uint32_t brokers) {
  ClusterConfig c;
  c.f = 1;
  c.crypto = "fake";
  c.fake_seed = 7;
  c.app = "wallet";
  for (uint32_t i = 0; i < 4; ++i) {
    ReplicaEntry r;
    r.id = i;
    r.peer_port = static_cast<uint16_t>(7000 + i);
    r.client_port = static_cast<uint16_t>(7100 + i);
    r.metrics_port = static_cast<uint16_t>(7200 + i);
    r.ed25519_public.assign(32, static_cast<uint8_t>(1 + i));
    r.x25519_public.assign(32, static_cast<uint8_t>(9 + i));
    c.replicas.push_back(r);
  }
  for (uint32_t j = 0; j < brokers; ++j) {
    BrokerEntry b;
    b.id = j;
    b.port = static_cast<uint16_t>(7300 + j);
    b.ed25519_public.assign(32, 3);
    b.x25519_public.assign(32, 4);
    c.brokers.push_back(b);
  }
  return c;
}

TEST(ReadPorts, AssignedAfterTheBrokersWrittenReadBackAndChecked) {
  ClusterConfig none = four_replicas(0);
  EXPECT_TRUE(replica_read_servers(none).empty());
  EXPECT_EQ(to_toml(none).find("read_port"), std::string::npos) << "a file without read ports stays as it was";

  ClusterConfig c = four_replicas(0);
  ASSERT_TRUE(assign_read_ports(c).ok());
  for (const auto& r : c.replicas) EXPECT_EQ(r.read_port, 7302 + r.id);  // after the gossip module's 7300, 7301
  auto back = parse_config(to_toml(c), "/");
  ASSERT_TRUE(back) << back.error().message;
  auto servers = replica_read_servers(*back);
  ASSERT_EQ(servers.size(), 4u);
  EXPECT_EQ(servers[3].str(), "127.0.0.1:7305");

  ClusterConfig with_broker = four_replicas(2);
  ASSERT_TRUE(assign_read_ports(with_broker).ok());
  EXPECT_EQ(with_broker.replicas[0].read_port, 7304);  // brokers at 7300, 7301

  // A read port on another listener's port is refused like any collision.
  c.replicas[1].read_port = c.replicas[2].client_port;
  auto bad = parse_config(to_toml(c), "/");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("read_port"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace rampart::client
