// plan_parts: where single PUT ends and multipart begins, how part sizes grow to stay within
// 10,000 parts, and S3's size limits.
#include "common/upload/part_plan.h"

#include <gtest/gtest.h>

namespace upfleet::upload {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kTiB = 1ull << 40;

PartPlan plan_ok(uint64_t size, PartPlanOptions options) {
  auto plan = plan_parts(size, options);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return plan.value_or(PartPlan{});
}

// Parts are numbered 1..n, contiguous, cover the object exactly, all but the last have the
// plan's part size and the last is not larger.
void expect_tiles(const PartPlan& plan, uint64_t size) {
  ASSERT_FALSE(plan.parts.empty());
  uint64_t offset = 0;
  for (size_t i = 0; i < plan.parts.size(); ++i) {
    const PlannedPart& part = plan.parts[i];
    ASSERT_EQ(part.number, static_cast<int>(i) + 1);
    ASSERT_EQ(part.offset, offset);
    if (i + 1 < plan.parts.size()) {
      ASSERT_EQ(part.size, plan.part_size) << "part " << part.number;
    } else {
      ASSERT_LE(part.size, plan.part_size);
      if (size > 0) {
        ASSERT_GT(part.size, 0u);
      }
    }
    offset += part.size;
  }
  EXPECT_EQ(offset, size);
}

PartPlanOptions five_mib_threshold() {
  return {5 * kMiB, 5 * kMiB};
}

TEST(PartPlanTest, EmptyObjectIsOneSinglePutOfZeroBytes) {
  const PartPlan plan = plan_ok(0, five_mib_threshold());
  EXPECT_FALSE(plan.multipart);
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].number, 1);
  EXPECT_EQ(plan.parts[0].offset, 0u);
  EXPECT_EQ(plan.parts[0].size, 0u);
}

TEST(PartPlanTest, OneByteIsSinglePut) {
  const PartPlan plan = plan_ok(1, five_mib_threshold());
  EXPECT_FALSE(plan.multipart);
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].size, 1u);
}

TEST(PartPlanTest, JustBelowThresholdIsSinglePut) {
  const PartPlan plan = plan_ok(5 * kMiB - 1, five_mib_threshold());
  EXPECT_FALSE(plan.multipart);
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].size, 5 * kMiB - 1);
  EXPECT_EQ(plan.part_size, 5 * kMiB - 1);
}

TEST(PartPlanTest, ExactlyThresholdIsMultipartWithOnePart) {
  const PartPlan plan = plan_ok(5 * kMiB, five_mib_threshold());
  EXPECT_TRUE(plan.multipart);
  EXPECT_EQ(plan.part_size, 5 * kMiB);
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].size, 5 * kMiB);
  expect_tiles(plan, 5 * kMiB);
}

TEST(PartPlanTest, OneByteOverAPartAddsAOneBytePart) {
  const PartPlan plan = plan_ok(5 * kMiB + 1, five_mib_threshold());
  EXPECT_TRUE(plan.multipart);
  ASSERT_EQ(plan.parts.size(), 2u);
  EXPECT_EQ(plan.parts[0].size, 5 * kMiB);
  EXPECT_EQ(plan.parts[1].offset, 5 * kMiB);
  EXPECT_EQ(plan.parts[1].size, 1u);
  expect_tiles(plan, 5 * kMiB + 1);
}

TEST(PartPlanTest, ThresholdIsInclusiveWhateverThePartSize) {
  const PartPlanOptions options{16 * kMiB, 8 * kMiB};
  EXPECT_FALSE(plan_ok(16 * kMiB - 1, options).multipart);
  const PartPlan plan = plan_ok(16 * kMiB, options);
  EXPECT_TRUE(plan.multipart);
  ASSERT_EQ(plan.parts.size(), 2u);
  expect_tiles(plan, 16 * kMiB);
}

TEST(PartPlanTest, ThresholdBelowPartSizeGivesOneLargePart) {
  // 6 MiB with threshold 5 MiB and 16 MiB parts: multipart, one part of the whole object.
  const PartPlan plan = plan_ok(6 * kMiB, {5 * kMiB, 16 * kMiB});
  EXPECT_TRUE(plan.multipart);
  EXPECT_EQ(plan.part_size, 16 * kMiB);
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].size, 6 * kMiB);
}

