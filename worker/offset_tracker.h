// Which offset of one partition may be committed: the highest offset below which every job
// is finished (contiguous commit). Jobs finish in any order; the commit never passes one
// that has not. Not thread-safe (the scheduler holds the lock).
#pragma once

#include <cstdint>
#include <optional>
#include <set>

namespace upfleet {

class OffsetTracker {
 public:
  // A job at `offset` was taken from the partition (offsets arrive in increasing order).
  void started(int64_t offset);
  // The job at `offset` is finished (done, dead-lettered or skipped: anything but abandoned).
  void finished(int64_t offset);

  // The offset to commit ("next to read"): the lowest unfinished offset, or one past the
  // highest finished when none is pending. nullopt before any job was seen.
  std::optional<int64_t> committable() const;

  size_t pending() const { return pending_.size(); }
  const std::set<int64_t>& pending_offsets() const { return pending_; }
  std::optional<int64_t> highest_seen() const { return highest_seen_; }

 private:
  std::set<int64_t> pending_;
  std::optional<int64_t> highest_seen_;
};

}  // namespace upfleet
