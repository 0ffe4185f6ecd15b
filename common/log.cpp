#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace upfleet::log {
namespace {

struct Sink {
  std::mutex mutex;
  std::string component = "upfleet";
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
};

Sink& sink() {
  static Sink instance;
  return instance;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

}  // namespace

void configure(std::string_view component, Level min_level) {
  std::lock_guard lock(sink().mutex);
  sink().component = component;
  sink().min_level = static_cast<int>(min_level);
}

bool parse_level(std::string_view text, Level& out) {
  for (Level level : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == level_name(level)) {
      out = level;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view message, Fields fields) {
  if (static_cast<int>(level) < sink().min_level.load(std::memory_order_relaxed)) return;
  nlohmann::json line;
  line["ts"] = format_rfc3339(std::chrono::system_clock::now());
  line["level"] = level_name(level);
  line["msg"] = message;
  for (const auto& [name, value] : fields) line[std::string(name)] = value;
  std::string text;
  {
    std::lock_guard lock(sink().mutex);
    line["component"] = sink().component;
    text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    // One write per line keeps lines whole even when several processes share the stream.
    (void)!::write(STDERR_FILENO, text.data(), text.size());
  }
}

}  // namespace upfleet::log
