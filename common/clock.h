// Time as a seam: code asks a Clock, tests inject a FakeClock (tests/fakes/fake_clock.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

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

// A point on the monotonic clock by which something must be done.
using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

// RFC 3339 UTC with milliseconds: 2026-11-21T23:33:00.123Z.
std::string format_rfc3339(std::chrono::system_clock::time_point time);

// Parses the UTC forms S3 and we write ("2026-11-21T23:33:00Z", with optional fraction);
// nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace upfleet
