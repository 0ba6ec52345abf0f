#pragma once
// A client request: (client id, sequence number, payload) signed by the client. The signature
// covers a domain-separated encoding so a request signature can never be replayed as any other
// signed message of the system (or the other way round).
#include <cstdint>
#include <memory>

#include "common/bytes.hpp"
#include "common/codec.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::replica {

using ClientId = uint64_t;

inline constexpr size_t kMaxPayload = 64 * 1024;  // bytes of one operation
inline constexpr size_t kMaxSignature = 128;      // Ed25519 is 64; headroom for other schemes

struct Request {
  ClientId client = 0;
  uint64_t seq = 0;
  Bytes payload;
  Bytes sig;

  bool operator==(const Request&) const = default;
};

// Verifies a client's signature by its id (Ed25519 in production; the simulator uses a fake).
class ClientVerifier {
 public:
  virtual ~ClientVerifier() = default;
  virtual bool verify(ClientId client, ByteView msg, ByteView sig) const = 0;
};

// Signs as one client.
class ClientSigner {
 public:
  virtual ~ClientSigner() = default;
  virtual Bytes sign(ByteView msg) const = 0;
};

// Adapters: clients signing/verifying through the node crypto interfaces (client id c is key
// id c of a keyring that holds only clients, e.g. a separate crypto::FakeKeyring in the sim).
class ClientVerifierFrom final : public ClientVerifier {
 public:
  ClientVerifierFrom(const crypto::Verifier& v, uint64_t clients) : v_(v), clients_(clients) {}
  bool verify(ClientId c, ByteView msg, ByteView sig) const override {
    return c < clients_ && v_.verify(static_cast<crypto::NodeId>(c), msg, sig);
  }

 private:
  const crypto::Verifier& v_;
  uint64_t clients_;
};

class ClientSignerFrom final : public ClientSigner {
 public:
  explicit ClientSignerFrom(std::unique_ptr<crypto::Signer> s) : s_(std::move(s)) {}
  Bytes sign(ByteView msg) const override { return s_->sign(msg); }

 private:
  std::unique_ptr<crypto::Signer> s_;
};

// The bytes a client signs: "rampart/request/v1" || client || seq || len(payload) || payload.
Bytes request_signing_bytes(ClientId client, uint64_t seq, ByteView payload);

Request make_request(ClientId client, uint64_t seq, Bytes payload, const ClientSigner& signer);
bool verify_request(const Request& r, const ClientVerifier& v);

// Wire format: client u64 | seq u64 | payload bytes | sig bytes (length-prefixed, bounded).
void encode_request(Writer& w, const Request& r);
Bytes encode_request(const Request& r);
// Reads one request from a Reader (errors are sticky in the Reader).
Request read_request(Reader& r);
// The same request read in place: views into the Reader's bytes, so checking a batch's
// requests copies and allocates nothing (a decoded Request owns two buffers).
struct RequestView {
  ClientId client = 0;
  uint64_t seq = 0;
  ByteView payload;
  ByteView sig;
};
RequestView read_request_view(Reader& r);
inline RequestView view_of(const Request& r) { return {r.client, r.seq, r.payload, r.sig}; }
Result<Request> decode_request(ByteView b);

// Smallest encoding of a request: two u64 and two empty length prefixes.
inline constexpr size_t kMinRequestSize = 8 + 8 + 4 + 4;

}  // namespace rampart::replica
