// How a librdkafka conf is assembled: upfleet's tunable defaults, then kafka.properties, then
// the settings upfleet's guarantees need.
#include "common/kafka/kafka_settings.h"

#include <gtest/gtest.h>

#include <string>

namespace upfleet::kafka {
namespace {

std::string get(const ConfHandle& conf, const char* name) {
  char value[512];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(conf.get(), name, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return value;
}

KafkaSettings settings_with(Properties properties) {
  KafkaSettings settings;
  settings.brokers = "127.0.0.1:9";
  settings.client_id = "test-client";
  settings.properties = std::move(properties);
  return settings;
}

TEST(KafkaSettings, BrokersAndClientIdAreSet) {
  auto conf = make_conf(settings_with({}), {});
  ASSERT_TRUE(conf) << conf.error().message;
  EXPECT_EQ(get(*conf, "bootstrap.servers"), "127.0.0.1:9");
  EXPECT_EQ(get(*conf, "client.id"), "test-client");
}

TEST(KafkaSettings, PropertiesOverrideTunableDefaults) {
  auto conf = make_conf(settings_with({{"linger.ms", "20"}}), {},
                        {{"linger.ms", "1"}, {"fetch.wait.max.ms", "100"}});
  ASSERT_TRUE(conf) << conf.error().message;
  EXPECT_EQ(get(*conf, "linger.ms"), "20");
  EXPECT_EQ(get(*conf, "fetch.wait.max.ms"), "100");  // a default nobody overrode
}

TEST(KafkaSettings, RequiredSettingsWinOverProperties) {
  auto conf = make_conf(settings_with({{"enable.auto.commit", "true"}, {"fetch.min.bytes", "7"}}),
                        {{"enable.auto.commit", "false"}});
  ASSERT_TRUE(conf) << conf.error().message;
  EXPECT_EQ(get(*conf, "enable.auto.commit"), "false");
  EXPECT_EQ(get(*conf, "fetch.min.bytes"), "7");  // not required: passed through
}

TEST(KafkaSettings, AnUnknownPropertyIsAnInvalidArgumentNamingIt) {
  auto conf = make_conf(settings_with({{"no.such.property", "1"}}), {});
  ASSERT_FALSE(conf);
  EXPECT_EQ(conf.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(conf.error().message.find("no.such.property"), std::string::npos);
}

TEST(KafkaSettings, ABadDefaultOrRequiredValueIsRefusedToo) {
  auto bad_default = make_conf(settings_with({}), {}, {{"linger.ms", "not-a-number"}});
  ASSERT_FALSE(bad_default);
  EXPECT_NE(bad_default.error().message.find("linger.ms"), std::string::npos);
  auto bad_required = make_conf(settings_with({}), {{"acks", "sometimes"}});
  ASSERT_FALSE(bad_required);
  EXPECT_NE(bad_required.error().message.find("acks"), std::string::npos);
}

}  // namespace
}  // namespace upfleet::kafka
