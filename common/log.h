// Structured logging: one JSON object per line on stderr, so log shippers need no parsing
// rules. Every line about a job carries `upload_id` and `key` (pass them as fields).
//
// The sink is process-wide on purpose: logging is the one cross-cutting concern where
// threading a logger through every constructor would cost more clarity than it buys.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

namespace upfleet::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using Field = std::pair<std::string_view, nlohmann::json>;
using Fields = std::initializer_list<Field>;

// Sets the `component` field of every line ("ingest", "worker", "upfleetctl") and the
// minimum level written. Call once at start, before threads log.
void configure(std::string_view component, Level min_level);

// Parses "debug" | "info" | "warn" | "error"; false if unknown.
bool parse_level(std::string_view text, Level& out);

void write(Level level, std::string_view message, Fields fields);

inline void debug(std::string_view m, Fields f = {}) {
  write(Level::kDebug, m, f);
}
inline void info(std::string_view m, Fields f = {}) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, Fields f = {}) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, Fields f = {}) {
  write(Level::kError, m, f);
}

}  // namespace upfleet::log
