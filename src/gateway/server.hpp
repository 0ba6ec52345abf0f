#pragma once
// `rampart gateway`: the wallet's REST API over HTTPS (cpp-httplib + OpenSSL; plain HTTP only
// when asked explicitly). Untrusted by design (DESIGN.md §1): it relays signed operations to the
// replicas through pooled CART clients, and every answer carries the reply and its group
// signature so that the caller checks it offline. docs/wallet.md, "Gateway API".
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/config.hpp"
#include "common/result.hpp"

namespace rampart::gateway {

struct GatewayOptions {
  ClusterConfig cfg;
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (port() tells)
  std::string tls_cert, tls_key;  // PEM files; both or neither
  std::string client_ca;          // PEM: require client certificates signed by it
  bool plain_http = false;        // no TLS: only when asked for
  size_t clients = 8;             // concurrent submissions to the cluster
  std::chrono::milliseconds queue_wait{250};       // no client free by then: 429
  std::chrono::milliseconds replica_timeout{1000};  // per replica tried; after all of them: 503
  size_t http_threads = 32;
  // Requests per keep-alive connection before the server closes it (cpp-httplib's default, 5,
  // made every fifth request pay a TLS handshake: bench wallet --via gateway, f = 1, 10% writes,
  // 1,750 -> 2,566 ops/s), and how long an idle one is kept (cpp-httplib's default; 2 s let a
  // test's client write into a connection the server had just closed: SIGPIPE). Each open
  // connection holds one of http_threads while it lasts, so connections still turn over (every
  // 100 requests) and a client beyond http_threads waits for one of them, not for an idle timeout.
  size_t keep_alive_max_requests = 100;
  std::chrono::seconds keep_alive_timeout{5};
};

class Gateway {
 public:
  static Result<std::unique_ptr<Gateway>> create(GatewayOptions opt);
  ~Gateway();
  uint16_t port() const;
  bool tls() const;
  // Serves until stop() (from any thread).
  void run();
  void stop();

  // Every (method, OpenAPI path) the server serves (the OpenAPI test walks it).
  static const std::vector<std::pair<std::string, std::string>>& routes();

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::gateway
