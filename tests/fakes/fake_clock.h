// A Clock that only moves when the test says so. Thread-safe: code under test may read it
// from its own threads while the test advances it.
#pragma once

#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace upfleet::testing {

class FakeClock final : public Clock {
 public:
  // 2026-01-02T03:04:05Z: a fixed instant, so timestamps in events are predictable.
  static constexpr std::chrono::sys_seconds kDefaultStart{std::chrono::seconds(1767323045)};

  explicit FakeClock(std::chrono::system_clock::time_point start = kDefaultStart) : wall_(start) {}

  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return wall_;
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    std::lock_guard lock(mutex_);
    return steady_;
  }

  // Moves both clocks forward by `step`.
  void advance(std::chrono::milliseconds step) {
    std::lock_guard lock(mutex_);
    wall_ += step;
    steady_ += step;
  }

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point wall_;                           // guarded by mutex_
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1)};  // guarded by mutex_
};

}  // namespace upfleet::testing
