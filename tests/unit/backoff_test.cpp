// Exponential backoff with full jitter.
#include "common/backoff.h"

#include <gtest/gtest.h>

#include <limits>

namespace upfleet {
namespace {

using namespace std::chrono_literals;

TEST(Backoff, CeilingDoublesFromBaseUntilTheCap) {
  const Backoff backoff({100ms, 1000ms, 5}, /*seed=*/1);
  EXPECT_EQ(backoff.ceiling(0), 100ms);
  EXPECT_EQ(backoff.ceiling(1), 200ms);
  EXPECT_EQ(backoff.ceiling(2), 400ms);
  EXPECT_EQ(backoff.ceiling(3), 800ms);
  EXPECT_EQ(backoff.ceiling(4), 1000ms);
  EXPECT_EQ(backoff.ceiling(5), 1000ms);
}

TEST(Backoff, LargeRetryNumbersStayAtTheCap) {
  const Backoff backoff({100ms, 20s, 5}, 1);
  EXPECT_EQ(backoff.ceiling(62), 20s);
  EXPECT_EQ(backoff.ceiling(64), 20s);
  EXPECT_EQ(backoff.ceiling(1000), 20s);
  EXPECT_EQ(backoff.ceiling(std::numeric_limits<int>::max()), 20s);
}

// The cap can come from configuration (worker.retry_cap); however large it is, doubling must
// saturate at it instead of overflowing int64.
TEST(Backoff, HugeCapNeverOverflows) {
  const Backoff backoff({1ms, std::chrono::milliseconds::max(), 5}, 1);
  EXPECT_EQ(backoff.ceiling(10), 1024ms);
  EXPECT_EQ(backoff.ceiling(1000), std::chrono::milliseconds::max());
}

TEST(Backoff, ZeroBaseIsTreatedAsOneMillisecond) {
  const Backoff backoff({0ms, 10ms, 5}, 1);
  EXPECT_EQ(backoff.ceiling(0), 1ms);
  EXPECT_EQ(backoff.ceiling(3), 8ms);
  EXPECT_EQ(backoff.ceiling(4), 10ms);
}

TEST(Backoff, CapBelowBaseMeansBase) {
  const Backoff backoff({500ms, 100ms, 5}, 1);
  EXPECT_EQ(backoff.ceiling(0), 500ms);
  EXPECT_EQ(backoff.ceiling(10), 500ms);
}

TEST(Backoff, DelayIsWithinZeroAndCeilingAndActuallyJitters) {
  Backoff backoff({100ms, 1000ms, 5}, /*seed=*/42);
  for (int retry : {0, 1, 3, 10, 1000}) {
    std::chrono::milliseconds smallest = backoff.ceiling(retry);
    std::chrono::milliseconds largest{-1};
    for (int i = 0; i < 500; ++i) {
      const auto delay = backoff.delay(retry);
      ASSERT_GE(delay, 0ms) << "retry " << retry;
      ASSERT_LE(delay, backoff.ceiling(retry)) << "retry " << retry;
      smallest = std::min(smallest, delay);
      largest = std::max(largest, delay);
    }
    // Full jitter spreads over the whole interval, not just near the ceiling.
    EXPECT_LT(smallest, backoff.ceiling(retry) / 4) << "retry " << retry;
    EXPECT_GT(largest, backoff.ceiling(retry) * 3 / 4) << "retry " << retry;
  }
}

TEST(Backoff, SameSeedSameDelays) {
  Backoff a({100ms, 10s, 5}, 7);
  Backoff b({100ms, 10s, 5}, 7);
  for (int retry = 0; retry < 20; ++retry) EXPECT_EQ(a.delay(retry), b.delay(retry));
}

TEST(Backoff, AllowsCountsAttemptsIncludingTheFirst) {
  const Backoff three({1ms, 1ms, 3}, 1);
  EXPECT_TRUE(three.allows(1));
  EXPECT_TRUE(three.allows(2));
  EXPECT_TRUE(three.allows(3));
  EXPECT_FALSE(three.allows(4));

  const Backoff once({1ms, 1ms, 1}, 1);
  EXPECT_TRUE(once.allows(1));
  EXPECT_FALSE(once.allows(2));
}

}  // namespace
}  // namespace upfleet