TEST(PartPlanTest, ZeroThresholdStillSendsEmptyObjectsAsSinglePut) {
  // An empty multipart upload cannot be completed (no parts): 0 B is always a single PUT.
  EXPECT_FALSE(plan_ok(0, {0, 5 * kMiB}).multipart);
  EXPECT_TRUE(plan_ok(1, {0, 5 * kMiB}).multipart);
}

TEST(PartPlanTest, ThreePartsAndARemainder) {
  const uint64_t size = 3 * 5 * kMiB + 1234;
  const PartPlan plan = plan_ok(size, five_mib_threshold());
  ASSERT_EQ(plan.parts.size(), 4u);
  EXPECT_EQ(plan.parts[3].offset, 15 * kMiB);
  EXPECT_EQ(plan.parts[3].size, 1234u);
  expect_tiles(plan, size);
}

TEST(PartPlanTest, ExactlyTenThousandPartsKeepsTheConfiguredSize) {
  const uint64_t size = 10'000 * 16 * kMiB;
  const PartPlan plan = plan_ok(size, {16 * kMiB, 16 * kMiB});
  EXPECT_EQ(plan.part_size, 16 * kMiB);
  EXPECT_EQ(plan.parts.size(), 10'000u);
  EXPECT_EQ(plan.parts.back().size, 16 * kMiB);
  expect_tiles(plan, size);
}

TEST(PartPlanTest, OneByteMoreThanTenThousandPartsGrowsThePartSize) {
  const uint64_t size = 10'000 * 16 * kMiB + 1;
  const PartPlan plan = plan_ok(size, {16 * kMiB, 16 * kMiB});
  EXPECT_EQ(plan.part_size, (size + 9'999) / 10'000);
  EXPECT_EQ(plan.parts.size(), 10'000u);
  expect_tiles(plan, size);
}

TEST(PartPlanTest, TwoHundredGibWithSixteenMibPartsUsesCeilOfSizeOverTenThousand) {
  const uint64_t size = 200 * kGiB;
  const PartPlan plan = plan_ok(size, {16 * kMiB, 16 * kMiB});
  EXPECT_TRUE(plan.multipart);
  EXPECT_EQ(plan.part_size, 21'474'837u);  // ceil(214748364800 / 10000)
  EXPECT_EQ(plan.parts.size(), 10'000u);
  expect_tiles(plan, size);
}

TEST(PartPlanTest, FiveTibIsTheLargestObject) {
  const uint64_t size = 5 * kTiB;
  const PartPlan plan = plan_ok(size, {16 * kMiB, 16 * kMiB});
  EXPECT_EQ(plan.part_size, (size + 9'999) / 10'000);
  EXPECT_LE(plan.part_size, kMaxPartSize);
  EXPECT_EQ(plan.parts.size(), 10'000u);
  expect_tiles(plan, size);
}

TEST(PartPlanTest, AboveFiveTibIsTooLarge) {
  auto plan = plan_parts(5 * kTiB + 1, {16 * kMiB, 16 * kMiB});
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kTooLarge);
  EXPECT_FALSE(plan.error().retryable);
}

TEST(PartPlanTest, PartSizeOutsideS3LimitsIsInvalid) {
  for (uint64_t bad : {uint64_t{0}, 5 * kMiB - 1, 5 * kGiB + 1}) {
    auto plan = plan_parts(100 * kMiB, {16 * kMiB, bad});
    ASSERT_FALSE(plan.has_value()) << bad;
    EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(plan_parts(100 * kMiB, {16 * kMiB, 5 * kMiB}).has_value());
  EXPECT_TRUE(plan_parts(100 * kMiB, {16 * kMiB, 5 * kGiB}).has_value());
}

TEST(PartPlanTest, LargestPartSizeWithSmallObject) {
  const PartPlan plan = plan_ok(6 * kGiB, {16 * kMiB, 5 * kGiB});
  EXPECT_EQ(plan.part_size, 5 * kGiB);
  ASSERT_EQ(plan.parts.size(), 2u);
  EXPECT_EQ(plan.parts[1].size, 1 * kGiB);
}

}  // namespace
}  // namespace upfleet::upload
