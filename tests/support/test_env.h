// Shared helpers for tests: temp dirs, unique names, and the services started by
// scripts/services (real Kafka and S3 server on loopback).
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace upfleet::testing {

// A directory under $TMPDIR removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "upfleet-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Names of the entries directly in `dir`.
std::set<std::string> files_in(const std::filesystem::path& dir);

// What a spool directory holds, upload by upload: its files, plus the manifest and the
// published mark an upload keeps as xattrs of its `<id>.data` (DiskSpool), listed under their
// file names (`<id>.json`, `<id>.published`), so tests read the same on any filesystem.
std::set<std::string> spool_entries(const std::filesystem::path& dir);

// The whole file as bytes ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

// Creates or replaces `path` with `text`.
void write_file(const std::filesystem::path& path, std::string_view text);

// A short random hex string, for unique topic, key and group names per test.
std::string unique_suffix();

// Endpoints of the services from `eval "$(scripts/services up)"`.
struct ServicesEnv {
  std::string kafka_brokers;
  std::string s3_endpoint;
  std::string s3_bucket;
  std::string s3_region;
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  bool s3_path_style = true;
};

// The services environment, or nullopt when UPFLEET_KAFKA_BROKERS / UPFLEET_S3_ENDPOINT are
// unset. Integration tests fail (not skip) without it: use UPFLEET_REQUIRE_SERVICES.
std::optional<ServicesEnv> services_env();

// Absolute path of a binary built by this tree (upfleet-ingest, upfleet-worker, upfleetctl).
std::filesystem::path built_binary(std::string_view name);

}  // namespace upfleet::testing

// Fails the current test with a hint when the services are not running.
#define UPFLEET_REQUIRE_SERVICES(var)                                                      \
  auto var##_opt = ::upfleet::testing::services_env();                                     \
  if (!var##_opt) {                                                                        \
    FAIL() << "services not running: run `eval \"$(scripts/services up)\"` first (or use " \
              "scripts/test)";                                                             \
  }                                                                                        \
  const ::upfleet::testing::ServicesEnv& var = *var##_opt
