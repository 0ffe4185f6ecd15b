// The note committed with a partition's offset: which jobs above the committed offset are
// already finished. Jobs finish out of order under key-ordered concurrency, so the committed
// offset (contiguous) often lags behind finished work; the next reader of the partition
// (after a rebalance or restart) skips what the note lists instead of running it twice.
//
// Format (fits Kafka's default 4 KiB offset metadata limit): "u1;c=<committed>;h=<highest>;
// p=<unfinished offsets above c, comma-separated>". Only offsets in (c, h] not in p are
// finished.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "worker/offset_tracker.h"

namespace upfleet {

struct OffsetNote {
  int64_t committed = 0;
  int64_t highest = -1;
  std::set<int64_t> unfinished;

  // True when the job at `offset` finished before the note was written.
  bool finished(int64_t offset) const {
    return offset > committed && offset <= highest && !unfinished.contains(offset);
  }
};

// The note for the tracker's current state; "" when there is nothing to add (no finished job
// above the committed offset) or it would be too long (then some jobs may run twice).
std::string encode_offset_note(const OffsetTracker& tracker);

// nullopt for empty or foreign metadata.
std::optional<OffsetNote> parse_offset_note(std::string_view metadata);

inline constexpr size_t kMaxOffsetNoteBytes = 3500;

}  // namespace upfleet
