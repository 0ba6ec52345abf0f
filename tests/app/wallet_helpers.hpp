#pragma once
// Signed wallet operations for tests.
#include <vector>

#include "app/wallet/op.hpp"
#include "crypto/ed25519.hpp"

namespace rampart::app::wallet::test {

inline Account acct(const crypto::ed25519::KeyPair& kp) { return kp.public_key(); }

struct Spec {
  const crypto::ed25519::KeyPair* from;
  Account to;
  uint64_t amount;
  uint64_t nonce;
};

// Legs signed by their owners over the whole list.
inline std::vector<Leg> signed_legs(const std::vector<Spec>& specs) {
  std::vector<Leg> legs;
  for (const auto& s : specs) legs.push_back({acct(*s.from), s.to, s.amount, s.nonce, {}});
  const Bytes msg = signing_message(legs);
  for (size_t i = 0; i < legs.size(); ++i) legs[i].sig = specs[i].from->sign(msg);
  return legs;
}

inline Bytes transfer(const crypto::ed25519::KeyPair& from, const Account& to, uint64_t amount, uint64_t nonce) {
  Op op;
  op.type = OpType::transfer;
  op.legs = signed_legs({{&from, to, amount, nonce}});
  return encode_op(op);
}

inline Bytes atomic(const std::vector<Spec>& specs) {
  Op op;
  op.type = OpType::atomic;
  op.legs = signed_legs(specs);
  return encode_op(op);
}

inline Bytes balance(const Account& a) {
  Op op;
  op.type = OpType::balance;
  op.account = a;
  return encode_op(op);
}

inline Bytes page(std::optional<Account> after, uint32_t limit) {
  Op op;
  op.type = OpType::ledger;
  op.after = after;
  op.limit = limit;
  return encode_op(op);
}

}  // namespace rampart::app::wallet::test
