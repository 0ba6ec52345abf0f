#pragma once
// A real wallet ledger for observer tests: batches of signed wallet operations executed the way a
// replica process executes them (replica::Executor over replica::PrincipalApp over the wallet),
// each block group-signed with the fake keyring (n = 4, nf = 3), plus the ClusterConfig a client
// needs to check proofs against the same group key.
#include <vector>

#include "app/wallet/wallet.hpp"
#include "app/wallet_helpers.hpp"
#include "crypto/fake.hpp"
#include "ledger/block.hpp"
#include "ledger/store.hpp"
#include "replica/principal_app.hpp"
#include "replica/batch.hpp"
#include "replica/executor.hpp"

namespace rampart::gossip::testing {

namespace w = app::wallet;
using crypto::ed25519::KeyPair;

inline constexpr uint64_t kFakeSeed = 5;

struct WalletChain {
  crypto::FakeKeyring ring{4, 3, kFakeSeed};
  KeyPair admin = KeyPair::generate();
  std::vector<KeyPair> users{KeyPair::generate(), KeyPair::generate(), KeyPair::generate()};
  w::Wallet wallet{{admin.public_key()}};
  replica::PrincipalApp front{wallet};
  replica::Executor exec{front};
  Bytes config = to_bytes("observer reads test cluster");
  std::vector<ledger::Block> blocks{ledger::genesis_block(config)};
  std::vector<Bytes> batches{config};

  // Client-side view: a fake-crypto wallet cluster of four with this chain's group key.
  ClusterConfig cluster() const {
    ClusterConfig c;
    c.f = 1;
    c.crypto = "fake";
    c.fake_seed = kFakeSeed;
    c.app = "wallet";
    for (uint32_t i = 0; i < 4; ++i) {
      ReplicaEntry e;
      e.id = i;
      c.replicas.push_back(e);
    }
    return c;
  }

  std::unique_ptr<app::StateMachine> fresh_app() const {
    return std::make_unique<w::Wallet>(std::set<w::Account>{admin.public_key()});
  }
  static std::unique_ptr<app::StateMachine> key_prefixed(app::StateMachine& a) { return std::make_unique<replica::PrincipalApp>(a); }

  Bytes prove(const ledger::Block& b) const {
    const Bytes msg = ledger::proof_message(b);
    std::vector<crypto::Share> shares;
    for (uint32_t i = 0; i < 3; ++i) shares.push_back({i, ring.threshold_signer(i)->sign_share(msg)});
    return *ring.threshold_verifier().combine(msg, shares);
  }

  // Each op as its signer's client sends it: payload = signer's public key | operation.
  const ledger::Block& run(const std::vector<std::pair<const KeyPair*, Bytes>>& ops) {
    const uint64_t k = blocks.size();
    replica::Batch b;
    for (size_t i = 0; i < ops.size(); ++i) {
      Bytes payload(ops[i].first->public_key().begin(), ops[i].first->public_key().end());
      payload.insert(payload.end(), ops[i].second.begin(), ops[i].second.end());
      b.requests.push_back({100 + i, k, std::move(payload), {}});
    }
    return run_slot(replica::encode_batch(b));
  }

  // A block of any slot bytes (a bundle, a distilled batch), executed as a replica does.
  const ledger::Block& run_slot(Bytes bytes) {
    const uint64_t k = blocks.size();
    auto out = exec.execute(k, bytes);
    exec.make_final(k);
    ledger::Block blk;
    blk.k = k;
    blk.view = 1;
    blk.batch_digest = batch_digest(bytes);
    blk.prev_hash = ledger::block_hash(blocks.back());
    blk.state_digest = out.state_digest;
    blk.results_root = out.results_root;
    blk.proof = prove(blk);
    blocks.push_back(blk);
    batches.push_back(std::move(bytes));
    return blocks.back();
  }
  const ledger::Block& pay(const KeyPair& from, const KeyPair& to, uint64_t amount, uint64_t nonce) {
    return run({{&from, w::test::transfer(from, to.public_key(), amount, nonce)}});
  }

  Status store_into(ledger::Store& s, uint64_t upto) const {
    for (uint64_t k = s.last_block() + 1; k <= upto; ++k) RAMPART_TRY(s.append_block(blocks[k], batches[k]));
    return {};
  }
};

}  // namespace rampart::gossip::testing
