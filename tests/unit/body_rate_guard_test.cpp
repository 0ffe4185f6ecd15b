// The minimum body rate as arithmetic on given time points: grace, the young-body average,
// the sliding window, and "off".
#include "producer/body_rate_guard.h"

#include <gtest/gtest.h>

namespace upfleet {
namespace {

using namespace std::chrono_literals;
using TimePoint = BodyRateGuard::TimePoint;

const TimePoint kStart = TimePoint() + 1000s;

BodyRateOptions rate(uint64_t per_second, std::chrono::milliseconds grace,
                     std::chrono::milliseconds window) {
  return {.min_bytes_per_second = per_second, .grace = grace, .window = window};
}

TEST(BodyRateGuard, ZeroRateNeverExpires) {
  BodyRateGuard guard(rate(0, 0ms, 10s), kStart);
  EXPECT_EQ(guard.deadline(), TimePoint::max());
  guard.on_bytes(kStart + 1s, 10);
  EXPECT_EQ(guard.deadline(), TimePoint::max());
}

TEST(BodyRateGuard, NothingIsJudgedBeforeGraceAndOneWindow) {
  EXPECT_EQ(BodyRateGuard(rate(1000, 5s, 20s), kStart).deadline(), kStart + 20s);
  EXPECT_EQ(BodyRateGuard(rate(1000, 30s, 20s), kStart).deadline(), kStart + 30s);
}

TEST(BodyRateGuard, LessThanOneWindowsWorthExpiresAsSoonAsJudged) {
  BodyRateGuard guard(rate(1000, 0ms, 10s), kStart);
  guard.on_bytes(kStart + 1s, 9999);  // a window needs 10000
  EXPECT_EQ(guard.deadline(), kStart + 10s);
  guard.on_bytes(kStart + 2s, 1);
  // Now 10000: enough until the window no longer holds the first 9999 bytes.
  EXPECT_EQ(guard.deadline(), kStart + 11s);
}

TEST(BodyRateGuard, OldBytesStopCountingOnceTheyLeaveTheWindow) {
  // 10 s window at 100 bytes/s: any 10 s must hold 1000 bytes.
  BodyRateGuard guard(rate(100, 0ms, 10s), kStart);
  for (int second = 1; second <= 30; ++second) {
    guard.on_bytes(kStart + std::chrono::seconds(second), 200);  // a steady 200 bytes/s
  }
  // 6000 bytes in all; the window must hold 1000 of them. The first sample above
  // 6000 - 1000 is t=26 (5200 bytes): once it leaves the window (t=36) too little is left.
  EXPECT_EQ(guard.deadline(), kStart + 36s);
}

TEST(BodyRateGuard, FastStartThenTrickleIsCaughtByTheWindow) {
  BodyRateGuard guard(rate(100, 0ms, 10s), kStart);
  guard.on_bytes(kStart + 1s, 1'000'000);  // a burst buys only the window, not hours
  for (int second = 2; second <= 11; ++second) {
    guard.on_bytes(kStart + std::chrono::seconds(second), 1);
  }
  // The burst sample (t=1) leaves the window at t=11: the trickle alone is far too slow.
  EXPECT_EQ(guard.deadline(), kStart + 11s);
}

TEST(BodyRateGuard, ManyTinyReadsKeepFewSamplesAndStayStrictEnough) {
  BodyRateGuard guard(rate(1000, 0ms, 10s), kStart);
  TimePoint now = kStart;
  for (int i = 0; i < 100'000; ++i) {
    now += 1ms;
    guard.on_bytes(now, 2);  // 2000 bytes/s
  }
  // At a steady 2000/s the window empties to the minimum 5 s after the last byte; merged
  // samples may move that up to window/20 earlier, never later.
  EXPECT_LE(guard.deadline(), now + 5s + 1ms);  // exact: the first byte pair above the need
  EXPECT_GE(guard.deadline(), now + 5s - 500ms);
}

}  // namespace
}  // namespace upfleet
