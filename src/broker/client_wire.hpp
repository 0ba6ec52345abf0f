#pragma once
// Client <-> broker messages (one UDP datagram each; docs/brokers.md has the layouts).
//
//   Submit     client -> broker  (id, seq, payload) with its Ed25519 signature
//   Inclusion  broker -> client  the proposal: batch number, root, raise, the client's Merkle
//                                proof, its neighbours' entries with their proofs (so the
//                                client sees its id between strictly smaller and larger ones),
//                                and optionally a delivery certificate proving raise legitimate
//   Reduction  client -> broker  its BLS signature over the root
//   Delivery   broker -> client  the replicas' delivery certificate and the client's proof in
//                                the amended tree
//   Cookie     broker -> client  a return-routability cookie: the answer to a Submit without a
//                                valid one (smaller than the Submit, so a spoofed source gains
//                                no amplification); the client sends the Submit again with it
//
// Every decoder is bounds-checked (common/codec Reader), rejects trailing bytes and bounds
// every length; a decoded message re-encodes to exactly its input (fuzz/broker_client_fuzz).
#include <array>
#include <optional>
#include <variant>

#include "broker/entries.hpp"
#include "common/result.hpp"
#include "crypto/merkle.hpp"

namespace rampart::broker {

// Kinds 5 and 6 are the sign-up messages (broker/signup.hpp). A Submit with a cookie is kind 8.
enum class ClientKind : uint8_t { submit = 1, inclusion = 2, reduction = 3, delivery = 4, cookie = 7, submit_with_cookie = 8 };

using Cookie = std::array<uint8_t, 16>;

// Group signatures are threshold (min_sig) signatures: 48 bytes; the bound leaves room for
// another scheme without a format change.
inline constexpr size_t kMaxGroupSig = 96;

struct Submit {
  ClientId id = 0;
  uint64_t seq = 0;
  Bytes payload;
  std::array<uint8_t, 64> sig{};  // Ed25519 over submit_statement(id, seq, payload)
  std::optional<Cookie> cookie;    // the broker's cookie for the sender's address (not signed)
  bool operator==(const Submit&) const = default;
};

struct CookieReply {
  Cookie cookie{};
  bool operator==(const CookieReply&) const = default;
};

// What the replicas signed for a delivered batch (delivery_statement).
struct DeliveryCert {
  uint32_t broker = 0;
  uint64_t number = 0;
  uint64_t height = 0;
  Hash32 amended_root{};
  Bytes group_sig;
  bool operator==(const DeliveryCert&) const = default;
};

struct Neighbour {
  ClientId id = 0;
  Bytes payload;
  crypto::merkle::Proof proof;
  bool operator==(const Neighbour&) const = default;
};

struct Inclusion {
  uint32_t broker = 0;
  uint64_t number = 0;
  Hash32 root{};
  uint64_t raise = 0;
  crypto::merkle::Proof proof;
  std::optional<Neighbour> left, right;
  std::optional<DeliveryCert> legitimacy;
  bool operator==(const Inclusion&) const = default;
};

struct Reduction {
  ClientId id = 0;
  uint64_t number = 0;
  Hash32 root{};
  std::array<uint8_t, 192> sig{};  // BLS (min_pk, G2) over reduce_statement(root), uncompressed
  bool operator==(const Reduction&) const = default;
};

struct Delivery {
  DeliveryCert cert;
  uint64_t seq = 0;  // the sequence number in the client's amended leaf (raise, or its own)
  crypto::merkle::Proof proof;
  bool operator==(const Delivery&) const = default;
};

using ClientMessage = std::variant<Submit, Inclusion, Reduction, Delivery, CookieReply>;

Bytes encode(const Submit& m);
Bytes encode(const Inclusion& m);
Bytes encode(const Reduction& m);
Bytes encode(const Delivery& m);
Bytes encode(const CookieReply& m);
Bytes encode(const ClientMessage& m);
Result<ClientMessage> decode_client_message(ByteView wire);

// Shared with replica_wire: the certificate's fields, without a kind byte.
void write_cert(Writer& w, const DeliveryCert& c);
DeliveryCert read_cert(Reader& r);

}  // namespace rampart::broker
