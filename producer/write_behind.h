// When a spool writer starts writeback of what it wrote so far, and when it waits for older
// writeback and drops those pages: a large body then reaches the disk while it streams in,
// so the final fsync has little left to write (the time to 202 shrinks), and the page cache
// holds at most a few windows of it instead of the whole body as dirty pages.
//
// Pure bookkeeping, no I/O: DiskSpoolWriter turns the ranges into sync_file_range() and
// posix_fadvise() calls. The final fsync stays; this never replaces it.
#pragma once

#include <cstdint>
#include <optional>

namespace upfleet {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

struct WriteBehindStep {
  std::optional<ByteRange> start;   // start writeback of this range (do not wait)
  std::optional<ByteRange> retire;  // wait for this range's writeback, then drop its pages
};

class WriteBehind {
 public:
  // window_bytes 0 disables it: step() never asks for anything.
  explicit WriteBehind(uint64_t window_bytes) : window_(window_bytes) {}

  // Called after every write with the file's size so far (never decreasing). Each whole
  // window is started once, in order; the window before the one just started is retired, so
  // one window of writeback is always in flight while the next one is being received.
  WriteBehindStep step(uint64_t written);

  // What the final fsync still has to write: the bytes after the last started window.
  uint64_t unstarted(uint64_t written) const { return written - started_; }

 private:
  uint64_t window_;
  uint64_t started_ = 0;  // bytes [0, started_) have had writeback started
  uint64_t retired_ = 0;  // bytes [0, retired_) were written back and dropped
};

}  // namespace upfleet
