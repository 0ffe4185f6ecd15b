// The pipeline with an HTTPS-only ingest: clients PUT over TLS, the ingest advertises https://
// claim checks and status URLs by default, and the worker fetches the spooled bytes over TLS,
// trusting the ingest's certificate through spool.ca_file.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/crypto/sha256.h"
#include "common/http/curl_transport.h"
#include "tests/support/pipeline.h"
#include "tests/support/s3_test_client.h"
#include "tests/support/self_signed_cert.h"

namespace upfleet::testing {
namespace {

class HttpsIngestE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = services_env();
    ASSERT_TRUE(env) << "services not running: run `eval \"$(scripts/services up)\"` first";
    env_ = *env;
    ASSERT_TRUE(write_self_signed(dir_.path() / "cert.pem", dir_.path() / "key.pem"));
    pipeline_ = std::make_unique<Pipeline>(env_, "https-ingest");
    pipeline_->use_tls(dir_.path() / "cert.pem", dir_.path() / "key.pem");
    s3_ = s3_client(env_, transport_, clock_);
    ASSERT_NE(s3_, nullptr);
  }
  void TearDown() override {
    if (HasFailure() && pipeline_) pipeline_->print_logs();
  }

  ServicesEnv env_;
  TempDir dir_{"upfleet-https-e2e"};
  SystemClock clock_;
  http::CurlTransport transport_;
  std::unique_ptr<s3::S3Client> s3_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(HttpsIngestE2eTest, WorkerFetchesTheSpooledBytesOverTlsAndStoresThem) {
  ASSERT_TRUE(pipeline_->start_ingest());
  ASSERT_TRUE(pipeline_->start_worker());
  const std::string key = pipeline_->key_prefix() + "over-tls.bin";
  std::string data(3 << 20, '\0');  // several range reads' worth
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) % 251);

  HttpReply reply = pipeline_->put(key, data);
  ASSERT_EQ(reply.status, 202) << reply.raw;
  const std::string upload_id = reply.body.value("upload_id", "");
  EXPECT_TRUE(reply.body.value("status_url", "").starts_with("https://127.0.0.1:"))
      << reply.body.dump();

  auto status = pipeline_->wait_for_state(upload_id, "uploaded", std::chrono::seconds(120));
  ASSERT_TRUE(status) << "no status for " << upload_id;
  ASSERT_EQ(status->value("state", ""), "uploaded") << status->dump();
  std::string stored;
  s3::GetObjectRequest get;
  get.bucket = env_.s3_bucket;
  get.key = key;
  get.sink = [&stored](std::string_view chunk) {
    stored.append(chunk);
    return true;
  };
  auto got = s3_->get_object(get);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(stored.size(), data.size());
  EXPECT_TRUE(stored == data) << "bytes differ";
}

TEST_F(HttpsIngestE2eTest, PlainHttpOnTheTlsPortGetsNoAnswer) {
  ASSERT_TRUE(pipeline_->start_ingest());
  http::CurlTransport plain;
  http::HttpRequest request;
  request.url = "http" + pipeline_->ingest_url().substr(std::string("https").size()) + "/healthz";
  request.timeout = std::chrono::seconds(3);  // the listener waits for a TLS hello meanwhile
  auto response = plain.perform(request);
  EXPECT_FALSE(response.has_value() && response->status == 200)
      << "the TLS listener answered plain HTTP";
}

}  // namespace
}  // namespace upfleet::testing
