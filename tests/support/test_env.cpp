#include "tests/support/test_env.h"

#include <sys/xattr.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

namespace upfleet::testing {
namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

}  // namespace

std::set<std::string> files_in(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename());
  }
  return names;
}

std::set<std::string> spool_entries(const std::filesystem::path& dir) {
  std::set<std::string> names = files_in(dir);
  for (const std::string& name : std::set<std::string>(names)) {
    if (!name.ends_with(".data")) continue;
    const std::string id = name.substr(0, name.size() - 5);
    const std::string data = (dir / name).string();
    if (::getxattr(data.c_str(), "user.upfleet.manifest", nullptr, 0) >= 0) {
      names.insert(id + ".json");
    }
    if (::getxattr(data.c_str(), "user.upfleet.published", nullptr, 0) >= 0) {
      names.insert(id + ".published");
    }
  }
  return names;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string unique_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(12, '0');
  for (char& c : out) c = kHex[rng() % 16];
  return out;
}

TempDir::TempDir(std::string_view prefix) {
  path_ = std::filesystem::temp_directory_path() / (std::string(prefix) + "-" + unique_suffix());
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::optional<ServicesEnv> services_env() {
  ServicesEnv env;
  env.kafka_brokers = env_or("UPFLEET_KAFKA_BROKERS", "");
  env.s3_endpoint = env_or("UPFLEET_S3_ENDPOINT", "");
  if (env.kafka_brokers.empty() || env.s3_endpoint.empty()) return std::nullopt;
  env.s3_bucket = env_or("UPFLEET_S3_BUCKET", "upfleet");
  env.s3_region = env_or("UPFLEET_S3_REGION", "us-east-1");
  env.s3_access_key_id = env_or("UPFLEET_S3_ACCESS_KEY_ID", "");
  env.s3_secret_access_key = env_or("UPFLEET_S3_SECRET_ACCESS_KEY", "");
  env.s3_path_style = env_or("UPFLEET_S3_PATH_STYLE", "true") != "false";
  return env;
}

std::filesystem::path built_binary(std::string_view name) {
  for (const char* dir : {"producer", "worker", "tools"}) {
    auto candidate = std::filesystem::path(UPFLEET_BINARY_DIR) / dir / name;
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return std::filesystem::path(UPFLEET_BINARY_DIR) / name;
}

}  // namespace upfleet::testing
