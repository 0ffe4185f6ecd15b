// The whole pipeline on the real broker and S3 server: PUT through the ingest, workers store
// the object, status reaches `uploaded`, the bytes in S3 are the bytes sent.
#include <gtest/gtest.h>

#include <random>

#include "common/clock.h"
#include "common/crypto/sha256.h"
#include "common/s3/s3_client.h"
#include "common/s3/uri_encode.h"
#include "tests/support/kafka_test_util.h"
#include "tests/support/pipeline.h"

namespace upfleet::testing {
namespace {

std::string random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = rng();
    std::memcpy(data.data() + i, &word, std::min<size_t>(8, size - i));
  }
  return data;
}

class PipelineE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = services_env();
    ASSERT_TRUE(env) << "services not running: run `eval \"$(scripts/services up)\"` first";
    pipeline_ = std::make_unique<Pipeline>(
        *env, ::testing::UnitTest::GetInstance()->current_test_info()->name());
    s3::S3Config config;
    config.endpoint = env->s3_endpoint;
    config.region = env->s3_region;
    config.access_key_id = env->s3_access_key_id;
    config.secret_access_key = env->s3_secret_access_key;
    config.path_style = env->s3_path_style;
    auto client = s3::S3Client::create(config, transport_, clock_);
    ASSERT_TRUE(client) << client.error().message;
    s3_ = std::move(*client);
  }

  void TearDown() override {
    if (HasFailure() && pipeline_) pipeline_->print_logs();
  }

  std::string read_object(const std::string& key) {
    std::string data;
    s3::GetObjectRequest request;
    request.bucket = pipeline_->services().s3_bucket;
    request.key = key;
    request.sink = [&data](std::string_view chunk) {
      data.append(chunk);
      return true;
    };
    auto got = s3_->get_object(request);
    EXPECT_TRUE(got) << got.error().message;
    return data;
  }

  SystemClock clock_;
  http::CurlTransport transport_;
  std::unique_ptr<s3::S3Client> s3_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineE2eTest, FilesOfEverySizeLandInS3ByteIdentical) {
  ASSERT_TRUE(pipeline_->start_ingest());
  ASSERT_TRUE(pipeline_->start_worker());
  struct Case {
    std::string name;
    size_t size;
  };
  const std::vector<Case> cases = {
      {"empty", 0}, {"one-byte", 1}, {"one-mib", 1 << 20}, {"sixty-four-mib", 64u << 20}};
  std::vector<std::pair<std::string, std::string>> accepted;  // upload id, key
  std::map<std::string, std::string> sent;                    // key -> bytes
  for (const Case& c : cases) {
    const std::string key = pipeline_->key_prefix() + c.name + ".bin";
    std::string data = random_bytes(c.size, c.size + 7);
    HttpReply reply = pipeline_->put(key, data);
    ASSERT_EQ(reply.status, 202) << reply.raw;
    EXPECT_EQ(reply.body.value("key", ""), key);
    EXPECT_EQ(reply.body.value("size", uint64_t{99}), c.size);
    EXPECT_EQ(reply.body.value("sha256", ""), crypto::sha256_hex(data));
    EXPECT_NE(reply.body.value("status_url", "").find(reply.body.value("upload_id", "?")),
              std::string::npos);
    accepted.emplace_back(reply.body.value("upload_id", ""), key);
    sent[key] = std::move(data);
  }
  for (const auto& [upload_id, key] : accepted) {
    auto status = pipeline_->wait_for_state(upload_id, "uploaded", std::chrono::seconds(120));
    ASSERT_TRUE(status) << key;
    ASSERT_EQ(status->value("state", ""), "uploaded") << status->dump();
    EXPECT_EQ(status->value("key", ""), key);
    EXPECT_FALSE(status->value("url", "").empty());
    const std::string stored = read_object(key);
    EXPECT_EQ(stored.size(), sent[key].size()) << key;
    EXPECT_EQ(crypto::sha256_hex(stored), crypto::sha256_hex(sent[key])) << key;
    EXPECT_TRUE(stored == sent[key]) << key << ": bytes differ";
    auto head = s3_->head_object(pipeline_->services().s3_bucket, key);
    ASSERT_TRUE(head) << head.error().message;
    EXPECT_EQ(head->metadata["sha256"], crypto::sha256_hex(sent[key]));
  }
  // Once uploaded, the ingest deletes its spooled copies.
  EXPECT_TRUE(
      eventually([&] { return pipeline_->spool_files().empty(); }, std::chrono::seconds(30)))
      << "spool still holds " << pipeline_->spool_files().size() << " files";
}

TEST_F(PipelineE2eTest, KeysWithSpacesPlusAndUtf8RoundTrip) {
  ASSERT_TRUE(pipeline_->start_ingest());
  ASSERT_TRUE(pipeline_->start_worker());
  const std::string key = pipeline_->key_prefix() + "a b+c/\xc3\xa9t\xc3\xa9 \xe2\x9c\x93.txt";
  const std::string encoded = s3::uri_encode_path(key);
  HttpReply reply = pipeline_->put(encoded, "hello");
  ASSERT_EQ(reply.status, 202) << reply.raw;
  EXPECT_EQ(reply.body.value("key", ""), key);
  auto status = pipeline_->wait_for_state(reply.body.value("upload_id", ""), "uploaded",
                                          std::chrono::seconds(60));
  ASSERT_TRUE(status && status->value("state", "") == "uploaded");
  EXPECT_EQ(read_object(key), "hello");
}

