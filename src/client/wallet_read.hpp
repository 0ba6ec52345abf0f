#pragma once
// Proven wallet reads from anyone who holds a verified ledger and the wallet state after its
// last block: every wallet replica on its read_port (node/read_endpoint.hpp), observers
// (docs/gossip.md, "Serving wallet reads"). The server is
// not trusted: its answer is a StateProof (client/wallet_proof.hpp) that the client checks with
// the cluster's group public key alone, exactly as it checks a replica's; the server cannot make
// a wrong balance, a forged block or another account's entry pass. What a proof cannot show is
// that its block is the newest: the client names the lowest height it accepts (min_k, e.g. the
// block its own last transfer executed in) and refuses an older one.
//
// Wire (inside net/frame.hpp frames: u32 LE length | payload; integers little-endian):
//   request  = version u8 (1) | min_k u64 | u32 len | op      op: a wallet balance or ledger-page
//                                                             operation (app/wallet/op.hpp), <= 64 bytes
//   response = version u8 (1) | status u8 | height u64 | u32 len | body
//              status 0 ok:      body = the state proof (encode_state_proof) for block `height`
//              status 1 behind:  body = reason; the server's ledger ends at `height` < min_k
//              status 2 refused: body = reason (not a read, not a wallet cluster, state diverged)
// A reason is at most kMaxReadReason bytes of text. Both decoders are bounds-checked (a version,
// status or op it does not know, short input and trailing bytes are errors); fuzz_wallet_read.
#include <optional>
#include <string>

#include "app/wallet/op.hpp"
#include "client/wallet_proof.hpp"

namespace rampart::client {

inline constexpr uint8_t kReadVersion = 1;
inline constexpr size_t kMaxReadOp = 64;
inline constexpr size_t kMaxReadReason = 512;
// A page proof: kMaxEntries entries and 128 siblings, plus the block and the signature.
inline constexpr size_t kMaxReadResponse = 64 * 1024;

struct ReadRequest {
  uint64_t min_k = 0;
  app::wallet::Op op;  // OpType::balance or OpType::ledger
  bool operator==(const ReadRequest&) const = default;
};

enum class ReadStatus : uint8_t { ok = 0, behind = 1, refused = 2 };

struct ReadResponse {
  ReadStatus status = ReadStatus::ok;
  uint64_t height = 0;
  std::optional<StateProof> proof;  // status ok
  std::string reason;               // otherwise
  bool operator==(const ReadResponse&) const = default;
};

ReadRequest balance_read(const app::wallet::Account& a, uint64_t min_k = 0);
ReadRequest page_read(const std::optional<app::wallet::Account>& after, uint32_t limit, uint64_t min_k = 0);

Bytes encode_read_request(const ReadRequest& r);
Result<ReadRequest> decode_read_request(ByteView b);
Bytes encode_read_response(const ReadResponse& r);
Result<ReadResponse> decode_read_response(ByteView b);

// What a verified read shows: the accounts as they are after block k (signed in view `view`).
struct ProvenRead {
  uint64_t k = 0, view = 0;
  std::vector<app::wallet::Entry> entries;  // balance: one (zeros for an unknown account); page: the page
  bool more = false;                        // page: accounts follow
  StateProof proof;                         // what was verified, for whoever wants to check it again
};

// Checks a response against the request it answers, with nothing but the group key: status ok,
// block at least req.min_k, and the proof verifies for exactly the account or page asked for.
// Any failure is an error saying what the server got wrong (or that it is behind).
Result<ProvenRead> verify_read(const ReadRequest& req, const ReadResponse& resp, const crypto::ThresholdVerifier& group);

}  // namespace rampart::client
