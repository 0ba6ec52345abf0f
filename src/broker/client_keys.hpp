#pragma once
// The secret keys of a set of broker-path clients in one file: what `rampart keygen
// --broker-clients N` writes to DIR/keys/broker-clients.key (mode 0600) next to the public
// directory DIR/clients.toml (directory_file.hpp), and what a driver that plays those clients
// (`rampart broker-client`) loads. A stand-in for each client holding its own keys, like the
// directory file is for sign-up. One client a line, after a format line:
//
//   rampart-broker-clients-secret-v1
//   <id> <Ed25519 seed, 32 bytes hex> <BLS secret key, 32 bytes hex, big-endian>
//
// Lines are parsed strictly (one space between fields, exact lengths, ids strictly increasing).
#include <filesystem>
#include <vector>

#include "broker/directory_file.hpp"
#include "crypto/bls.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::broker {

struct ClientSecrets {
  ClientId id = 0;
  crypto::ed25519::KeyPair ed25519;
  crypto::bls::SecretKey bls;
};

// Fresh keys for clients 0..n-1.
std::vector<ClientSecrets> generate_clients(uint32_t n);
// Their public records, with a proof of possession each (for save_directory).
std::vector<ClientRecord> public_records(const std::vector<ClientSecrets>& clients);

Status save_client_secrets(const std::filesystem::path& file, const std::vector<ClientSecrets>& clients);
// Refuses a file group or others may read (crypto/keyfile.hpp), a malformed line, or more than
// kMaxBatchEntries * 64 clients.
Result<std::vector<ClientSecrets>> load_client_secrets(const std::filesystem::path& file);

// Writes dir/clients.toml and dir/keys/broker-clients.key for n fresh clients. Returns the
// directory file's name relative to dir (for cluster.toml's `clients`).
Result<std::string> write_client_set(const std::filesystem::path& dir, uint32_t n);
// write_client_set, then sets `clients` in dir/cluster.toml to the directory it wrote.
Status add_client_set_to_cluster(const std::filesystem::path& dir, uint32_t n);
inline constexpr const char* kClientSecretsFile = "keys/broker-clients.key";
inline constexpr const char* kClientDirectoryFile = "clients.toml";

}  // namespace rampart::broker
