// OffsetTracker: the committable offset of a partition is the lowest unfinished offset (or
// one past the highest seen when all are finished), whatever order jobs finish in.
#include "worker/offset_tracker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <vector>

namespace upfleet {
namespace {

TEST(OffsetTrackerTest, NothingIsCommittableBeforeAnyJobWasSeen) {
  OffsetTracker tracker;
  EXPECT_EQ(tracker.committable(), std::nullopt);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST(OffsetTrackerTest, AStartedJobHoldsTheCommitAtItsOwnOffset) {
  OffsetTracker tracker;
  tracker.started(40);
  EXPECT_EQ(tracker.committable(), 40);  // "next to read" is the unfinished job itself
  EXPECT_EQ(tracker.pending(), 1u);
}

TEST(OffsetTrackerTest, InOrderFinishesMoveTheCommitOneByOne) {
  OffsetTracker tracker;
  for (int64_t offset = 10; offset < 15; ++offset) tracker.started(offset);
  for (int64_t offset = 10; offset < 15; ++offset) {
    EXPECT_EQ(tracker.committable(), offset);
    tracker.finished(offset);
    EXPECT_EQ(tracker.committable(), offset + 1);
  }
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.committable(), 15);
}

TEST(OffsetTrackerTest, OutOfOrderFinishesDoNotPassTheLowestUnfinished) {
  OffsetTracker tracker;
  for (int64_t offset = 0; offset < 4; ++offset) tracker.started(offset);
  tracker.finished(3);
  EXPECT_EQ(tracker.committable(), 0);
  tracker.finished(1);
  EXPECT_EQ(tracker.committable(), 0);
  tracker.finished(0);
  EXPECT_EQ(tracker.committable(), 2);  // 1 is done too, 2 is not
  tracker.finished(2);
  EXPECT_EQ(tracker.committable(), 4);  // 3 finished long ago: the commit jumps past it
}

TEST(OffsetTrackerTest, GapsInOffsetsAreSkipped) {
  // Compacted topics and transaction markers leave holes: offsets never seen do not hold the
  // commit back.
  OffsetTracker tracker;
  tracker.started(5);
  tracker.started(9);
  tracker.started(20);
  tracker.finished(5);
  EXPECT_EQ(tracker.committable(), 9);
  tracker.finished(20);
  EXPECT_EQ(tracker.committable(), 9);
  tracker.finished(9);
  EXPECT_EQ(tracker.committable(), 21);
}

TEST(OffsetTrackerTest, NewJobsAfterEverythingFinishedHoldTheCommitAgain) {
  OffsetTracker tracker;
  tracker.started(0);
  tracker.finished(0);
  EXPECT_EQ(tracker.committable(), 1);
  tracker.started(1);
  EXPECT_EQ(tracker.committable(), 1);
  tracker.started(2);
  tracker.finished(2);
  EXPECT_EQ(tracker.committable(), 1);
  tracker.finished(1);
  EXPECT_EQ(tracker.committable(), 3);
}

TEST(OffsetTrackerTest, FinishingAnUnknownOffsetChangesNothing) {
  OffsetTracker tracker;
  tracker.started(7);
  tracker.finished(3);
  tracker.finished(8);
  EXPECT_EQ(tracker.committable(), 7);
  EXPECT_EQ(tracker.pending(), 1u);
}

// The reference answer, computed from scratch.
int64_t expected_committable(const std::vector<int64_t>& offsets, const std::set<int64_t>& done) {
  for (int64_t offset : offsets) {
    if (!done.contains(offset)) return offset;
  }
  return offsets.back() + 1;
}

TEST(OffsetTrackerTest, RandomFinishOrdersNeverPassAnUnfinishedOffset) {
  constexpr int kOffsets = 200;
  constexpr int kRounds = 50;
  std::mt19937 rng(20240611);  // seeded: a failure reproduces
  for (int round = 0; round < kRounds; ++round) {
    // Increasing offsets with random gaps, starting anywhere.
    std::vector<int64_t> offsets;
    int64_t next = std::uniform_int_distribution<int64_t>(0, 1'000'000)(rng);
    for (int i = 0; i < kOffsets; ++i) {
      offsets.push_back(next);
      next += std::uniform_int_distribution<int64_t>(1, 3)(rng);
    }
    OffsetTracker tracker;
    for (int64_t offset : offsets) tracker.started(offset);
    std::vector<int64_t> order = offsets;
    std::shuffle(order.begin(), order.end(), rng);

    std::set<int64_t> done;
    int64_t previous = offsets.front();
    for (int64_t offset : order) {
      tracker.finished(offset);
      done.insert(offset);
      const auto committable = tracker.committable();
      ASSERT_TRUE(committable.has_value());
      const int64_t expected = expected_committable(offsets, done);
      ASSERT_EQ(*committable, expected) << "round " << round << " after finishing " << offset;
      // Never past an unfinished offset, and never backwards.
      for (int64_t o : offsets) {
        if (o >= *committable) break;
        ASSERT_TRUE(done.contains(o)) << "committable " << *committable << " passes " << o;
      }
      ASSERT_GE(*committable, previous);
      previous = *committable;
      ASSERT_EQ(tracker.pending(), offsets.size() - done.size());
    }
    EXPECT_EQ(tracker.committable(), offsets.back() + 1);
  }
}

TEST(OffsetTrackerTest, InterleavedStartsAndFinishesMatchTheReference) {
  // Jobs keep arriving while earlier ones finish, as in a live partition.
  std::mt19937 rng(7);
  OffsetTracker tracker;
  std::vector<int64_t> seen;
  std::set<int64_t> done;
  std::vector<int64_t> unfinished;
  int64_t next = 100;
  for (int step = 0; step < 2'000; ++step) {
    const bool start = unfinished.empty() || std::bernoulli_distribution(0.55)(rng);
    if (start) {
      tracker.started(next);
      seen.push_back(next);
      unfinished.push_back(next);
      next += std::uniform_int_distribution<int64_t>(1, 2)(rng);
    } else {
      const size_t pick = std::uniform_int_distribution<size_t>(0, unfinished.size() - 1)(rng);
      const int64_t offset = unfinished[pick];
      unfinished.erase(unfinished.begin() + static_cast<std::ptrdiff_t>(pick));
      tracker.finished(offset);
      done.insert(offset);
    }
    ASSERT_EQ(tracker.committable(), expected_committable(seen, done)) << "step " << step;
  }
}

}  // namespace
}  // namespace upfleet
