// ConfigReader: YAML file overlaid by an injected environment, typed getters that record
// problems instead of failing, and finish() reporting every problem (and unknown key) at once.
#include "common/config_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <string>

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

std::filesystem::path write_file(const TempDir& dir, const std::string& name,
                                 const std::string& text) {
  const auto path = dir.path() / name;
  std::ofstream(path) << text;
  return path;
}

ConfigReader load_yaml(const TempDir& dir, const std::string& yaml,
                       std::map<std::string, std::string> env = {}) {
  auto reader = ConfigReader::load(write_file(dir, "config.yaml", yaml), env_of(std::move(env)));
  EXPECT_TRUE(reader.has_value()) << reader.error().message;
  return std::move(*reader);
}

ConfigReader load_env(std::map<std::string, std::string> env) {
  auto reader = ConfigReader::load(std::nullopt, env_of(std::move(env)));
  EXPECT_TRUE(reader.has_value()) << reader.error().message;
  return std::move(*reader);
}

std::string finish_message(const ConfigReader& reader) {
  auto finished = reader.finish();
  if (finished) return "";
  EXPECT_EQ(finished.error().code, ErrorCode::kInvalidArgument);
  return finished.error().message;
}

TEST(ConfigReaderEnvName, UpperCasesAndReplacesDotsAndDashes) {
  EXPECT_EQ(ConfigReader::env_name("s3.secret_access_key"), "UPFLEET_S3_SECRET_ACCESS_KEY");
  EXPECT_EQ(ConfigReader::env_name("kafka.topics.dlq"), "UPFLEET_KAFKA_TOPICS_DLQ");
  EXPECT_EQ(ConfigReader::env_name("http.max-body"), "UPFLEET_HTTP_MAX_BODY");
}

TEST(ConfigReader, EnvironmentOverridesTheFile) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir, "s3:\n  bucket: from-file\n  region: eu-west-1\n",
                                  {{"UPFLEET_S3_BUCKET", "from-env"}});
  EXPECT_EQ(reader.get_string("s3.bucket", "fallback"), "from-env");
  EXPECT_EQ(reader.get_string("s3.region", "fallback"), "eu-west-1");
  EXPECT_EQ(reader.get_string("s3.endpoint", "fallback"), "fallback");
  EXPECT_TRUE(reader.finish().has_value()) << finish_message(reader);
}

TEST(ConfigReader, WithoutFileUsesEnvironmentAndDefaults) {
  ConfigReader reader = load_env({{"UPFLEET_HTTP_IO_THREADS", "6"}});
  EXPECT_EQ(reader.get_int("http.io_threads", 2, 1, 64), 6);
  EXPECT_EQ(reader.get_int("http.max_connections", 1024, 1, 100000), 1024);
  EXPECT_TRUE(reader.get_bool("s3.path_style", true));
  EXPECT_TRUE(reader.finish().has_value());
}

TEST(ConfigReader, ParsesTypedValuesFromFile) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir,
                                  "a:\n"
                                  "  flag_yes: yes\n"
                                  "  flag_off: off\n"
                                  "  flag_true: True\n"
                                  "  count: -7\n"
                                  "  size_mib: 16MiB\n"
                                  "  size_mb: 10MB\n"
                                  "  size_plain: 4096\n"
                                  "  wait_ms: 250ms\n"
                                  "  wait_m: 2m\n"
                                  "  wait_h: 1h\n");
  EXPECT_TRUE(reader.get_bool("a.flag_yes", false));
  EXPECT_FALSE(reader.get_bool("a.flag_off", true));
  EXPECT_TRUE(reader.get_bool("a.flag_true", false));
  EXPECT_EQ(reader.get_int("a.count", 0, -10, 10), -7);
  EXPECT_EQ(reader.get_bytes("a.size_mib", 0, 0, UINT64_MAX), 16u << 20);
  EXPECT_EQ(reader.get_bytes("a.size_mb", 0, 0, UINT64_MAX), 10'000'000u);
  EXPECT_EQ(reader.get_bytes("a.size_plain", 0, 0, UINT64_MAX), 4096u);
  EXPECT_EQ(reader.get_duration("a.wait_ms", 0ms, 0ms), 250ms);
  EXPECT_EQ(reader.get_duration("a.wait_m", 0ms, 0ms), 2min);
  EXPECT_EQ(reader.get_duration("a.wait_h", 0ms, 0ms), 1h);
  EXPECT_TRUE(reader.finish().has_value()) << finish_message(reader);
}

