#pragma once
// What travels on a replica's client port (u32-length-prefixed frames, net/frame.hpp, sealed on
// the client channel), and the bytes a CART reply proves. Both ends speak it, so it lives here,
// below the client library (namespace `client`: it is the clients' wire format).
//
// Client identity (our choice, see docs/operations.md): a client generates an Ed25519 key pair;
// its id is the first 8 bytes (little-endian) of BLAKE3(public key), and every request's
// payload is `public key (32) || operation`. So replicas need no registration step, any replica
// can check any request on its own (validate_batch stays deterministic), and a client cannot
// act under another's id without its secret key.
//
//   client -> replica   REQUEST  tag 1 | replica::Request (encode_request)
//   replica -> client   REPLY    tag 2 | k u64 | view u64 | client u64 | seq u64 | kind u8 | result bytes
//                                      | merkle proof bytes | results_root 32 | batch_digest 32
//                                      | prev_hash 32 | state_digest 32 | group_sig bytes
//                       REJECT   tag 3 | client u64 | seq u64 | reason str
//
// The reply is valid when merkle::verify(results_root, leaf_hash(reply_leaf(...)), proof) holds
// and group_sig verifies over ledger::proof_message(view, k, block hash) under the group key, the
// block hash computed from the header fields the reply carries (view: the one view in which the
// nf signers vouched for k).
#include <cstdint>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "replica/request.hpp"

namespace rampart::client {

inline constexpr size_t kPubkeyBytes = 32;
inline constexpr uint8_t kTagRequest = 1;
inline constexpr uint8_t kTagReply = 2;
inline constexpr uint8_t kTagReject = 3;
inline constexpr size_t kMaxResult = 128 * 1024;
inline constexpr size_t kMaxGroupSig = 1024;

replica::ClientId client_id_of(ByteView ed25519_public);

// The Merkle leaf of one request's result in batch k's results tree.
Bytes reply_leaf(replica::ClientId client, uint64_t seq, uint8_t kind, ByteView result);
// The same leaf appended to w (for merkle::hash_packed_leaves over many replies).
void append_reply_leaf(Writer& w, replica::ClientId client, uint64_t seq, uint8_t kind, ByteView result);

struct Reply {
  uint64_t k = 0;
  uint64_t view = 0;  // the view the proof names
  replica::ClientId client = 0;
  uint64_t seq = 0;
  uint8_t kind = 0;  // replica::ReplyKind
  Bytes result;
  Bytes proof;       // crypto::merkle::Proof::encode()
  Hash32 results_root{};
  Hash32 batch_digest{}, prev_hash{}, state_digest{};  // block k's header, with k and results_root
  Bytes group_sig;
};

struct Reject {
  replica::ClientId client = 0;
  uint64_t seq = 0;
  std::string reason;
};

// A REPLY read in place: the byte fields point into the frame it was decoded from. For
// callers that check many replies per read (the benchmark's load generator) and copy nothing.
struct ReplyView {
  uint64_t k = 0;
  uint64_t view = 0;
  replica::ClientId client = 0;
  uint64_t seq = 0;
  uint8_t kind = 0;
  ByteView result, proof;
  Hash32 results_root{};
  Hash32 batch_digest{}, prev_hash{}, state_digest{};
  ByteView group_sig;
};
// The hash of the block a reply's proof signs, from the header fields it carries.
Hash32 reply_block_hash(uint64_t k, const Hash32& batch_digest, const Hash32& prev_hash, const Hash32& state_digest,
                        const Hash32& results_root);
template <class R>
Hash32 reply_block_hash(const R& r) {
  return reply_block_hash(r.k, r.batch_digest, r.prev_hash, r.state_digest, r.results_root);
}
// A whole client-port frame that must be a REPLY; accepts exactly the replies decode_message does.
Result<ReplyView> decode_reply_view(ByteView frame);

Bytes encode_request_frame(const replica::Request& r);
Bytes encode_reply(const Reply& r);
Bytes encode_reject(const Reject& r);

// A decoded client-port message: exactly one of these is set according to tag.
struct Message {
  uint8_t tag = 0;
  replica::Request request;
  Reply reply;
  Reject reject;
};
Result<Message> decode_message(ByteView frame);

}  // namespace rampart::client
