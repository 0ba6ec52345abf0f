#pragma once
// The executor hands each request's payload to the state machine; on the direct path a payload
// is `client public key || operation` (client/wire.hpp). This adapter strips the key so the
// application sees only its operation.
#include "app/state_machine.hpp"
#include "client/wire.hpp"

namespace rampart::node {

class KeyPrefixedApp final : public app::StateMachine {
 public:
  explicit KeyPrefixedApp(app::StateMachine& inner) : inner_(inner) {}
  Bytes apply(uint64_t k, ByteView payload) override {
    if (payload.size() < client::kPubkeyBytes) return inner_.apply(k, {});
    return inner_.apply(k, payload.subspan(client::kPubkeyBytes));
  }
  void undo_to(uint64_t k) override { inner_.undo_to(k); }
  void make_final(uint64_t k) override { inner_.make_final(k); }
  Hash32 digest() const override { return inner_.digest(); }
  Bytes snapshot() const override { return inner_.snapshot(); }
  Status restore(ByteView s) override { return inner_.restore(s); }

 private:
  app::StateMachine& inner_;
};

}  // namespace rampart::node
