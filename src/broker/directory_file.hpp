#pragma once
// A client directory in a file, until sign-up through consensus exists (issue 17): what
// `rampart broker --clients FILE` reads. TOML, public keys only:
//
//   format = "rampart-clients-v1"
//   [[client]]
//   id = 0
//   ed25519 = "<hex, 32 bytes>"
//   bls = "<hex, 48 bytes, compressed G1>"
//   pop = "<hex, 96 bytes: proof of possession of the BLS key>"
//
// Loading checks every proof of possession (one pairing check each, ~1.6 ms): a key without one
// must never be aggregated (rogue-key attack).
#include <filesystem>
#include <memory>
#include <vector>

#include "broker/directory.hpp"

namespace rampart::broker {

struct ClientRecord {
  ClientId id = 0;
  crypto::ed25519::PublicKey ed25519{};
  crypto::bls::PublicKey bls{};
  crypto::bls::Signature pop{};
};

Status save_directory(const std::filesystem::path& file, const std::vector<ClientRecord>& clients);
// check_proofs false: for a file this cluster's own keygen wrote (benchmarks with tens of
// thousands of clients, whose checks would take minutes); the keys are still decoded.
Result<std::unique_ptr<MemoryDirectory>> load_directory(const std::filesystem::path& file, bool check_proofs = true);

}  // namespace rampart::broker
