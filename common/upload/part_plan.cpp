#include "common/upload/part_plan.h"

#include <algorithm>
#include <string>

namespace upfleet::upload {

Result<PartPlan> plan_parts(uint64_t object_size, const PartPlanOptions& options) {
  if (object_size > kMaxObjectSize) {
    return fail(Error::permanent(ErrorCode::kTooLarge, "object of " + std::to_string(object_size) +
                                                           " bytes exceeds S3's 5 TiB limit"));
  }
  if (options.part_size < kMinPartSize || options.part_size > kMaxPartSize) {
    return fail(Error::invalid("part size " + std::to_string(options.part_size) +
                               " is outside S3's limits (5 MiB to 5 GiB)"));
  }
  PartPlan plan;
  if (object_size < std::max(options.multipart_threshold, uint64_t{1})) {
    plan.part_size = object_size;
    plan.parts.push_back({1, 0, object_size});
    return plan;
  }
  plan.multipart = true;
  const uint64_t needed_for_count = (object_size + kMaxParts - 1) / kMaxParts;
  plan.part_size = std::max({options.part_size, needed_for_count, kMinPartSize});
  const uint64_t count = (object_size + plan.part_size - 1) / plan.part_size;
  plan.parts.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t offset = i * plan.part_size;
    plan.parts.push_back(
        {static_cast<int>(i + 1), offset, std::min(plan.part_size, object_size - offset)});
  }
  return plan;
}

}  // namespace upfleet::upload
