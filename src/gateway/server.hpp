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
