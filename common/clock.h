// Time as a seam: code asks a Clock, tests inject a FakeClock (tests/fakes/fake_clock.h).
#pragma once

#include <chrono>
#include <string>

namespace upfleet {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps people read and for request signing.
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time, for deadlines and durations.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// RFC 3339 UTC with milliseconds: 2026-11-21T23:33:00.123Z.
std::string format_rfc3339(std::chrono::system_clock::time_point time);

}  // namespace upfleet