// One bad value per getter: the getter returns its fallback and finish() names the key, the
// environment variable that overrides it, and what to write instead.
struct BadValueCase {
  std::string name;
  std::string key;
  std::string value;
  std::function<void(ConfigReader&, const std::string&)> read;
  std::string expected_hint;
};

class ConfigReaderBadValue : public ::testing::TestWithParam<BadValueCase> {};

TEST_P(ConfigReaderBadValue, ReturnsFallbackAndReportsKeyAndEnvVar) {
  const BadValueCase& param = GetParam();
  ConfigReader reader = load_env({{ConfigReader::env_name(param.key), param.value}});
  param.read(reader, param.key);
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find(param.key + ":"), std::string::npos) << message;
  EXPECT_NE(message.find(ConfigReader::env_name(param.key)), std::string::npos) << message;
  EXPECT_NE(message.find(param.expected_hint), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Getters, ConfigReaderBadValue,
    ::testing::Values(BadValueCase{"bool", "s3.path_style", "maybe",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_TRUE(r.get_bool(k, true));
                                   },
                                   "use true or false"},
                      BadValueCase{"int_syntax", "http.io_threads", "12abc",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_int(k, 2, 1, 64), 2);
                                   },
                                   "use a whole number"},
                      BadValueCase{"int_range", "http.io_threads", "65",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_int(k, 2, 1, 64), 2);
                                   },
                                   "from 1 to 64"},
                      BadValueCase{"bytes_syntax", "http.max_body_bytes", "12 parsecs",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_bytes(k, 99, 1, UINT64_MAX), 99u);
                                   },
                                   "16MiB"},
                      BadValueCase{"bytes_range", "http.max_body_bytes", "2KiB",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_bytes(k, 99, 1, 1024), 99u);
                                   },
                                   "from 1 to 1024 bytes"},
                      BadValueCase{"duration_syntax", "kafka.publish_timeout", "5 fortnights",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_duration(k, 10s, 100ms), 10s);
                                   },
                                   "250ms"},
                      BadValueCase{"duration_too_short", "kafka.publish_timeout", "5ms",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_duration(k, 10s, 100ms), 10s);
                                   },
                                   "at least 100ms"},
                      BadValueCase{"required_blank", "s3.access_key_id", "   ",
                                   [](ConfigReader& r, const std::string& k) {
                                     EXPECT_EQ(r.get_required(k), "");
                                   },
                                   "is required"}),
    [](const ::testing::TestParamInfo<BadValueCase>& info) { return info.param.name; });

TEST(ConfigReader, RequiredKeyMissingEverywhereIsReported) {
  ConfigReader reader = load_env({});
  EXPECT_EQ(reader.get_required("s3.access_key_id"), "");
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find("s3.access_key_id: is required"), std::string::npos) << message;
  EXPECT_NE(message.find("UPFLEET_S3_ACCESS_KEY_ID"), std::string::npos) << message;
}

TEST(ConfigReader, BadValueInFileIsReportedLikeOneFromEnvironment) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir, "http:\n  io_threads: lots\n");
  EXPECT_EQ(reader.get_int("http.io_threads", 2, 1, 64), 2);
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find("http.io_threads: 'lots' is not an integer"), std::string::npos)
      << message;
  EXPECT_NE(message.find("UPFLEET_HTTP_IO_THREADS"), std::string::npos) << message;
}

