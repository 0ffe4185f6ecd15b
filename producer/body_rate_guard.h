// Minimum request-body rate over a sliding window: the defence against clients that trickle
// a body just fast enough to beat the per-read gap timeout (slowloris on the body). Pure
// arithmetic on the time points it is given, so it is tested without a clock or sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace upfleet {

struct BodyRateOptions {
  uint64_t min_bytes_per_second = 0;  // 0: no minimum rate
  // The rate is averaged over the last `window`; it is first judged once max(grace, window)
  // has passed since the first body read.
  std::chrono::milliseconds grace{10'000};
  std::chrono::milliseconds window{20'000};
};

// Not thread-safe; one per request body.
class BodyRateGuard {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  BodyRateGuard(BodyRateOptions options, TimePoint start);

  // Records `bytes` body bytes that arrived at `now` (non-decreasing times).
  void on_bytes(TimePoint now, uint64_t bytes);

  // The moment the rate over the window falls below the minimum if no further byte arrives;
  // TimePoint::max() when no minimum is configured. A read may wait until then, no longer.
  TimePoint deadline() const;

 private:
  struct Sample {
    TimePoint at;
    uint64_t total;  // body bytes received up to `at`
  };

  BodyRateOptions options_;
  TimePoint start_;
  uint64_t total_ = 0;
  // Cumulative totals, oldest first; samples closer together than a twentieth of the window
  // are merged, so a fast client costs a bounded number of entries.
  std::deque<Sample> samples_;
};

}  // namespace upfleet
