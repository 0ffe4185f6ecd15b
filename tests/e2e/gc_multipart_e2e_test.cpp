// upfleetctl gc-multipart against the real S3 server and broker: stale multipart uploads are
// aborted, the one a live upload still owns (per the status topic) is kept.
#include <gtest/gtest.h>

#include <cstdio>

#include "common/http/curl_transport.h"
#include "common/kafka/kafka_job_publisher.h"
#include "common/kafka/kafka_producer.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/s3_test_client.h"
#include "tests/support/test_env.h"

namespace upfleet::testing {
namespace {

TEST(GcMultipartTest, AbortsStaleUploadsAndKeepsLiveOnes) {
  UPFLEET_REQUIRE_SERVICES(env);
  SystemClock clock;
  http::CurlTransport transport;
  auto client = create_s3_client(env, transport, clock);
  ASSERT_TRUE(client) << client.error().message;

  const std::string prefix = "gc-test-" + unique_suffix() + "/";
  auto stale = (*client)->create_multipart_upload({env.s3_bucket, prefix + "stale.bin", "", {}});
  auto live = (*client)->create_multipart_upload({env.s3_bucket, prefix + "live.bin", "", {}});
  ASSERT_TRUE(stale && live);

  // The live one is named by a recent `uploading` event on the status topic.
  const kafka::Topics topics = create_test_topics(env.kafka_brokers);
  auto producer = kafka::KafkaProducer::create({env.kafka_brokers, "gc-test", {}},
                                               std::chrono::seconds(10), kafka::Linger::kNone);
  ASSERT_TRUE(producer);
  kafka::KafkaStatusSink statuses(**producer, topics.status);
  StatusEvent uploading;
  uploading.upload_id = "live-upload-" + unique_suffix();
  uploading.state = UploadState::kUploading;
  uploading.key = prefix + "live.bin";
  uploading.multipart_upload_id = *live;
  uploading.at = format_rfc3339(std::chrono::system_clock::now() + std::chrono::minutes(1));
  ASSERT_TRUE(statuses.publish(uploading));

  const std::string command = "UPFLEET_KAFKA_TOPICS_STATUS=" + topics.status + " " +
                              built_binary("upfleetctl").string() +
                              " gc-multipart --older-than 0s --prefix " + prefix;
  int exit_code = -1;
  const std::string output = run_command(command, exit_code);
  EXPECT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find("aborted"), std::string::npos) << output;
  EXPECT_NE(output.find("kept (live job)"), std::string::npos) << output;

  auto left = (*client)->list_multipart_uploads(env.s3_bucket, prefix);
  ASSERT_TRUE(left) << left.error().message;
  ASSERT_EQ(left->size(), 1u) << output;
  EXPECT_EQ(left->front().upload_id, *live);
  (void)(*client)->abort_multipart_upload(env.s3_bucket, prefix + "live.bin", *live);

  // --dry-run lists but aborts nothing.
  auto another = (*client)->create_multipart_upload({env.s3_bucket, prefix + "again.bin", "", {}});
  ASSERT_TRUE(another);
  const std::string dry = run_command(command + " --dry-run", exit_code);
  EXPECT_EQ(exit_code, 0) << dry;
  EXPECT_NE(dry.find("would abort"), std::string::npos) << dry;
  auto still = (*client)->list_multipart_uploads(env.s3_bucket, prefix);
  ASSERT_TRUE(still);
  EXPECT_EQ(still->size(), 1u);
  (void)(*client)->abort_multipart_upload(env.s3_bucket, prefix + "again.bin", *another);
}

}  // namespace
}  // namespace upfleet::testing
