#pragma once
// The non-block records the ledger store keeps: the stable checkpoint, the application state
// snapshot taken at it, and the store's metadata. Each has a canonical, bounds-checked encoding
// (docs/ledger.md) so a corrupted value is refused rather than misread.
#include <cstdint>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "crypto/interfaces.hpp"

namespace rampart::ledger {

inline constexpr uint32_t kStoreFormat = 10;  // data folder format; 2: block format 2 (view outside the hash);
                                             // 3: executor state digest v2 (bucketed reply cache);
                                             // 4: KV digest v2 (bucketed, app/kv/digest_index.hpp);
                                             // 5: reply cache buckets v2 (padded to whole blocks);
                                             // 6: reply leaves v2 (padded; results roots differ);
                                             // 7: PoE journal records v2 (the certified record
                                             //    names its batch), set-aside batches ("r" keys);
                                             // 8: proofs sign (view, k, block hash) (block format 3),
                                             //    checkpoints by (view, ledger head), PoE
                                             //    journal v3
                                             // 9: executor snapshots carry each reply-cache
                                             //    entry's brokered payload hash (broker path)
                                             // 10: executor snapshots end with the client
                                             //    directory's sign-ups (replica/client_directory)
inline constexpr size_t kMaxCheckpointSigs = 1024;
inline constexpr size_t kMaxSigBytes = 1024;

// A stable checkpoint: nf replicas signed (view, k, head), head = block_hash(block k). The
// signatures are kept opaque (the consensus layer defines the signed message); the store checks
// the head and the state digest against block k.
struct CheckpointRecord {
  uint64_t k = 0;
  uint64_t view = 0;
  Hash32 head{};
  Hash32 state_digest{};                  // block k's, the state the snapshot must reproduce
  std::vector<crypto::Share> signatures;  // (replica id, signature), nf of them

  bool operator==(const CheckpointRecord& o) const;
};

Bytes encode_checkpoint(const CheckpointRecord& c);
Result<CheckpointRecord> decode_checkpoint(ByteView bytes);

// The application state after executing block k, with a BLAKE3 of its bytes so a damaged
// snapshot is caught on read, independent of RocksDB's own checksums.
struct Snapshot {
  uint64_t k = 0;
  Bytes state;
};

Bytes encode_snapshot(const Snapshot& s);
Result<Snapshot> decode_snapshot(ByteView bytes);

struct Metadata {
  uint32_t format = kStoreFormat;
  Hash32 config_hash{};     // config_digest(cluster config) the folder was created for
  uint64_t last_block = 0;  // highest stored block (final or speculative)
  uint64_t last_final = 0;  // highest final block; blocks above it are speculative
};

Bytes encode_metadata(const Metadata& m);
Result<Metadata> decode_metadata(ByteView bytes);

}  // namespace rampart::ledger
