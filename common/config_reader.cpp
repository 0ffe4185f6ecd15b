#include "common/config_reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace upfleet {
namespace {

void flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>& values,
             std::map<std::string, std::vector<std::string>>& lists) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string name = entry.first.as<std::string>();
      flatten(entry.second, prefix.empty() ? name : prefix + "." + name, values, lists);
    }
  } else if (node.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& item : node) items.push_back(item.IsScalar() ? item.as<std::string>() : "");
    lists[prefix] = std::move(items);
  } else if (node.IsScalar()) {
    values[prefix] = node.as<std::string>();
  }
  // A null node (`auth:` with everything below commented out) means "not set".
}

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// Splits "16MiB" into 16 and "MiB".
bool split_number(std::string_view text, uint64_t& number, std::string& unit) {
  const std::string trimmed = trim(text);
  const char* begin = trimmed.data();
  const char* end = begin + trimmed.size();
  auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || ptr == begin) return false;
  unit = trim(std::string_view(ptr, static_cast<size_t>(end - ptr)));
  return true;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::optional<uint64_t> parse_bytes(std::string_view text) {
  uint64_t number = 0;
  std::string unit;
  if (!split_number(text, number, unit)) return std::nullopt;
  static const std::map<std::string, uint64_t> kUnits = {{"", 1},
                                                         {"B", 1},
                                                         {"KiB", 1ull << 10},
                                                         {"MiB", 1ull << 20},
                                                         {"GiB", 1ull << 30},
                                                         {"TiB", 1ull << 40},
                                                         {"KB", 1000},
                                                         {"MB", 1000'000},
                                                         {"GB", 1000'000'000},
                                                         {"TB", 1000'000'000'000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  if (number != 0 && it->second > UINT64_MAX / number) return std::nullopt;
  return number * it->second;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  uint64_t number = 0;
  std::string unit;
  if (!split_number(text, number, unit)) return std::nullopt;
  static const std::map<std::string, uint64_t> kUnits = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  constexpr uint64_t kMaxMillis = static_cast<uint64_t>(INT64_MAX);
  if (number != 0 && it->second > kMaxMillis / number) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(number * it->second));
}

Result<ConfigReader> ConfigReader::load(const std::optional<std::filesystem::path>& file,
                                        EnvLookup env) {
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;
  std::string source = "defaults and environment";
  if (file) {
    std::ifstream in(*file);
    if (!in) {
      return fail(Error::invalid("cannot read config file " + file->string() +
                                 ": check the --config path"));
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
      YAML::Node root = YAML::Load(text.str());
      if (!root.IsNull() && !root.IsMap()) {
        return fail(Error::invalid("config file " + file->string() +
                                   ": top level must be a mapping of sections (kafka:, s3:, ...)"));
      }
      flatten(root, "", values, lists);
    } catch (const YAML::Exception& e) {
      return fail(Error::invalid("config file " + file->string() + ": YAML error at line " +
                                 std::to_string(e.mark.line + 1) + ", column " +
                                 std::to_string(e.mark.column + 1) + ": " + e.msg));
    }
    source = file->string();
  }
  return ConfigReader(std::move(values), std::move(lists), std::move(env), std::move(source));
}

ConfigReader::ConfigReader(std::map<std::string, std::string> file_values,
                           std::map<std::string, std::vector<std::string>> file_lists,
                           EnvLookup env, std::string source)
    : file_values_(std::move(file_values)),
      file_lists_(std::move(file_lists)),
      env_(std::move(env)),
      source_(std::move(source)) {}

std::string ConfigReader::env_name(std::string_view key) {
  std::string name = "UPFLEET_";
  for (char c : key) {
    name.push_back(c == '.' || c == '-'
                       ? '_'
                       : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

std::optional<std::string> ConfigReader::raw(std::string_view key) {
  known_keys_.emplace(key);
  if (auto from_env = env_(env_name(key))) return from_env;
  auto it = file_values_.find(std::string(key));
  if (it != file_values_.end()) return it->second;
  return std::nullopt;
}

void ConfigReader::problem(std::string_view key, std::string_view what, std::string_view expected) {
  problems_.push_back(std::string(key) + ": " + std::string(what) + "; " + std::string(expected) +
                      " (set `" + std::string(key) + "` in the config file or " + env_name(key) +
                      ")");
}

void ConfigReader::add_problem(std::string_view key, std::string_view what) {
  problems_.push_back(std::string(key) + ": " + std::string(what));
}

std::string ConfigReader::get_string(std::string_view key, std::string_view fallback) {
  auto value = raw(key);
  return value ? *value : std::string(fallback);
}

std::string ConfigReader::get_required(std::string_view key) {
  std::string value = trim(get_string(key, ""));
  if (value.empty()) problem(key, "is required but empty", "give it a value");
  return value;
}

bool ConfigReader::get_bool(std::string_view key, bool fallback) {
  auto value = raw(key);
  if (!value) return fallback;
  std::string lower = trim(*value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "1" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "0" || lower == "off") return false;
  problem(key, "'" + *value + "' is not a boolean", "use true or false");
  return fallback;
}

int64_t ConfigReader::get_int(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  auto value = raw(key);
  if (!value) return fallback;
  const std::string text = trim(*value);
  int64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    problem(key, "'" + *value + "' is not an integer", "use a whole number");
    return fallback;
  }
  if (number < min || number > max) {
    problem(key, "'" + *value + "' is out of range",
            "use a value from " + std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  return number;
}

uint64_t ConfigReader::get_bytes(std::string_view key, uint64_t fallback, uint64_t min,
                                 uint64_t max) {
  auto value = raw(key);
  if (!value) return fallback;
  auto bytes = parse_bytes(*value);
  if (!bytes) {
    problem(key, "'" + *value + "' is not a size", "use bytes or a unit, e.g. 16MiB, 512KiB, 1GiB");
    return fallback;
  }
  if (*bytes < min || *bytes > max) {
    problem(key, "'" + *value + "' is out of range",
            "use a size from " + std::to_string(min) + " to " + std::to_string(max) + " bytes");
    return fallback;
  }
  return *bytes;
}

std::chrono::milliseconds ConfigReader::get_duration(std::string_view key,
                                                     std::chrono::milliseconds fallback,
                                                     std::chrono::milliseconds min) {
  auto value = raw(key);
  if (!value) return fallback;
  auto duration = parse_duration(*value);
  if (!duration) {
    problem(key, "'" + *value + "' is not a duration", "use e.g. 250ms, 5s, 2m, 1h");
    return fallback;
  }
  if (*duration < min) {
    problem(key, "'" + *value + "' is too short",
            "use at least " + std::to_string(min.count()) + "ms");
    return fallback;
  }
  return *duration;
}

std::vector<std::string> ConfigReader::get_list(std::string_view key) {
  known_keys_.emplace(key);
  std::vector<std::string> items;
  if (auto from_env = env_(env_name(key))) {
    std::stringstream stream(*from_env);
    std::string item;
    while (std::getline(stream, item, ',')) {
      if (!trim(item).empty()) items.push_back(trim(item));
    }
    return items;
  }
  if (auto it = file_lists_.find(std::string(key)); it != file_lists_.end()) return it->second;
  if (auto it = file_values_.find(std::string(key)); it != file_values_.end()) {
    if (!trim(it->second).empty()) items.push_back(trim(it->second));
  }
  return items;
}

std::string ConfigReader::get_secret(std::string_view key) {
  const std::string file_key = std::string(key) + "_file";
  const std::string path = get_string(file_key, "");
  const std::string inline_value = get_string(key, "");
  if (path.empty()) return inline_value;
  if (!inline_value.empty()) {
    problem(key, "is set both inline and as a file", "set only one of `" + file_key + "` and it");
    return inline_value;
  }
  std::ifstream in(path);
  if (!in) {
    problem(file_key, "cannot read '" + path + "'", "point it at a readable file");
    return "";
  }
  std::stringstream contents;
  contents << in.rdbuf();
  std::string secret = contents.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

std::map<std::string, std::string> ConfigReader::get_map(std::string_view prefix) {
  known_prefixes_.emplace(prefix);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : file_values_) {
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = value;
  }
  // From the environment as one variable, since dotted names do not survive the mapping to
  // variable names: UPFLEET_KAFKA_PROPERTIES="security.protocol=SASL_SSL;sasl.mechanism=PLAIN".
  std::string section(prefix);
  while (!section.empty() && section.back() == '.') section.pop_back();
  if (auto from_env = env_(env_name(section))) {
    std::stringstream stream(*from_env);
    std::string item;
    while (std::getline(stream, item, ';')) {
      if (trim(item).empty()) continue;
      const size_t eq = item.find('=');
      if (eq == std::string::npos || trim(item.substr(0, eq)).empty()) {
        problem(section, "entry '" + trim(item) + "' is not name=value",
                "separate name=value entries with ';'");
        continue;
      }
      out[trim(item.substr(0, eq))] = trim(item.substr(eq + 1));
    }
  }
  return out;
}

Status ConfigReader::finish() const {
  std::vector<std::string> all = problems_;
  for (const auto& [key, value] : file_values_) {
    const bool known =
        known_keys_.contains(key) ||
        std::any_of(known_prefixes_.begin(), known_prefixes_.end(),
                    [&](const std::string& prefix) { return key.starts_with(prefix); });
    if (!known) all.push_back(key + ": unknown key in " + source_ + "; check the spelling");
  }
  for (const auto& [key, value] : file_lists_) {
    if (!known_keys_.contains(key)) {
      all.push_back(key + ": unknown key in " + source_ + "; check the spelling");
    }
  }
  if (all.empty()) return {};
  std::string message = "invalid configuration:";
  for (const auto& line : all) message += "\n  " + line;
  return fail(Error::invalid(std::move(message)));
}

}  // namespace upfleet
