// upfleet-worker configuration: defaults, required S3 credentials, and errors that name the key.
#include "worker/worker_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "tests/support/test_env.h"

namespace upfleet {
namespace {

using namespace std::chrono_literals;
using upfleet::testing::TempDir;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::map<std::string, std::string> kCredentials = {
    {"UPFLEET_S3_ACCESS_KEY_ID", "AKIDEXAMPLE"},
    {"UPFLEET_S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};

std::map<std::string, std::string> with_credentials(std::map<std::string, std::string> extra) {
  extra.insert(kCredentials.begin(), kCredentials.end());
  return extra;
}

std::string error_of(const Result<WorkerConfig>& config) {
  EXPECT_FALSE(config.has_value());
  return config ? "" : config.error().message;
}

TEST(WorkerConfig, EmptyEnvironmentNeedsOnlyS3Credentials) {
  const std::string message = error_of(load_worker_config(std::nullopt, env_of({})));
  EXPECT_NE(message.find("s3.access_key_id"), std::string::npos) << message;
  EXPECT_NE(message.find("UPFLEET_S3_ACCESS_KEY_ID"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.secret_access_key"), std::string::npos) << message;
  EXPECT_NE(message.find("UPFLEET_S3_SECRET_ACCESS_KEY"), std::string::npos) << message;
  // Exactly those two problems: every other key has a working default.
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2) << message;
}

TEST(WorkerConfig, DefaultsWithCredentials) {
  auto config = load_worker_config(std::nullopt, env_of(kCredentials));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_FALSE(config->worker_id.empty());
  EXPECT_EQ(config->s3.endpoint, "https://s3.amazonaws.com");
  EXPECT_EQ(config->s3.region, "us-east-1");
  EXPECT_EQ(config->s3.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(config->s3.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  EXPECT_FALSE(config->s3.path_style);
  EXPECT_EQ(config->default_bucket, "upfleet");
  EXPECT_EQ(config->kafka.settings.brokers, "127.0.0.1:9092");
  EXPECT_EQ(config->consumer.group_id, "upfleet-workers");
  EXPECT_EQ(config->consumer.topic, "upfleet.jobs");
  EXPECT_EQ(config->retry.max_attempts, 8);
  EXPECT_EQ(config->retry.base, 1000ms);
  EXPECT_EQ(config->retry.cap, 60s);
  EXPECT_EQ(config->loop.shutdown_grace, 25s);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9091");
  EXPECT_EQ(config->existing_check, ExistingCheck::kRepeats);
}

TEST(WorkerConfig, ExistingObjectCheckCanBeMadeUnconditional) {
  auto config = load_worker_config(
      std::nullopt, env_of(with_credentials({{"UPFLEET_UPLOAD_EXISTING_OBJECT_CHECK", "always"}})));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->existing_check, ExistingCheck::kAlways);
}

TEST(WorkerConfig, ReadsFileWithSecretFilesAndEnvironmentOverrides) {
  TempDir dir;
  const auto secret_file = dir.path() / "secret";
  std::ofstream(secret_file) << "from-file-secret\n";
  const auto path = dir.path() / "worker.yaml";
  std::ofstream(path) << "worker:\n  id: w-7\n  max_attempts: 3\n  retry_base: 50ms\n"
                         "  retry_cap: 2s\n"
                         "s3:\n  endpoint: http://127.0.0.1:9000\n  region: eu-west-1\n"
                         "  access_key_id: file-key\n"
                         "  secret_access_key_file: " +
                             secret_file.string() +
                             "\n"
                             "  path_style: true\n"
                             "kafka:\n  group_id: g1\n  topics:\n    jobs: j1\n";
  auto config = load_worker_config(path, env_of({{"UPFLEET_S3_REGION", "ap-south-1"}}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->worker_id, "w-7");
  EXPECT_EQ(config->kafka.settings.client_id, "upfleet-worker-w-7");
  EXPECT_EQ(config->retry.max_attempts, 3);
  EXPECT_EQ(config->retry.base, 50ms);
  EXPECT_EQ(config->retry.cap, 2s);
  EXPECT_EQ(config->s3.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(config->s3.region, "ap-south-1");
  EXPECT_EQ(config->s3.access_key_id, "file-key");
  EXPECT_EQ(config->s3.secret_access_key, "from-file-secret");
  EXPECT_TRUE(config->s3.path_style);
  EXPECT_EQ(config->consumer.group_id, "g1");
  EXPECT_EQ(config->consumer.topic, "j1");
}

TEST(WorkerConfig, BadValuesNameTheirKeys) {
  auto config = load_worker_config(
      std::nullopt, env_of(with_credentials({{"UPFLEET_S3_ENDPOINT", "s3.example.com"},
                                             {"UPFLEET_S3_PATH_STYLE", "sometimes"},
                                             {"UPFLEET_WORKER_MAX_ATTEMPTS", "0"},
                                             {"UPFLEET_WORKER_RETRY_BASE", "fast"},
                                             {"UPFLEET_UPLOAD_EXISTING_OBJECT_CHECK", "never"}})));
  const std::string message = error_of(config);
  EXPECT_NE(message.find("s3.endpoint: 's3.example.com' must start with http://"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("s3.path_style: 'sometimes' is not a boolean"), std::string::npos)
      << message;
  EXPECT_NE(message.find("UPFLEET_S3_PATH_STYLE"), std::string::npos) << message;
  EXPECT_NE(message.find("worker.max_attempts: '0' is out of range"), std::string::npos) << message;
  EXPECT_NE(message.find("worker.retry_base: 'fast' is not a duration"), std::string::npos)
      << message;
  EXPECT_NE(message.find("upload.existing_object_check: 'never' is not a choice"),
            std::string::npos)
      << message;
}

TEST(WorkerConfig, UnknownKeyInFileIsReported) {
  TempDir dir;
  const auto path = dir.path() / "worker.yaml";
  std::ofstream(path) << "worker:\n  max_attempt: 3\n";
  const std::string message = error_of(load_worker_config(path, env_of(kCredentials)));
  EXPECT_NE(message.find("worker.max_attempt: unknown key"), std::string::npos) << message;
}

}  // namespace
}  // namespace upfleet
