// Reads one binary's configuration: a YAML file (optional) overlaid by environment variables
// (`s3.secret_access_key` -> UPFLEET_S3_SECRET_ACCESS_KEY), then typed, validated getters.
//
// Getters never fail on their own: they record a problem and return the default, so one run
// reports every bad key at once. `finish()` returns all problems (and unknown keys in the
// file) as one error whose lines name the key and the fix.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace upfleet {

// Looks up an environment variable; nullopt when unset. Injected so tests need no setenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_env();

class ConfigReader {
 public:
  // Parses `file` (when given) into dotted keys. Fails on unreadable files and YAML syntax
  // errors (with line and column).
  static Result<ConfigReader> load(const std::optional<std::filesystem::path>& file, EnvLookup env);

  // Environment variable that overrides `key`: UPFLEET_ + upper-cased key, dots to '_'.
  static std::string env_name(std::string_view key);

  std::string get_string(std::string_view key, std::string_view fallback);
  // A string that must not be empty after defaults and overrides.
  std::string get_required(std::string_view key);
  bool get_bool(std::string_view key, bool fallback);
  int64_t get_int(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  // Sizes: plain bytes or with a unit: 512KiB, 16MiB, 5GiB, 10MB.
  uint64_t get_bytes(std::string_view key, uint64_t fallback, uint64_t min, uint64_t max);
  // Durations: 250ms, 5s, 2m, 1h.
  std::chrono::milliseconds get_duration(std::string_view key, std::chrono::milliseconds fallback,
                                         std::chrono::milliseconds min);
  // A YAML sequence, or a comma-separated string (the form environment variables take).
  std::vector<std::string> get_list(std::string_view key);
  // A secret: the value of `key`, or the contents of the file named by `<key>_file`
  // (trailing newline dropped), so Kubernetes secrets can be mounted as files.
  std::string get_secret(std::string_view key);
  // Free-form string map under a prefix (e.g. `kafka.properties.` passthrough settings); from
  // the environment as one variable of ';'-separated name=value entries
  // (UPFLEET_KAFKA_PROPERTIES="security.protocol=SASL_SSL;sasl.mechanism=PLAIN"), which wins
  // over the file per name.
  std::map<std::string, std::string> get_map(std::string_view prefix);

  // Records a problem found by the caller's own cross-key validation.
  void add_problem(std::string_view key, std::string_view problem);

  // All recorded problems plus keys in the file that no getter asked for.
  Status finish() const;

 private:
  ConfigReader(std::map<std::string, std::string> file_values,
               std::map<std::string, std::vector<std::string>> file_lists, EnvLookup env,
               std::string source);
  std::optional<std::string> raw(std::string_view key);
  void problem(std::string_view key, std::string_view what, std::string_view expected);

  std::map<std::string, std::string> file_values_;
  std::map<std::string, std::vector<std::string>> file_lists_;
  EnvLookup env_;
  std::string source_;
  std::set<std::string> known_keys_;
  std::set<std::string> known_prefixes_;
  std::vector<std::string> problems_;
};

// Parsers shared with other inputs (CLI flags). nullopt on bad syntax.
std::optional<uint64_t> parse_bytes(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace upfleet
