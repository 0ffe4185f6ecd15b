// The write-behind policy of the spool writer: which ranges get writeback started, and which
// are waited for and dropped, as a body grows write by write.
#include "producer/write_behind.h"

#include <gtest/gtest.h>

#include <vector>

namespace upfleet {
namespace {

constexpr uint64_t kWindow = 100;

TEST(WriteBehind, NothingBeforeTheFirstWholeWindow) {
  WriteBehind policy(kWindow);
  for (uint64_t written : {1u, 50u, 99u}) {
    const WriteBehindStep step = policy.step(written);
    EXPECT_FALSE(step.start);
    EXPECT_FALSE(step.retire);
  }
  EXPECT_EQ(policy.unstarted(99), 99u);
}

TEST(WriteBehind, StartsEachWindowOnceAndRetiresThePreviousOne) {
  WriteBehind policy(kWindow);
  WriteBehindStep step = policy.step(100);
  EXPECT_EQ(step.start, (ByteRange{0, 100}));
  EXPECT_FALSE(step.retire);  // nothing started before: nothing to wait for

  step = policy.step(150);
  EXPECT_FALSE(step.start);
  EXPECT_FALSE(step.retire);

  step = policy.step(230);
  EXPECT_EQ(step.start, (ByteRange{100, 100}));
  EXPECT_EQ(step.retire, (ByteRange{0, 100}));
  EXPECT_EQ(policy.unstarted(230), 30u);

  step = policy.step(300);
  EXPECT_EQ(step.start, (ByteRange{200, 100}));
  EXPECT_EQ(step.retire, (ByteRange{100, 100}));
  EXPECT_EQ(policy.unstarted(300), 0u);
}

TEST(WriteBehind, AWriteSpanningWindowsStartsThemTogether) {
  WriteBehind policy(kWindow);
  WriteBehindStep step = policy.step(350);
  EXPECT_EQ(step.start, (ByteRange{0, 300}));
  EXPECT_FALSE(step.retire);
  step = policy.step(420);
  EXPECT_EQ(step.start, (ByteRange{300, 100}));
  EXPECT_EQ(step.retire, (ByteRange{0, 300}));
}

TEST(WriteBehind, EveryByteIsStartedOnceAndRetiredOnceInOrder) {
  WriteBehind policy(kWindow);
  uint64_t started_end = 0;
  uint64_t retired_end = 0;
  uint64_t written = 0;
  for (uint64_t chunk : std::vector<uint64_t>{7, 93, 1, 250, 49, 100, 100, 3, 97, 512}) {
    written += chunk;
    const WriteBehindStep step = policy.step(written);
    if (step.start) {
      EXPECT_EQ(step.start->offset, started_end);
      started_end += step.start->length;
      EXPECT_EQ(started_end % kWindow, 0u);
      EXPECT_LE(started_end, written);
    }
    if (step.retire) {
      EXPECT_EQ(step.retire->offset, retired_end);
      retired_end += step.retire->length;
      EXPECT_LT(retired_end, started_end);  // only what was started before this step
    }
  }
  EXPECT_EQ(started_end, written - written % kWindow);
  EXPECT_EQ(policy.unstarted(written), written % kWindow);
}

TEST(WriteBehind, ZeroWindowIsOff) {
  WriteBehind policy(0);
  const WriteBehindStep step = policy.step(1ull << 40);
  EXPECT_FALSE(step.start);
  EXPECT_FALSE(step.retire);
}

}  // namespace
}  // namespace upfleet