TEST(ConfigReader, ReportsEveryProblemTogether) {
  ConfigReader reader = load_env({{"UPFLEET_S3_PATH_STYLE", "perhaps"},
                                  {"UPFLEET_HTTP_IO_THREADS", "zero"},
                                  {"UPFLEET_KAFKA_PUBLISH_TIMEOUT", "soon"}});
  reader.get_bool("s3.path_style", false);
  reader.get_int("http.io_threads", 2, 1, 64);
  reader.get_duration("kafka.publish_timeout", 10s, 100ms);
  reader.add_problem("http.advertise_url", "must be an http(s) URL");
  const std::string message = finish_message(reader);
  EXPECT_EQ(message,
            "invalid configuration:\n"
            "  s3.path_style: 'perhaps' is not a boolean; use true or false (set `s3.path_style` "
            "in the config file or UPFLEET_S3_PATH_STYLE)\n"
            "  http.io_threads: 'zero' is not an integer; use a whole number (set "
            "`http.io_threads` in the config file or UPFLEET_HTTP_IO_THREADS)\n"
            "  kafka.publish_timeout: 'soon' is not a duration; use e.g. 250ms, 5s, 2m, 1h (set "
            "`kafka.publish_timeout` in the config file or UPFLEET_KAFKA_PUBLISH_TIMEOUT)\n"
            "  http.advertise_url: must be an http(s) URL");
}

TEST(ConfigReader, ReportsUnknownKeysInTheFile) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir,
                                  "s3:\n"
                                  "  bucket: b\n"
                                  "  buckett: typo\n"
                                  "auth:\n"
                                  "  tokenz: [a, b]\n"
                                  "kafka:\n"
                                  "  properties:\n"
                                  "    linger.ms: 5\n");
  reader.get_string("s3.bucket", "");
  reader.get_list("auth.tokens");
  const auto passthrough = reader.get_map("kafka.properties.");
  EXPECT_EQ(passthrough, (std::map<std::string, std::string>{{"linger.ms", "5"}}));
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find("s3.buckett: unknown key in "), std::string::npos) << message;
  EXPECT_NE(message.find("auth.tokenz: unknown key in "), std::string::npos) << message;
  EXPECT_NE(message.find("check the spelling"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3.bucket: "), std::string::npos) << message;
  EXPECT_EQ(message.find("linger"), std::string::npos) << message;
}

TEST(ConfigReaderMap, EnvironmentEntriesOverrideTheFilePerName) {
  TempDir dir;
  ConfigReader reader =
      load_yaml(dir, "kafka:\n  properties:\n    linger.ms: 5\n    acks: all\n",
                {{"UPFLEET_KAFKA_PROPERTIES", "security.protocol=SASL_SSL; linger.ms = 20 ;"}});
  EXPECT_EQ(reader.get_map("kafka.properties."),
            (std::map<std::string, std::string>{
                {"acks", "all"}, {"linger.ms", "20"}, {"security.protocol", "SASL_SSL"}}));
  EXPECT_EQ(finish_message(reader), "");
}

TEST(ConfigReaderMap, EnvironmentEntryWithoutEqualsIsReported) {
  ConfigReader reader = load_env({{"UPFLEET_KAFKA_PROPERTIES", "acks=all;oops"}});
  EXPECT_EQ(reader.get_map("kafka.properties."),
            (std::map<std::string, std::string>{{"acks", "all"}}));
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find("kafka.properties: entry 'oops' is not name=value"), std::string::npos)
      << message;
  EXPECT_NE(message.find("UPFLEET_KAFKA_PROPERTIES"), std::string::npos) << message;
}

// A section whose keys are all commented out (as in an example config) is empty, not an
// unknown key: YAML reads `auth:` with nothing under it as a null value.
TEST(ConfigReader, EmptySectionIsNotAnUnknownKey) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir,
                                  "auth:\n"
                                  "  # tokens: [token-one]\n"
                                  "s3:\n"
                                  "  bucket: media\n");
  EXPECT_TRUE(reader.get_list("auth.tokens").empty());
  EXPECT_EQ(reader.get_string("s3.bucket", ""), "media");
  EXPECT_TRUE(reader.finish().has_value()) << finish_message(reader);
}

