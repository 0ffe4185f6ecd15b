// spool.ttl: default 7 days, durations from file or environment, 0 turns expiry off, and
// values too short to be meant are refused naming the key.
#include <gtest/gtest.h>

#include <map>

#include "producer/ingest_config.h"

namespace upfleet {
namespace {

using namespace std::chrono_literals;

Result<IngestConfig> load_with(std::map<std::string, std::string> vars) {
  return load_ingest_config(
      std::nullopt,
      [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      });
}

TEST(SpoolTtlConfig, DefaultsToSevenDays) {
  auto config = load_with({});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->spool_ttl, std::chrono::hours(168));
}

TEST(SpoolTtlConfig, ReadsADuration) {
  auto config = load_with({{"UPFLEET_SPOOL_TTL", "36h"}});
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->spool_ttl, 36h);
}

TEST(SpoolTtlConfig, ZeroTurnsExpiryOff) {
  for (const std::string zero : {"0", "0s", "0ms"}) {
    auto config = load_with({{"UPFLEET_SPOOL_TTL", zero}});
    ASSERT_TRUE(config.has_value()) << zero << ": " << config.error().message;
    EXPECT_EQ(config->spool_ttl, 0ms) << zero;
  }
}

TEST(SpoolTtlConfig, TooShortOrMalformedIsRefusedNamingTheKey) {
  for (const std::string bad : {"30s", "soon", "-1h"}) {
    auto config = load_with({{"UPFLEET_SPOOL_TTL", bad}});
    ASSERT_FALSE(config.has_value()) << bad;
    EXPECT_NE(config.error().message.find("spool.ttl"), std::string::npos)
        << config.error().message;
  }
}

}  // namespace
}  // namespace upfleet
