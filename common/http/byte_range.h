// HTTP Range headers (RFC 9110 section 14) for the spool endpoint: workers fetch parts of a
// spooled file in parallel and resume after failures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace upfleet::http {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

enum class RangeOutcome {
  kWhole,          // no Range header, or one we ignore (several ranges, other units): 200
  kPartial,        // one satisfiable range: 206
  kUnsatisfiable,  // 416
};

struct RangeResult {
  RangeOutcome outcome = RangeOutcome::kWhole;
  ByteRange range;
};

// Resolves `header` ("bytes=0-99", "bytes=100-", "bytes=-50") against a resource of `size`
// bytes. Malformed headers are ignored (whole resource), as the RFC allows.
RangeResult resolve_range(std::string_view header, uint64_t size);

// "bytes 0-99/1000" for a 206 response; "bytes */1000" for a 416.
std::string content_range(const ByteRange& range, uint64_t size);
std::string unsatisfied_content_range(uint64_t size);

// The Range request header value for [offset, offset + length).
std::string range_header(uint64_t offset, uint64_t length);

}  // namespace upfleet::http