TEST(ConfigReader, YamlSyntaxErrorNamesFileAndLine) {
  TempDir dir;
  const auto path = write_file(dir, "broken.yaml",
                               "s3:\n"
                               "  bucket: fine\n"
                               "  region: eu: west\n"
                               "http:\n"
                               "  listen: 127.0.0.1:0\n");
  auto reader = ConfigReader::load(path, env_of({}));
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(reader.error().message.find(path.string()), std::string::npos)
      << reader.error().message;
  EXPECT_NE(reader.error().message.find("YAML error at line 3"), std::string::npos)
      << reader.error().message;
}

TEST(ConfigReader, TopLevelThatIsNotAMappingIsRejected) {
  TempDir dir;
  auto reader = ConfigReader::load(write_file(dir, "list.yaml", "- a\n- b\n"), env_of({}));
  ASSERT_FALSE(reader.has_value());
  EXPECT_NE(reader.error().message.find("top level must be a mapping"), std::string::npos)
      << reader.error().message;
}

TEST(ConfigReader, MissingFileIsAnErrorNamingThePath) {
  TempDir dir;
  const auto path = dir.path() / "absent.yaml";
  auto reader = ConfigReader::load(path, env_of({}));
  ASSERT_FALSE(reader.has_value());
  EXPECT_NE(reader.error().message.find(path.string()), std::string::npos);
  EXPECT_NE(reader.error().message.find("--config"), std::string::npos);
}

TEST(ConfigReader, EmptyFileGivesDefaults) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir, "");
  EXPECT_EQ(reader.get_string("s3.bucket", "upfleet"), "upfleet");
  EXPECT_TRUE(reader.finish().has_value());
}

TEST(ConfigReaderList, ReadsYamlSequence) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir, "auth:\n  tokens:\n    - alpha\n    - beta\n");
  EXPECT_EQ(reader.get_list("auth.tokens"), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_TRUE(reader.finish().has_value());
}

TEST(ConfigReaderList, ReadsCommaSeparatedEnvironmentAndTrims) {
  ConfigReader reader = load_env({{"UPFLEET_AUTH_TOKENS", " alpha, beta,,gamma ,"}});
  EXPECT_EQ(reader.get_list("auth.tokens"), (std::vector<std::string>{"alpha", "beta", "gamma"}));
}

TEST(ConfigReaderList, EnvironmentReplacesFileList) {
  TempDir dir;
  ConfigReader reader =
      load_yaml(dir, "auth:\n  tokens: [alpha, beta]\n", {{"UPFLEET_AUTH_TOKENS", "gamma"}});
  EXPECT_EQ(reader.get_list("auth.tokens"), (std::vector<std::string>{"gamma"}));
  EXPECT_TRUE(reader.finish().has_value());
}

TEST(ConfigReaderList, ScalarInFileIsAOneItemList) {
  TempDir dir;
  ConfigReader reader = load_yaml(dir, "auth:\n  tokens: only\n");
  EXPECT_EQ(reader.get_list("auth.tokens"), (std::vector<std::string>{"only"}));
}

TEST(ConfigReaderList, AbsentIsEmpty) {
  ConfigReader reader = load_env({});
  EXPECT_TRUE(reader.get_list("auth.tokens").empty());
}

TEST(ConfigReaderSecret, InlineValueFromEnvironment) {
  ConfigReader reader = load_env({{"UPFLEET_S3_SECRET_ACCESS_KEY", "inline-secret"}});
  EXPECT_EQ(reader.get_secret("s3.secret_access_key"), "inline-secret");
  EXPECT_TRUE(reader.finish().has_value());
}

TEST(ConfigReaderSecret, ReadsFileNamedByFileKeyAndDropsTrailingNewline) {
  TempDir dir;
  const auto secret = write_file(dir, "secret", "s3cr3t value\r\n");
  ConfigReader reader = load_yaml(dir, "s3:\n  secret_access_key_file: " + secret.string() + "\n");
  EXPECT_EQ(reader.get_secret("s3.secret_access_key"), "s3cr3t value");
  // The _file key counts as known.
  EXPECT_TRUE(reader.finish().has_value()) << finish_message(reader);
}

TEST(ConfigReaderSecret, FileKeyFromEnvironment) {
  TempDir dir;
  const auto secret = write_file(dir, "token", "spool-token\n");
  ConfigReader reader = load_env({{"UPFLEET_SPOOL_TOKEN_FILE", secret.string()}});
  EXPECT_EQ(reader.get_secret("spool.token"), "spool-token");
}

