#pragma once
// The entries of a broker batch and what each party signs (DESIGN §3.1).
//
// A batch holds one entry per client id, ids strictly increasing. Its Merkle tree (crypto/merkle)
// has one leaf per entry, over the entry's canonical encoding
//     id u32 | seq u64 | payload length u16 | payload | zeros up to a multiple of 64 bytes
// (little-endian). The length makes the zero padding unambiguous; the padding makes every leaf
// whole 64-byte blocks, so BLAKE3's multi-input SIMD routine hashes 8-16 leaves at once
// (merkle::hash_packed_leaves): a 65,536-entry tree is then a few milliseconds, not tens.
//
// The reduction tree puts `raise` in every leaf; the amended tree (what the delivery
// certificate signs) has each straggler's own sequence number in its leaf instead.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.hpp"

namespace rampart::broker {

using ClientId = uint32_t;

// Largest payload a client may submit: a Submit datagram stays far below a UDP payload, and an
// entry of an 8-byte payload fits one 64-byte block.
inline constexpr size_t kMaxPayload = 512;
// Protocol bound on the entries of one batch (the default batch size is 65,536).
inline constexpr uint32_t kMaxBatchEntries = 1u << 18;

// Entries laid out compactly: payload i = payloads[at[i], at[i + 1]).
struct Entries {
  std::vector<ClientId> ids;
  std::vector<uint32_t> at{0};
  Bytes payloads;

  size_t size() const { return ids.size(); }
  ByteView payload(size_t i) const { return ByteView(payloads).subspan(at[i], at[i + 1] - at[i]); }
  void push(ClientId id, ByteView payload);
  // Index of id, or -1: binary search (ids are strictly increasing).
  long find(ClientId id) const;
  bool operator==(const Entries&) const = default;
};

// A straggler: an entry whose client did not (validly) reduce, kept at its own sequence number
// with its Ed25519 signature over submit_statement.
struct Straggler {
  ClientId id = 0;
  uint64_t seq = 0;
  std::array<uint8_t, 64> sig{};
  bool operator==(const Straggler&) const = default;
};

// Leaf hash of one entry, and of all entries (with `raise` as every entry's sequence number).
Hash32 entry_leaf(ClientId id, uint64_t seq, ByteView payload);
std::vector<Hash32> entry_leaves(const Entries& e, uint64_t raise);
// Replaces the stragglers' leaves with their own sequence numbers (the amended tree's leaves).
// Stragglers must be entries of e (else ignored).
void amend_leaves(std::vector<Hash32>& leaves, const Entries& e, std::span<const Straggler> stragglers);

// ---- signed statements (each with its own domain string) ----
// Ed25519, by the client: its submission (a straggler's signature, checked by the servers).
Bytes submit_statement(ClientId id, uint64_t seq, ByteView payload);
// BLS (crypto/bls, min_pk), by each reducing client: the reduction tree's root.
Bytes reduce_statement(const Hash32& root);
// BLS threshold group signature, by the replicas: batch `number` of `broker` was ordered at
// `height`, its amended tree has this root. It is also the proof that `height` was reached,
// which makes a `raise` up to it legitimate.
Bytes delivery_statement(uint32_t broker, uint64_t number, uint64_t height, const Hash32& amended_root);

}  // namespace rampart::broker
