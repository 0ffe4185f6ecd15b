#include "producer/body_rate_guard.h"

#include <algorithm>

namespace upfleet {
BodyRateGuard::BodyRateGuard(BodyRateOptions options, TimePoint start)
    : options_(options), start_(start) {
  options_.window = std::max(options_.window, std::chrono::milliseconds(1));
  samples_.push_back({start_, 0});
}

void BodyRateGuard::on_bytes(TimePoint now, uint64_t bytes) {
  if (options_.min_bytes_per_second == 0 || bytes == 0) return;
  total_ += bytes;
  const auto resolution = options_.window / 20;
  if (samples_.size() > 1 && now - samples_.back().at < resolution) {
    // Merging credits these bytes slightly early: the deadline may come up to `resolution`
    // sooner than exact, never later.
    samples_.back().total = total_;
  } else {
    samples_.push_back({now, total_});
  }
  // Keep one sample at or before the window's start: the baseline for the rate.
  while (samples_.size() > 2 && samples_[1].at <= now - options_.window) samples_.pop_front();
}

BodyRateGuard::TimePoint BodyRateGuard::deadline() const {
  const uint64_t rate = options_.min_bytes_per_second;
  if (rate == 0) return TimePoint::max();
  // Judged only once a whole window has passed since the body started (and the grace):
  // a young body has no meaningful rate yet.
  const TimePoint earliest = start_ + std::max(options_.grace, options_.window);
  // The window [T - window, T] must hold rate x window bytes. With no new bytes it
  // first falls short when its start passes the first sample whose total exceeds
  // total - needed.
  const uint64_t needed =
      static_cast<uint64_t>(static_cast<long double>(rate) * options_.window.count() / 1000.0L);
  if (total_ < needed) return earliest;  // not even one window's worth so far
  const uint64_t threshold = total_ - needed;
  TimePoint at = samples_.back().at;
  for (const Sample& sample : samples_) {
    if (sample.total > threshold) {
      at = sample.at;
      break;
    }
  }
  return std::max(earliest, at + options_.window);
}

}  // namespace upfleet
