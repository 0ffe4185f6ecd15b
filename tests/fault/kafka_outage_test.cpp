// The broker goes away: the ingest must refuse uploads within its publish timeout, keep
// nothing it refused, and accept again once the broker is back.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/kafka_test_util.h"
#include "tests/support/pipeline.h"

namespace upfleet::testing {
namespace {

int services(const std::string& command) {
  const std::string line =
      std::string(UPFLEET_SOURCE_DIR) + "/scripts/services " + command + " >&2";
  return std::system(line.c_str());
}

// Restarts the broker however the test ends, so later tests find it running.
struct BrokerRestarter {
  bool stopped = false;
  ~BrokerRestarter() {
    if (stopped) services("kafka-start");
  }
};

TEST(KafkaOutageTest, PutAnswers503WithinTimeoutAndKeepsNothing) {
  UPFLEET_REQUIRE_SERVICES(env);
  Pipeline pipeline(env, "kafka-outage");
  pipeline.ingest_env["UPFLEET_KAFKA_PUBLISH_TIMEOUT"] = "3s";
  ASSERT_TRUE(pipeline.start_ingest());
  ASSERT_EQ(pipeline.put(pipeline.key_prefix() + "before", "ok").status, 202);

  BrokerRestarter restarter;
  ASSERT_EQ(services("kafka-stop"), 0);
  restarter.stopped = true;

  const auto started = std::chrono::steady_clock::now();
  HttpReply reply = pipeline.put(pipeline.key_prefix() + "during", std::string(1 << 20, 'd'));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(reply.status, 503) << reply.raw;
  EXPECT_EQ(reply.body["error"].value("code", ""), "queue_unavailable");
  EXPECT_FALSE(reply.header("retry-after").empty());
  // The configured timeout plus time for the body and fsync; never an open-ended hang.
  EXPECT_LT(elapsed, std::chrono::seconds(3) + std::chrono::seconds(2));
  for (const auto& name : pipeline.spool_files()) {
    EXPECT_FALSE(name.ends_with(".part")) << name;
  }
  // Only the upload accepted before the outage is held (bytes, manifest, published marker).
  EXPECT_EQ(pipeline.spool_files().size(), 3u) << ::testing::PrintToString(pipeline.spool_files());

  ASSERT_EQ(services("kafka-start"), 0);
  restarter.stopped = false;
  HttpReply after;
  const bool accepted = eventually(
      [&] {
        after = pipeline.put(pipeline.key_prefix() + "after", "back");
        return after.status == 202;
      },
      std::chrono::seconds(90));
  EXPECT_TRUE(accepted) << after.status << " " << after.raw;

  // The refused upload never reached the job topic.
  auto jobs = read_topic(env.kafka_brokers, pipeline.topics().jobs);
  ASSERT_TRUE(jobs) << jobs.error().message;
  for (const auto& record : *jobs) {
    EXPECT_EQ(record.key.find("during"), std::string::npos) << "refused upload was published";
  }
}

}  // namespace
}  // namespace upfleet::testing
