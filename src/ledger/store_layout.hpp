#pragma once
// How Store lays the ledger out in RocksDB (docs/ledger.md, "Storage"): column families, key
// encodings, and the small conversions between RocksDB's types and ours. Private to the
// store_*.cpp files; one header so that opening, reading, writing and the journal agree on one
// layout.
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <string>

#include "common/bytes.hpp"

namespace rampart::ledger::store_layout {

// Column families, in the order of Store::cfs_.
enum Cf : size_t { kMeta = 0, kBlocks, kBatches, kSnapshot, kCheckpoint, kNumCf };
inline const char* const kCfNames[kNumCf] = {"default", "blocks", "batches",
                                             "snapshot", "checkpoint"};
inline constexpr char kMetaKey[] = "meta";
inline constexpr char kJournalPrefix = 'j';  // journal keys in the metadata column: 'j' | seq u64 BE | kind u8
inline constexpr char kSetAsidePrefix = 'r';  // set-aside batches, metadata column: 'r' | k u64 BE | digest
inline constexpr char kCheckpointKey[] = "last";
inline constexpr char kSnapshotKey[] = "last";

// Big-endian keys so RocksDB's byte order is numeric order (iteration walks the chain).
inline std::string key_of(uint64_t k) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(k >> (56 - 8 * i));
  return s;
}
inline bool key_to(const rocksdb::Slice& s, uint64_t& k) {
  if (s.size() != 8) return false;
  k = 0;
  for (int i = 0; i < 8; ++i) k = (k << 8) | static_cast<uint8_t>(s[i]);
  return true;
}

inline std::string journal_key(uint64_t seq, uint8_t kind, bool with_kind = true) {
  std::string k(1, kJournalPrefix);
  k += key_of(seq);
  if (with_kind) k.push_back(static_cast<char>(kind));
  return k;
}

inline rocksdb::Slice slice(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
inline ByteView view(const std::string& s) { return as_bytes(s); }
inline ByteView view(const rocksdb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

inline std::string num(uint64_t k) { return std::to_string(k); }

// Store's private helpers take a rocksdb::WriteBatch as void* (store.hpp stays free of RocksDB).
inline rocksdb::WriteBatch& wb(void* p) { return *static_cast<rocksdb::WriteBatch*>(p); }

}  // namespace rampart::ledger::store_layout