TEST_F(PipelineE2eTest, TwoWorkersInOneGroupBothReceivePartitions) {
  ASSERT_TRUE(pipeline_->start_ingest());
  ASSERT_TRUE(pipeline_->start_worker());
  ASSERT_TRUE(pipeline_->start_worker());
  auto assigned = [&](size_t i) {
    return pipeline_->worker_metric(i, "upfleet_worker_assigned_partitions").value_or(0);
  };
  const bool balanced = eventually(
      [&] { return assigned(0) > 0 && assigned(1) > 0 && assigned(0) + assigned(1) == 6; },
      std::chrono::seconds(60));
  EXPECT_TRUE(balanced) << "worker 0 has " << assigned(0) << ", worker 1 has " << assigned(1);

  // Jobs spread over all partitions still all complete.
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) {
    HttpReply reply = pipeline_->put(pipeline_->key_prefix() + "spread-" + std::to_string(i), "x");
    ASSERT_EQ(reply.status, 202) << reply.raw;
    ids.push_back(reply.body.value("upload_id", ""));
  }
  for (const auto& id : ids) {
    auto status = pipeline_->wait_for_state(id, "uploaded", std::chrono::seconds(60));
    EXPECT_TRUE(status && status->value("state", "") == "uploaded") << id;
  }
  const double done0 =
      pipeline_->worker_metric(0, "upfleet_worker_uploaded_bytes_total").value_or(0);
  const double done1 =
      pipeline_->worker_metric(1, "upfleet_worker_uploaded_bytes_total").value_or(0);
  EXPECT_EQ(done0 + done1, 12) << "each job carried one byte";
}

TEST_F(PipelineE2eTest, JobsProducedAfterAssignmentAreStoredWithoutAnExistenceCheck) {
  ASSERT_TRUE(pipeline_->start_ingest());
  // Produced before any worker owns the partitions: it may have reached an earlier owner.
  HttpReply before = pipeline_->put(pipeline_->key_prefix() + "before", "queued early");
  ASSERT_EQ(before.status, 202) << before.raw;
  ASSERT_TRUE(pipeline_->start_worker());
  ASSERT_TRUE(eventually(
      [&] {
        return pipeline_->worker_metric(0, "upfleet_worker_assigned_partitions").value_or(0) == 6;
      },
      std::chrono::seconds(60)));
  std::map<std::string, std::string> sent = {{before.body.value("upload_id", ""), "queued early"}};
  std::map<std::string, std::string> keys = {
      {before.body.value("upload_id", ""), pipeline_->key_prefix() + "before"}};
  for (int i = 0; i < 3; ++i) {
    const std::string key = pipeline_->key_prefix() + "after-" + std::to_string(i);
    const std::string data = "fresh " + std::to_string(i);
    HttpReply reply = pipeline_->put(key, data);
    ASSERT_EQ(reply.status, 202) << reply.raw;
    sent[reply.body.value("upload_id", "")] = data;
    keys[reply.body.value("upload_id", "")] = key;
  }
  for (const auto& [id, data] : sent) {
    auto status = pipeline_->wait_for_state(id, "uploaded", std::chrono::seconds(60));
    ASSERT_TRUE(status && status->value("state", "") == "uploaded") << keys[id];
    EXPECT_EQ(read_object(keys[id]), data);
  }
  EXPECT_EQ(
      pipeline_->worker_metric(0, "upfleet_worker_existence_checks_skipped_total").value_or(-1), 3)
      << "the three jobs produced after the assignment, and not the one before it";
}

TEST_F(PipelineE2eTest, BadKeysAreRejectedAndNothingIsSpooledOrPublished) {
  ASSERT_TRUE(pipeline_->start_ingest());
  const std::vector<std::string> bad_keys = {
      "..%2Fx",                // ../x
      "%2E%2E/x",              // ../x, encoded dots
      "a%2F..%2Fb",            // traversal in the middle
      "%2Fetc%2Fpasswd",       // absolute
      "a%00b",                 // NUL byte
      "a%0Ab",                 // newline
      "a%5Cb",                 // backslash
      std::string(1100, 'k'),  // overlong
      "%zz",                   // malformed escape
  };
  for (const std::string& key : bad_keys) {
    HttpReply reply = pipeline_->put(key, "payload");
    EXPECT_EQ(reply.status, 400) << key << ": " << reply.raw;
    EXPECT_EQ(reply.body["error"].value("code", ""), "invalid_key") << key;
  }
  EXPECT_TRUE(pipeline_->spool_files().empty());
  auto jobs = read_topic(pipeline_->services().kafka_brokers, pipeline_->topics().jobs);
  ASSERT_TRUE(jobs) << jobs.error().message;
  EXPECT_TRUE(jobs->empty()) << jobs->size() << " jobs were published";
  auto statuses = read_topic(pipeline_->services().kafka_brokers, pipeline_->topics().status);
  ASSERT_TRUE(statuses) << statuses.error().message;
  EXPECT_TRUE(statuses->empty());
}

TEST_F(PipelineE2eTest, UnknownUploadIs404AndErrorsAreJson) {
  ASSERT_TRUE(pipeline_->start_ingest());
  HttpReply missing = pipeline_->request("GET", "/v1/uploads/0123456789abcdef0123456789abcdef");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"].value("code", ""), "not_found");
  HttpReply health = pipeline_->request("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  HttpReply metrics = pipeline_->request("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.raw.find("upfleet_ingest_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace upfleet::testing
