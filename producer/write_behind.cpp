#include "producer/write_behind.h"

namespace upfleet {

WriteBehindStep WriteBehind::step(uint64_t written) {
  WriteBehindStep step;
  if (window_ == 0 || written < started_ + window_) return step;
  // Everything whole since the last start goes out in one call (a write may span windows).
  const uint64_t end = written - (written % window_);
  step.start = ByteRange{started_, end - started_};
  // Retire up to where the previous start ended: that writeback has had a whole window of
  // receiving time to finish, so waiting for it rarely blocks.
  if (started_ > retired_) {
    step.retire = ByteRange{retired_, started_ - retired_};
    retired_ = started_;
  }
  started_ = end;
  return step;
}

}  // namespace upfleet
