// Range headers for the spool endpoint (RFC 9110 section 14): every form, unsatisfiable
// ranges, and headers that must be ignored.
#include "common/http/byte_range.h"

#include <gtest/gtest.h>

namespace upfleet::http {
namespace {

void expect_partial(std::string_view header, uint64_t size, uint64_t offset, uint64_t length) {
  const RangeResult result = resolve_range(header, size);
  EXPECT_EQ(result.outcome, RangeOutcome::kPartial) << header << " of " << size;
  EXPECT_EQ(result.range.offset, offset) << header << " of " << size;
  EXPECT_EQ(result.range.length, length) << header << " of " << size;
}

void expect_whole(std::string_view header, uint64_t size) {
  const RangeResult result = resolve_range(header, size);
  EXPECT_EQ(result.outcome, RangeOutcome::kWhole) << header;
  EXPECT_EQ(result.range.offset, 0u) << header;
  EXPECT_EQ(result.range.length, size) << header;
}

void expect_unsatisfiable(std::string_view header, uint64_t size) {
  EXPECT_EQ(resolve_range(header, size).outcome, RangeOutcome::kUnsatisfiable)
      << header << " of " << size;
}

TEST(ResolveRange, NoHeaderIsWhole) {
  expect_whole("", 1000);
}

TEST(ResolveRange, ClosedRange) {
  expect_partial("bytes=0-99", 1000, 0, 100);
  expect_partial("bytes=100-199", 1000, 100, 100);
  expect_partial("bytes=999-999", 1000, 999, 1);
  expect_partial("bytes=0-0", 1, 0, 1);
}

TEST(ResolveRange, LastPositionBeyondEndIsClamped) {
  expect_partial("bytes=900-5000", 1000, 900, 100);
  expect_partial("bytes=0-18446744073709551615", 1000, 0, 1000);
}

TEST(ResolveRange, OpenEndedRange) {
  expect_partial("bytes=100-", 1000, 100, 900);
  expect_partial("bytes=0-", 1000, 0, 1000);
  expect_partial("bytes=999-", 1000, 999, 1);
}

TEST(ResolveRange, SuffixRange) {
  expect_partial("bytes=-50", 1000, 950, 50);
  expect_partial("bytes=-1", 1000, 999, 1);
  expect_partial("bytes=-1000", 1000, 0, 1000);
  expect_partial("bytes=-5000", 1000, 0, 1000);  // longer than the file: all of it
}

TEST(ResolveRange, FirstPositionAtOrBeyondEndIsUnsatisfiable) {
  expect_unsatisfiable("bytes=1000-", 1000);
  expect_unsatisfiable("bytes=1000-2000", 1000);
  expect_unsatisfiable("bytes=5000-", 1000);
}

TEST(ResolveRange, ZeroLengthSuffixIsUnsatisfiable) {
  expect_unsatisfiable("bytes=-0", 1000);
}

TEST(ResolveRange, ZeroSizeResource) {
  expect_unsatisfiable("bytes=0-", 0);
  expect_unsatisfiable("bytes=0-0", 0);
  expect_unsatisfiable("bytes=-10", 0);
  expect_whole("", 0);
  expect_whole("bytes=0-1,2-3", 0);
}

TEST(ResolveRange, MultipleRangesAreIgnored) {
  expect_whole("bytes=0-9,20-29", 1000);
  expect_whole("bytes=0-9, -5", 1000);
}

TEST(ResolveRange, GarbageIsIgnored) {
  for (std::string_view header :
       {"bytes", "bytes=", "bytes=-", "bytes=abc", "bytes=1-x", "bytes=x-1", "bytes=10-5",
        "bytes=--5", "bytes= 0-5", "bytes=0-5 ", "items=0-5", "0-99", "bytes=+1-5", "bytes=-+5"}) {
    SCOPED_TRACE(header);
    expect_whole(header, 1000);
  }
}

TEST(ContentRange, Formats) {
  EXPECT_EQ(content_range({0, 100}, 1000), "bytes 0-99/1000");
  EXPECT_EQ(content_range({999, 1}, 1000), "bytes 999-999/1000");
  EXPECT_EQ(unsatisfied_content_range(1000), "bytes */1000");
  EXPECT_EQ(unsatisfied_content_range(0), "bytes */0");
}

TEST(RangeHeader, FormatsAndResolvesBack) {
  EXPECT_EQ(range_header(0, 100), "bytes=0-99");
  EXPECT_EQ(range_header(5 << 20, 5 << 20), "bytes=5242880-10485759");
  const RangeResult result = resolve_range(range_header(300, 200), 1000);
  EXPECT_EQ(result.outcome, RangeOutcome::kPartial);
  EXPECT_EQ(result.range.offset, 300u);
  EXPECT_EQ(result.range.length, 200u);
}

}  // namespace
}  // namespace upfleet::http
