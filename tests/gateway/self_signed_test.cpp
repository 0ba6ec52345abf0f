// The certificate `cluster up` makes for its gateway: a TLS server loads it, a client that trusts
// exactly it (as `curl --cacert`) connects by IP and by name with verification on, it refuses to
// overwrite, and the key file is private. Its SPKI hash is what Chromium pins in the dashboard test.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <thread>

#include "gateway/self_signed.hpp"
#include "temp_dir.hpp"

namespace rampart::gateway {
namespace {

TEST(SelfSigned, AServerUsesItAndAClientTrustingItVerifies) {
  const auto dir = testing::make_temp_dir("rampart-selfsigned");
  ASSERT_FALSE(dir.empty());
  const auto cert = dir / "cert.pem", key = dir / "key.pem";
  ASSERT_TRUE(write_self_signed_certificate(cert, key));
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(write_self_signed_certificate(cert, key));  // never clobbers

  httplib::SSLServer srv(cert.c_str(), key.c_str());
  ASSERT_TRUE(srv.is_valid());
  srv.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  const int port = srv.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { srv.listen_after_bind(); });
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    httplib::Client c("https://" + host + ":" + std::to_string(port));
    c.set_ca_cert_path(cert.c_str());
    c.enable_server_certificate_verification(true);
    auto r = c.Get("/");
    ASSERT_TRUE(r) << host << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->body, "ok");
  }
  // Another self-signed certificate is not trusted in its place.
  const auto other = dir / "other.pem", other_key = dir / "other.key";
  ASSERT_TRUE(write_self_signed_certificate(other, other_key));
  httplib::Client c("https://127.0.0.1:" + std::to_string(port));
  c.set_ca_cert_path(other.c_str());
  c.enable_server_certificate_verification(true);
  EXPECT_FALSE(c.Get("/"));
  srv.stop();
  t.join();

  auto a = certificate_spki_sha256_base64(cert), b = certificate_spki_sha256_base64(other);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 44u);  // base64 of 32 bytes
  EXPECT_NE(*a, *b);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rampart::gateway
