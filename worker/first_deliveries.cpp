#include "worker/first_deliveries.h"

#include <algorithm>

namespace upfleet {

void FirstDeliveries::assigned(const TopicPartition& partition, int64_t high_watermark) {
  next_unseen_[partition] = high_watermark;
}

void FirstDeliveries::forget(const TopicPartition& partition) {
  next_unseen_.erase(partition);
}

bool FirstDeliveries::first(const TopicPartition& partition, int64_t offset) {
  auto it = next_unseen_.find(partition);
  if (it == next_unseen_.end()) return false;
  const bool first = offset >= it->second;
  it->second = std::max(it->second, offset + 1);
  return first;
}

}  // namespace upfleet
