// upfleet-ingest configuration: defaults, file + environment, and errors that name the key.
#include "producer/ingest_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/support/config_env.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;

std::filesystem::path write_yaml(const TempDir& dir, const std::string& text) {
  const auto path = dir.path() / "ingest.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(IngestConfig, DefaultsWithEmptyEnvironment) {
  auto config = load_ingest_config(std::nullopt, env_of({}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_FALSE(config->ingest_id.empty());  // the host name
  EXPECT_EQ(config->http.listen, "127.0.0.1:8080");
  EXPECT_EQ(config->advertise_url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->max_body_bytes, 5ull << 30);
  EXPECT_EQ(config->publish_timeout, 10s);
  EXPECT_EQ(config->default_bucket, "upfleet");
  EXPECT_EQ(config->spool.dir, "/var/tmp/upfleet/spool");
  EXPECT_EQ(config->spool.max_bytes, 10ull << 30);
  EXPECT_TRUE(config->spool_token.empty());
  EXPECT_TRUE(config->auth_tokens.empty());
  EXPECT_EQ(config->kafka.settings.brokers, "127.0.0.1:9092");
  EXPECT_EQ(config->kafka.topics.jobs, "upfleet.jobs");
  EXPECT_EQ(config->kafka.topics.status, "upfleet.status");
  EXPECT_EQ(config->log_level, log::Level::kInfo);
  EXPECT_EQ(config->http.io_threads, 2);
  EXPECT_EQ(config->blocking_threads, 32);
  EXPECT_TRUE(config->spool.direct_io);
  EXPECT_TRUE(config->spool.drop_committed_pages);
}

TEST(IngestConfig, ReadsFileAndEnvironmentOverrides) {
  TempDir dir;
  const auto token_file = dir.path() / "spool-token";
  std::ofstream(token_file) << "shared-secret\n";
  const auto path = write_yaml(dir,
                               "ingest:\n  id: ingest-0\n"
                               "http:\n"
                               "  listen: 0.0.0.0:9000\n"
                               "  advertise_url: http://ingest-0.ingest:9000/\n"
                               "  max_body_bytes: 1GiB\n"
                               "spool:\n"
                               "  dir: " +
                                   (dir.path() / "spool").string() +
                                   "\n"
                                   "  max_bytes: 20GiB\n"
                                   "  token_file: " +
                                   token_file.string() +
                                   "\n"
                                   "auth:\n  tokens: [t1, t2]\n"
                                   "kafka:\n"
                                   "  brokers: k1:9092,k2:9092\n"
                                   "  publish_timeout: 3s\n"
                                   "  topics:\n    jobs: custom.jobs\n"
                                   "  properties:\n    security.protocol: SSL\n"
                                   "s3:\n  bucket: media\n"
                                   "log:\n  level: debug\n");
  auto config = load_ingest_config(path, env_of({{"UPFLEET_S3_BUCKET", "media-from-env"},
                                                 {"UPFLEET_AUTH_TOKENS", "e1,e2"},
                                                 {"UPFLEET_SPOOL_DIRECT_IO", "false"}}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->ingest_id, "ingest-0");
  EXPECT_EQ(config->http.listen, "0.0.0.0:9000");
  EXPECT_EQ(config->advertise_url, "http://ingest-0.ingest:9000");  // trailing '/' dropped
  EXPECT_EQ(config->max_body_bytes, 1ull << 30);
  EXPECT_EQ(config->spool.dir, dir.path() / "spool");
  EXPECT_EQ(config->spool.max_bytes, 20ull << 30);
  EXPECT_EQ(config->spool_token, "shared-secret");
  EXPECT_EQ(config->auth_tokens, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(config->kafka.settings.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(config->kafka.topics.jobs, "custom.jobs");
  EXPECT_EQ(config->kafka.settings.properties,
            (std::map<std::string, std::string>{{"security.protocol", "SSL"}}));
  EXPECT_EQ(config->publish_timeout, 3s);
  EXPECT_EQ(config->default_bucket, "media-from-env");
  EXPECT_EQ(config->log_level, log::Level::kDebug);
  EXPECT_FALSE(config->spool.direct_io);
}

TEST(IngestConfig, BadValuesNameTheirKeys) {
  auto config = load_ingest_config(std::nullopt, env_of({{"UPFLEET_HTTP_MAX_BODY_BYTES", "huge"},
                                                         {"UPFLEET_HTTP_IO_THREADS", "0"},
                                                         {"UPFLEET_LOG_LEVEL", "chatty"},
                                                         {"UPFLEET_KAFKA_BROKERS", ""}}));
  const std::string message = error_of(config);
  EXPECT_NE(message.find("http.max_body_bytes: 'huge' is not a size"), std::string::npos)
      << message;
  EXPECT_NE(message.find("UPFLEET_HTTP_MAX_BODY_BYTES"), std::string::npos) << message;
  EXPECT_NE(message.find("http.io_threads: '0' is out of range"), std::string::npos) << message;
  EXPECT_NE(message.find("log.level: 'chatty' is not a level"), std::string::npos) << message;
  EXPECT_NE(message.find("kafka.brokers: is empty"), std::string::npos) << message;
}

TEST(IngestConfig, BadListenAddressIsReported) {
  auto config = load_ingest_config(std::nullopt, env_of({{"UPFLEET_HTTP_LISTEN", "nonsense"}}));
  const std::string message = error_of(config);
  EXPECT_NE(message.find("http.listen: "), std::string::npos) << message;
  EXPECT_NE(message.find("0.0.0.0:8080"), std::string::npos) << message;
}

TEST(IngestConfig, AdvertiseUrlMustBeHttp) {
  auto config = load_ingest_config(
      std::nullopt, env_of({{"UPFLEET_HTTP_ADVERTISE_URL", "ingest-0.ingest:8080"}}));
  const std::string message = error_of(config);
  EXPECT_NE(message.find("http.advertise_url: must be an http(s) URL"), std::string::npos)
      << message;
}

TEST(IngestConfig, UnknownKeyInFileIsReported) {
  TempDir dir;
  auto config = load_ingest_config(write_yaml(dir, "spool:\n  dri: /tmp/x\n"), env_of({}));
  const std::string message = error_of(config);
  EXPECT_NE(message.find("spool.dri: unknown key"), std::string::npos) << message;
}

TEST(IngestConfig, TooLargeBodyLimitIsReported) {
  auto config = load_ingest_config(std::nullopt, env_of({{"UPFLEET_HTTP_MAX_BODY_BYTES", "6TiB"}}));
  const std::string message = error_of(config);
  EXPECT_NE(message.find("http.max_body_bytes: '6TiB' is out of range"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace upfleet::testing
