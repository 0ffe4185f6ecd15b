// upfleet-ingest configuration of the HTTP front: slow-client limits, shutdown grace, event
// streams, TLS (both files or neither, checked at load) and client tokens from a file.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "producer/ingest_config.h"
#include "tests/support/config_env.h"
#include "tests/support/self_signed_cert.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {
namespace {

using namespace std::chrono_literals;

TEST(IngestConfigFront, Defaults) {
  auto config = load_ingest_config(std::nullopt, env_of({}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->http.body_rate.min_bytes_per_second, 10u * 1024);
  EXPECT_EQ(config->http.body_rate.grace, 10s);
  EXPECT_EQ(config->http.body_rate.window, 20s);
  EXPECT_EQ(config->shutdown_grace, 20s);
  EXPECT_EQ(config->max_event_streams, 256);
  EXPECT_TRUE(config->http.tls_cert_file.empty());
  EXPECT_TRUE(config->http.tls_key_file.empty());
}

TEST(IngestConfigFront, ReadsTheFrontKeys) {
  auto config = load_ingest_config(std::nullopt, env_of({{"UPFLEET_HTTP_MIN_BODY_RATE", "0"},
                                                         {"UPFLEET_HTTP_BODY_RATE_GRACE", "2s"},
                                                         {"UPFLEET_HTTP_BODY_RATE_WINDOW", "5s"},
                                                         {"UPFLEET_HTTP_SHUTDOWN_GRACE", "45s"},
                                                         {"UPFLEET_HTTP_MAX_EVENT_STREAMS", "3"}}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->http.body_rate.min_bytes_per_second, 0u);
  EXPECT_EQ(config->http.body_rate.grace, 2s);
  EXPECT_EQ(config->http.body_rate.window, 5s);
  EXPECT_EQ(config->shutdown_grace, 45s);
  EXPECT_EQ(config->max_event_streams, 3);
}

TEST(IngestConfigFront, TlsNeedsBothFiles) {
  const std::string message =
      error_of(load_ingest_config(std::nullopt, env_of({{"UPFLEET_HTTP_TLS_CERT_FILE", "/x"}})));
  EXPECT_NE(message.find("http.tls.key_file: is empty"), std::string::npos) << message;
}

TEST(IngestConfigFront, UnreadableTlsFileIsReportedAtLoad) {
  TempDir dir;
  const auto key = dir.path() / "key.pem";
  std::ofstream(key) << "not a key\n";
  const std::string message = error_of(load_ingest_config(
      std::nullopt, env_of({{"UPFLEET_HTTP_TLS_CERT_FILE", (dir.path() / "missing.pem").string()},
                            {"UPFLEET_HTTP_TLS_KEY_FILE", key.string()}})));
  EXPECT_NE(message.find("http.tls.cert_file: cannot read"), std::string::npos) << message;
}

// Workers fetch claim checks from the advertised URL: with TLS on the listener, plain http://
// would fail every fetch, so the default follows the listener's scheme.
TEST(IngestConfigFront, AdvertisedUrlDefaultsToHttpsWhenTheListenerSpeaksTls) {
  TempDir dir;
  ASSERT_TRUE(write_self_signed(dir.path() / "cert.pem", dir.path() / "key.pem"));
  const std::map<std::string, std::string> tls = {
      {"UPFLEET_HTTP_LISTEN", "127.0.0.1:8443"},
      {"UPFLEET_HTTP_TLS_CERT_FILE", (dir.path() / "cert.pem").string()},
      {"UPFLEET_HTTP_TLS_KEY_FILE", (dir.path() / "key.pem").string()}};
  auto config = load_ingest_config(std::nullopt, env_of(tls));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->advertise_url, "https://127.0.0.1:8443");

  auto with_url = tls;
  with_url["UPFLEET_HTTP_ADVERTISE_URL"] = "https://ingest.example:443";
  config = load_ingest_config(std::nullopt, env_of(with_url));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->advertise_url, "https://ingest.example:443");  // an explicit URL wins
}

TEST(IngestConfigFront, TokensFromTheListAndTheFile) {
  TempDir dir;
  const auto file = dir.path() / "tokens";
  std::ofstream(file) << "# rotated weekly\nfile-token-1\n\nfile-token-2\n";
  auto config = load_ingest_config(
      std::nullopt,
      env_of({{"UPFLEET_AUTH_TOKENS", "inline"}, {"UPFLEET_AUTH_TOKENS_FILE", file.string()}}));
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->auth_tokens,
            (std::vector<std::string>{"inline", "file-token-1", "file-token-2"}));
}

TEST(IngestConfigFront, BadTokensFileNamesTheKeyButNoToken) {
  TempDir dir;
  const auto file = dir.path() / "tokens";
  std::ofstream(file) << "fine\nsecret with space\n";
  const std::string message = error_of(
      load_ingest_config(std::nullopt, env_of({{"UPFLEET_AUTH_TOKENS_FILE", file.string()}})));
  EXPECT_NE(message.find("auth.tokens_file: "), std::string::npos) << message;
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret with"), std::string::npos) << message;

  const std::string missing = error_of(load_ingest_config(
      std::nullopt, env_of({{"UPFLEET_AUTH_TOKENS_FILE", (dir.path() / "nope").string()}})));
  EXPECT_NE(missing.find("auth.tokens_file: cannot read"), std::string::npos) << missing;
}

}  // namespace
}  // namespace upfleet::testing
