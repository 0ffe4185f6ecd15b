// How an object is cut into parts: single PUT below the multipart threshold, otherwise parts of
// max(configured part size, ceil(size / 10,000)) bytes, never below S3's 5 MiB minimum (the last
// part may be smaller), at most 10,000 parts, objects up to 5 TiB.
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"

namespace upfleet::upload {

inline constexpr uint64_t kMinPartSize = 5ull << 20;
inline constexpr uint64_t kMaxPartSize = 5ull << 30;
inline constexpr uint64_t kMaxParts = 10'000;
inline constexpr uint64_t kMaxObjectSize = 5ull << 40;

struct PartPlanOptions {
  uint64_t multipart_threshold = 16ull << 20;  // objects this big or bigger use multipart
  uint64_t part_size = 16ull << 20;            // preferred part size
};

struct PlannedPart {
  int number = 0;  // 1-based
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct PartPlan {
  bool multipart = false;
  uint64_t part_size = 0;          // size of every part but the last
  std::vector<PlannedPart> parts;  // one entry (the whole object) for a single PUT
};

// kTooLarge above 5 TiB; kInvalidArgument for a part size outside S3's limits.
Result<PartPlan> plan_parts(uint64_t object_size, const PartPlanOptions& options);

}  // namespace upfleet::upload
