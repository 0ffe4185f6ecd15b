#include "common/clock.h"

#include <cstdio>
#include <ctime>

namespace upfleet {

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  const std::time_t as_time_t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&as_time_t, &utc);
  char buffer[96];  // generous: the compiler cannot bound tm fields
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis.count()));
  return buffer;
}

}  // namespace upfleet
