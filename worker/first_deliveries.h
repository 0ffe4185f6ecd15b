// Tells a job message's first delivery from a possible repeat, so that work only repeats need
// (is the object already stored?) can be left out for the rest. A message is a first
// delivery when it lies at or above its partition's high watermark at the moment this
// consumer was given the partition (so no earlier owner can have fetched it) and above every
// offset of the partition seen since (a seek or offset reset may fetch messages again).
// Poll thread only.
#pragma once

#include <cstdint>
#include <map>

#include "common/job_source.h"

namespace upfleet {

class FirstDeliveries {
 public:
  // The partition was assigned; its high watermark then was `high_watermark`.
  void assigned(const TopicPartition& partition, int64_t high_watermark);
  // The partition went away (revoked or lost): nothing of it counts as first any more.
  void forget(const TopicPartition& partition);
  // True when this is the first delivery of the message at `offset`; records it as seen.
  // False for partitions whose watermark is unknown.
  bool first(const TopicPartition& partition, int64_t offset);

 private:
  std::map<TopicPartition, int64_t> next_unseen_;  // offsets from here on are first deliveries
};

}  // namespace upfleet
