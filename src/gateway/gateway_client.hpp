#pragma once
// A wallet client that talks to a gateway instead of the replicas, and trusts it for nothing:
// it builds and signs the operation itself, sends it as the gateway's JSON, and accepts the
// answer only when the reply in its proof verifies against the group key (CART) and the result
// carries the op hash of exactly the operation it built. Proven reads (read(): balance or ledger
// page without a consensus round) are accepted only when their state proof verifies for exactly
// the account or page asked for, at the height asked for or above (gateway/read_json.hpp).
#include <memory>
#include <string>

#include "client/wallet.hpp"
#include "client/wallet_read.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::gateway {

struct GatewayClientOptions {
  std::string url;             // https://HOST:PORT (or http:// for a --plain-http gateway)
  std::string ca_cert;         // PEM the gateway's certificate must chain to
  bool insecure_tls = false;   // skip the certificate check (proofs are still verified)
  std::string client_cert, client_key;  // for a gateway started with --client-ca
  int timeout_s = 30;
};

// Checks a gateway response against the operation the caller built: decodes the JSON, verifies
// the reply in "proof" (group signature, Merkle proof) and the result's op hash. A problem
// without a proof (refused by the gateway itself) is an error naming its field.
Result<client::WalletOutcome> verify_gateway_answer(int status, const std::string& body, const Bytes& op,
                                                    const crypto::ThresholdVerifier& group);

class GatewayClient {
 public:
  static Result<std::unique_ptr<GatewayClient>> create(const ClusterConfig& cfg, GatewayClientOptions opt);
  ~GatewayClient();
  // A transfer or atomic transfer (POST), an ordered balance or ledger-page read (GET with
  // ordered=true), chosen by op type.
  Result<client::WalletOutcome> submit(const Bytes& op);
  // A proven read (GET /v1/balance/{account} or /v1/ledger with min_k), verified here.
  Result<client::ProvenRead> read(const client::ReadRequest& r);

  struct Impl;

 private:
  explicit GatewayClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::gateway
