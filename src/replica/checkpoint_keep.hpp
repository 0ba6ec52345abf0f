#pragma once
// What a replica keeps in memory of its recent checkpoints: the executor snapshot taken when it
// executed each checkpoint height, and the protocol's certificate once the checkpoint is stable.
// Filled as blocks execute (node.cpp) and checkpoints stabilise (replica/checkpoints.hpp); state
// transfer serves from it
// a peer's exact checkpoint, which the ledger's single stored checkpoint may already be past.
#include <cstdint>
#include <map>

#include "common/bytes.hpp"
#include "consensus/protocol.hpp"

namespace rampart::replica {

struct KeptSnapshot {
  Hash32 digest{};  // state digest
  Hash32 head{};    // ledger head at its k, what checkpoints sign
  Bytes state;
};

struct CheckpointKeep {
  std::map<uint64_t, KeptSnapshot> snapshots;             // taken at checkpoint sequence numbers
  std::map<uint64_t, consensus::CheckpointCert> certs;    // stable checkpoints' proofs (last two)
};

}  // namespace rampart::replica
