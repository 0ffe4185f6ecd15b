// kill -9 a worker in the middle of a multipart upload; a new worker resumes it from the
// checkpoint in the status topic: parts S3 already had are not sent again, the object is
// byte-identical, and no multipart upload is left behind.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "common/crypto/sha256.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/pipeline.h"
#include "tests/support/s3_test_client.h"

namespace upfleet::testing {
namespace {

std::string random_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string data(size, '\0');
  for (size_t i = 0; i + 8 <= size; i += 8) {
    const uint64_t word = rng();
    std::memcpy(data.data() + i, &word, 8);
  }
  return data;
}

TEST(WorkerCrashTest, KilledMidUploadResumesWithoutResendingStoredParts) {
  UPFLEET_REQUIRE_SERVICES(env);
  std::string s3_host;
  uint16_t s3_port = 0;
  ASSERT_TRUE(
      split_host_port(env.s3_endpoint.substr(std::string("http://").size()), s3_host, s3_port));
  // A little delay per request keeps the upload running long enough to kill it in the middle.
  FaultPolicy slow;
  slow.delay = std::chrono::milliseconds(150);
  slow.only_method = "PUT";
  auto proxy = FaultProxy::start(s3_host, s3_port, slow);
  ASSERT_TRUE(proxy);

  Pipeline pipeline(env, "worker-crash");
  pipeline.worker_env = {{"UPFLEET_S3_ENDPOINT", proxy->url()},
                         {"UPFLEET_UPLOAD_PART_SIZE", "5MiB"},
                         {"UPFLEET_UPLOAD_MULTIPART_THRESHOLD", "5MiB"},
                         {"UPFLEET_UPLOAD_CONCURRENCY", "2"},
                         {"UPFLEET_KAFKA_SESSION_TIMEOUT", "6s"}};
  ASSERT_TRUE(pipeline.start_ingest());
  ASSERT_TRUE(pipeline.start_worker());

  const size_t kParts = 24;
  const std::string data = random_bytes(kParts * (5u << 20), 42);
  const std::string key = pipeline.key_prefix() + "big.bin";
  HttpReply reply = pipeline.put(key, data);
  ASSERT_EQ(reply.status, 202) << reply.raw;
  const std::string upload_id = reply.body.value("upload_id", "");

  // Wait until the status says a third of the parts are stored, then crash the worker.
  uint32_t done_before_kill = 0;
  std::string multipart_id;
  ASSERT_TRUE(eventually(
      [&] {
        HttpReply status = pipeline.request("GET", "/v1/uploads/" + upload_id);
        if (status.body.is_object() && status.body.value("state", "") == "uploading") {
          done_before_kill = status.body.value("parts_done", 0u);
          multipart_id = status.body.value("multipart_upload_id", "");
        }
        return done_before_kill >= kParts / 3;
      },
      std::chrono::seconds(120)))
      << "upload did not progress";
  pipeline.worker(0).kill_now();
  ASSERT_FALSE(multipart_id.empty());

  ASSERT_TRUE(pipeline.start_worker());
  auto final_status = pipeline.wait_for_state(upload_id, "uploaded", std::chrono::seconds(180));
  ASSERT_TRUE(final_status && final_status->value("state", "") == "uploaded")
      << (final_status ? final_status->dump() : "no status");

  // Parts the checkpoint said were stored went over the wire exactly once.
  const ProxyStats stats = proxy->stats();
  for (uint32_t part = 1; part <= done_before_kill; ++part) {
    // The checkpoint counts parts, not which ones; parts finish roughly in order with 2 in
    // flight, so the first done-1 parts are certainly among them.
    if (part + 1 >= done_before_kill) break;
    auto it = stats.parts_forwarded.find(static_cast<int>(part));
    ASSERT_NE(it, stats.parts_forwarded.end()) << "part " << part;
    EXPECT_EQ(it->second, 1) << "part " << part << " was sent again after the crash";
  }
  const double resumed =
      pipeline.worker_metric(1, "upfleet_worker_upload_parts_resumed_total").value_or(0);
  const double sent = pipeline.worker_metric(1, "upfleet_worker_upload_parts_total").value_or(0);
  std::cerr << "parts stored before the kill: " << done_before_kill
            << ", resumed by the new worker: " << resumed << ", sent by it: " << sent << "\n";
  EXPECT_GE(resumed, done_before_kill);
  EXPECT_EQ(resumed + sent, kParts);
  EXPECT_LT(sent, kParts);

  SystemClock clock;
  http::CurlTransport transport;
  auto client = s3_client(env, transport, clock);
  ASSERT_TRUE(client);
  crypto::Sha256 stored;
  uint64_t stored_size = 0;
  ASSERT_TRUE(client->get_object({env.s3_bucket, key, 0, 0, [&](std::string_view chunk) {
                                    stored.update(chunk);
                                    stored_size += chunk.size();
                                    return true;
                                  }}));
  EXPECT_EQ(stored_size, data.size());
  EXPECT_EQ(stored.finish_hex(), crypto::sha256_hex(data));
  auto left = client->list_multipart_uploads(env.s3_bucket, pipeline.key_prefix());
  ASSERT_TRUE(left) << left.error().message;
  EXPECT_TRUE(left->empty()) << left->size() << " multipart uploads left behind";
}

}  // namespace
}  // namespace upfleet::testing
