#pragma once
// The executor hands each request's payload to the state machine as the operation; on the direct
// path a payload is `client public key || operation` (replica/client_wire.hpp). This adapter splits it:
// the application sees the key that signed the request as the invocation's principal, and its
// own operation. `authenticated`: the replica checks client signatures, so that key is vouched
// for (app::Invocation::authenticated); every replica of a cluster runs the same client auth,
// so apps that rely on it stay deterministic.
#include "app/state_machine.hpp"
#include "replica/client_wire.hpp"

namespace rampart::replica {

class PrincipalApp final : public app::StateMachine {
 public:
  explicit PrincipalApp(app::StateMachine& inner, bool authenticated = true)
      : inner_(inner), authenticated_(authenticated) {}
  Bytes apply(const app::Invocation& in) override {
    app::Invocation out = in;
    if (in.op.size() < client::kPubkeyBytes) {
      out.op = {};
    } else {
      out.principal = in.op.first(client::kPubkeyBytes);
      out.op = in.op.subspan(client::kPubkeyBytes);
      out.authenticated = authenticated_;
    }
    return inner_.apply(out);
  }
  void undo_to(uint64_t k) override { inner_.undo_to(k); }
  void make_final(uint64_t k) override { inner_.make_final(k); }
  Hash32 digest() const override { return inner_.digest(); }
  Bytes snapshot() const override { return inner_.snapshot(); }
  Status restore(ByteView s) override { return inner_.restore(s); }

 private:
  app::StateMachine& inner_;
  bool authenticated_;
};

}  // namespace rampart::replica
