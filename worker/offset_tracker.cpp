#include "worker/offset_tracker.h"

#include <algorithm>

namespace upfleet {

void OffsetTracker::started(int64_t offset) {
  pending_.insert(offset);
  highest_seen_ = std::max(highest_seen_.value_or(offset), offset);
}

void OffsetTracker::finished(int64_t offset) {
  pending_.erase(offset);
}

std::optional<int64_t> OffsetTracker::committable() const {
  if (!highest_seen_) return std::nullopt;
  if (!pending_.empty()) return *pending_.begin();
  return *highest_seen_ + 1;
}

}  // namespace upfleet
