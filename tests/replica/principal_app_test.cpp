// On the direct path a request's payload is the client's public key followed by the operation:
// the adapter hands the application the key as the invocation's principal and the operation
// alone, keeping where and for whom it runs.
#include "replica/principal_app.hpp"

#include <gtest/gtest.h>

namespace rampart::replica {
namespace {

struct Last final : app::StateMachine {
  app::Invocation in;
  Bytes principal, op;
  Bytes apply(const app::Invocation& i) override {
    in = i;
    principal.assign(i.principal.begin(), i.principal.end());
    op.assign(i.op.begin(), i.op.end());
    return to_bytes("r");
  }
  void undo_to(uint64_t) override {}
  void make_final(uint64_t) override {}
  Hash32 digest() const override { return {}; }
  Bytes snapshot() const override { return {}; }
  Status restore(ByteView) override { return {}; }
};

TEST(PrincipalApp, ThePrincipalIsTheKeyThatPrefixesThePayload) {
  Last inner;
  PrincipalApp a(inner);
  Bytes payload(client::kPubkeyBytes, 0xab);
  payload.push_back(0x01);
  payload.push_back(0x02);
  EXPECT_EQ(a.apply(app::Invocation{9, 2, 77, {}, 5, payload}), to_bytes("r"));
  EXPECT_EQ(inner.principal, Bytes(client::kPubkeyBytes, 0xab));
  EXPECT_EQ(inner.op, (Bytes{0x01, 0x02}));
  EXPECT_EQ(inner.in.height, 9u);
  EXPECT_EQ(inner.in.index, 2u);
  EXPECT_EQ(inner.in.client, 77u);
  EXPECT_EQ(inner.in.seq, 5u);
  // Too short to hold a key (refused before ordering on the direct path): nothing to apply.
  a.apply(app::Invocation{9, 0, 77, {}, 6, Bytes{1, 2, 3}});
  EXPECT_TRUE(inner.principal.empty());
  EXPECT_TRUE(inner.op.empty());
}

}  // namespace
}  // namespace rampart::replica
