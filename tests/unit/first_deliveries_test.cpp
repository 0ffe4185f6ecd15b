// FirstDeliveries: only messages at or above the watermark seen at assignment, and only the
// first time each, count as first deliveries.
#include "worker/first_deliveries.h"

#include <gtest/gtest.h>

namespace upfleet {
namespace {

const TopicPartition kP0{"upfleet.jobs", 0};
const TopicPartition kP1{"upfleet.jobs", 1};

TEST(FirstDeliveriesTest, PartitionWithUnknownWatermarkHasNoFirstDeliveries) {
  FirstDeliveries first;
  EXPECT_FALSE(first.first(kP0, 0));
  EXPECT_FALSE(first.first(kP0, 1'000'000));
}

TEST(FirstDeliveriesTest, MessagesBelowTheWatermarkAtAssignmentMayBeRepeats) {
  FirstDeliveries first;
  first.assigned(kP0, 10);
  EXPECT_FALSE(first.first(kP0, 0));
  EXPECT_FALSE(first.first(kP0, 9));
  EXPECT_TRUE(first.first(kP0, 10));
  EXPECT_TRUE(first.first(kP0, 11));
  EXPECT_TRUE(first.first(kP0, 15));  // gaps (compaction, transactions markers) are fine
}

TEST(FirstDeliveriesTest, AMessageSeenAgainIsNotFirst) {
  FirstDeliveries first;
  first.assigned(kP0, 5);
  EXPECT_TRUE(first.first(kP0, 5));
  EXPECT_TRUE(first.first(kP0, 6));
  EXPECT_TRUE(first.first(kP0, 7));
  // A seek back (offset reset, pause and refetch) delivers them again.
  EXPECT_FALSE(first.first(kP0, 6));
  EXPECT_FALSE(first.first(kP0, 7));
  EXPECT_TRUE(first.first(kP0, 8));
}

TEST(FirstDeliveriesTest, PartitionsAreIndependent) {
  FirstDeliveries first;
  first.assigned(kP0, 5);
  first.assigned(kP1, 100);
  EXPECT_TRUE(first.first(kP0, 50));
  EXPECT_FALSE(first.first(kP1, 50));
  EXPECT_TRUE(first.first(kP1, 100));
}

TEST(FirstDeliveriesTest, ForgottenPartitionHasNoFirstDeliveriesUntilAssignedAgain) {
  FirstDeliveries first;
  first.assigned(kP0, 5);
  EXPECT_TRUE(first.first(kP0, 5));
  first.forget(kP0);
  EXPECT_FALSE(first.first(kP0, 6));
  // Assigned back later: whatever was produced meanwhile may have gone to another owner.
  first.assigned(kP0, 20);
  EXPECT_FALSE(first.first(kP0, 19));
  EXPECT_TRUE(first.first(kP0, 20));
}

}  // namespace
}  // namespace upfleet