TEST(ConfigReaderSecret, UnreadableFileIsReportedUnderTheFileKey) {
  TempDir dir;
  const auto missing = dir.path() / "missing";
  ConfigReader reader = load_env({{"UPFLEET_SPOOL_TOKEN_FILE", missing.string()}});
  EXPECT_EQ(reader.get_secret("spool.token"), "");
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find("spool.token_file: cannot read '" + missing.string() + "'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("UPFLEET_SPOOL_TOKEN_FILE"), std::string::npos) << message;
}

TEST(ConfigReaderSecret, BothInlineAndFileIsAProblem) {
  TempDir dir;
  const auto secret = write_file(dir, "token", "from-file\n");
  ConfigReader reader =
      load_env({{"UPFLEET_SPOOL_TOKEN", "inline"}, {"UPFLEET_SPOOL_TOKEN_FILE", secret.string()}});
  reader.get_secret("spool.token");
  const std::string message = finish_message(reader);
  EXPECT_NE(message.find("spool.token: is set both inline and as a file"), std::string::npos)
      << message;
}

TEST(ParseBytes, AcceptsPlainNumbersAndUnits) {
  EXPECT_EQ(parse_bytes("0"), 0u);
  EXPECT_EQ(parse_bytes("100"), 100u);
  EXPECT_EQ(parse_bytes("100B"), 100u);
  EXPECT_EQ(parse_bytes("512KiB"), 512u * 1024);
  EXPECT_EQ(parse_bytes("16MiB"), 16ull << 20);
  EXPECT_EQ(parse_bytes("5GiB"), 5ull << 30);
  EXPECT_EQ(parse_bytes("2TiB"), 2ull << 40);
  EXPECT_EQ(parse_bytes("10MB"), 10'000'000u);
  EXPECT_EQ(parse_bytes(" 3 KB "), 3000u);
}

TEST(ParseBytes, RejectsBadSyntaxAndOverflow) {
  EXPECT_EQ(parse_bytes(""), std::nullopt);
  EXPECT_EQ(parse_bytes("MiB"), std::nullopt);
  EXPECT_EQ(parse_bytes("-1"), std::nullopt);
  EXPECT_EQ(parse_bytes("1.5MiB"), std::nullopt);
  EXPECT_EQ(parse_bytes("16 parsecs"), std::nullopt);
  EXPECT_EQ(parse_bytes("99999999999999999999"), std::nullopt);  // > UINT64_MAX
  EXPECT_EQ(parse_bytes("20000000TiB"), std::nullopt);           // product overflows
}

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("0s"), 0ms);
}

TEST(ParseDuration, RejectsBadSyntax) {
  EXPECT_EQ(parse_duration(""), std::nullopt);
  EXPECT_EQ(parse_duration("5"), std::nullopt);  // a unit is required
  EXPECT_EQ(parse_duration("5d"), std::nullopt);
  EXPECT_EQ(parse_duration("-5s"), std::nullopt);
  EXPECT_EQ(parse_duration("1.5s"), std::nullopt);
}

// Regression guard: parse_bytes refuses values whose product overflows; parse_duration must
// too, instead of wrapping around to an arbitrary (possibly tiny or negative) duration.
TEST(ParseDuration, RejectsValuesThatOverflow) {
  EXPECT_EQ(parse_duration("10000000000000000h"), std::nullopt);  // 3.6e22 ms
  EXPECT_EQ(parse_duration("18446744073709551615s"), std::nullopt);
  // Fits uint64 after multiplying but not the signed milliseconds representation.
  EXPECT_EQ(parse_duration("3000000000000h"), std::nullopt);  // 1.08e19 ms
  // Wraps to a small positive value today: 18446744073709552000 ms mod 2^64 = 384 ms, so a
  // typo'd `worker.retry_cap` would silently become 384ms.
  EXPECT_EQ(parse_duration("18446744073709552s"), std::nullopt);
}

}  // namespace
}  // namespace upfleet
