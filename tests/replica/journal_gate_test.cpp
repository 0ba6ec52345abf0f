// Journal gating with a fake host: a message waits only for the records written before it, and a
// record that cannot be written stops all sending for good.
#include "replica/journal_gate.hpp"

#include <gtest/gtest.h>

namespace rampart::replica {
namespace {

class FakeJournal final : public JournalHost {
 public:
  bool write_record(consensus::Seq seq, uint8_t, ByteView) override {
    written.push_back(seq);
    return !fail;
  }
  uint64_t request_sync() override { return ++gen; }
  void send_now(std::optional<consensus::NodeId> to, Bytes wire) override { out.push_back({to, wire.at(0)}); }

  bool fail = false;
  uint64_t gen = 0;
  std::vector<consensus::Seq> written;
  std::vector<std::pair<std::optional<consensus::NodeId>, uint8_t>> out;
};

TEST(JournalGate, EachMessageWaitsForTheRecordsWrittenBeforeItOnly) {
  FakeJournal host;
  JournalGate g(host);
  g.send(1, Bytes{1});
  EXPECT_EQ(host.out.size(), 1u) << "nothing written yet: leaves at once";
  g.put(5, 0, Bytes{9});  // sync 1
  g.send(std::nullopt, Bytes{2});
  g.put(6, 0, Bytes{9});  // sync 2
  g.send(2, Bytes{3});
  EXPECT_EQ(host.out.size(), 1u);
  EXPECT_EQ(g.held(), 2u);
  g.synced(1);
  ASSERT_EQ(host.out.size(), 2u) << "the first waited for sync 1 only";
  EXPECT_EQ(host.out[1], (std::pair<std::optional<consensus::NodeId>, uint8_t>{std::nullopt, 2}));
  g.synced(2);
  ASSERT_EQ(host.out.size(), 3u);
  EXPECT_EQ(host.out[2].second, 3);
  g.put_lazy(7, 0, Bytes{9});  // no sync of its own: the next message does not wait for it
  g.send(3, Bytes{4});
  EXPECT_EQ(host.out.size(), 4u);
  g.barrier();
  g.send(3, Bytes{5});
  EXPECT_EQ(host.out.size(), 4u) << "after a barrier, messages wait for everything written";
  g.synced(3);
  EXPECT_EQ(host.out.size(), 5u);
}

TEST(JournalGate, AFailedWriteStopsVotingForGood) {
  FakeJournal host;
  JournalGate g(host);
  g.put(1, 0, Bytes{9});
  g.send(1, Bytes{1});
  host.fail = true;
  g.put(2, 0, Bytes{9});
  EXPECT_TRUE(g.failed());
  EXPECT_EQ(g.held(), 0u) << "what waited for the lost record is dropped";
  g.synced(1);
  g.send(1, Bytes{2});
  EXPECT_TRUE(host.out.empty());
  host.fail = false;
  g.put(3, 0, Bytes{9});
  EXPECT_EQ(host.written.size(), 2u) << "nothing more is written";
}

}  // namespace
}  // namespace rampart::replica
