// upfleet-worker: the CA for ingests' https:// spool endpoints (spool.ca_file), separate
// from the S3 CA, falling back to it when unset.
#include <gtest/gtest.h>

#include <map>

#include "worker/worker_config.h"

namespace upfleet {
namespace {

EnvLookup env_with_credentials(std::map<std::string, std::string> vars) {
  vars.emplace("UPFLEET_S3_ACCESS_KEY_ID", "AKIDEXAMPLE");
  vars.emplace("UPFLEET_S3_SECRET_ACCESS_KEY", "secret");
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(WorkerSpoolCaConfig, SpoolCaFileIsSeparateFromTheS3One) {
  auto config = load_worker_config(
      std::nullopt, env_with_credentials({{"UPFLEET_S3_CA_FILE", "/etc/s3-ca.pem"},
                                          {"UPFLEET_SPOOL_CA_FILE", "/etc/ingest-ca.pem"}}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->transport.ca_file, "/etc/s3-ca.pem");
  EXPECT_EQ(config->spool_transport.ca_file, "/etc/ingest-ca.pem");
}

TEST(WorkerSpoolCaConfig, WithoutSpoolCaFileTheS3SettingsApply) {
  auto config = load_worker_config(
      std::nullopt, env_with_credentials({{"UPFLEET_S3_CA_FILE", "/etc/s3-ca.pem"},
                                          {"UPFLEET_S3_INSECURE_SKIP_VERIFY", "true"}}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->spool_transport.ca_file, "/etc/s3-ca.pem");
  EXPECT_TRUE(config->spool_transport.insecure);
}

}  // namespace
}  // namespace upfleet
