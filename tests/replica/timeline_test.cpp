// The step timeline (replica/timeline.hpp): each step is timed from its own start event to its
// end event for the same slot or block, and only when both happened here.
#include <gtest/gtest.h>

#include "replica/timeline.hpp"
#include "metric_value.hpp"

namespace rampart::replica {
namespace {
using testing::metric_value;

TEST(Timeline, EachStepRunsFromItsStartToItsEndForTheSameSlot) {
  metrics::Registry reg;
  Timeline t(reg);
  Hash32 a{}, b{};
  a[0] = 1;
  b[0] = 2;
  t.seen(a, 1000);
  t.seen(a, 1500);  // seen again (a retransmitted PROPOSE): the first sighting counts
  t.executed(1, a, 4000, 4200);
  t.executed(2, b, 5000, 5100);  // never seen here (learned with its certificate): not an ordering
  t.proven(1, 9200);
  t.proven(3, 9300);  // not executed here: no prove step
  t.replied(1, 10200);
  t.replied(2, 10300);  // not proven here: no durable step
  EXPECT_EQ(metric_value(reg, "rampart_step_ordering_us_total"), 3000u);
  EXPECT_EQ(metric_value(reg, "rampart_step_ordering_total"), 1u);
  EXPECT_EQ(metric_value(reg, "rampart_step_execute_us_total"), 300u);
  EXPECT_EQ(metric_value(reg, "rampart_step_execute_total"), 2u);
  EXPECT_EQ(metric_value(reg, "rampart_step_prove_us_total"), 5000u);
  EXPECT_EQ(metric_value(reg, "rampart_step_prove_total"), 1u);
  EXPECT_EQ(metric_value(reg, "rampart_step_durable_us_total"), 1000u);
  EXPECT_EQ(metric_value(reg, "rampart_step_durable_total"), 1u);
}

}  // namespace
}  // namespace rampart::replica
