// S3ObjectStore: the ObjectStore seam over S3Client, with body verification.
#include "common/s3/s3_object_store.h"

#include <gtest/gtest.h>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/fake_http_transport.h"

namespace upfleet::s3 {
namespace {

using upfleet::testing::FailingByteSource;
using upfleet::testing::FakeHttpTransport;
using upfleet::testing::StringByteSource;

class EpochClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return {}; }
  std::chrono::steady_clock::time_point steady_now() const override { return {}; }
};

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    S3Config config;
    config.endpoint = "http://localhost:9000";
    config.access_key_id = "AKID";
    config.secret_access_key = "SECRET";
    config.path_style = true;
    auto created = S3Client::create(config, transport_, clock_);
    ASSERT_TRUE(created.has_value());
    client_ = std::move(*created);
    upload::UploaderOptions options;
    options.part_retry = {std::chrono::milliseconds(1), std::chrono::milliseconds(2), 2};
    uploader_ = std::make_unique<upload::Uploader>(*client_, budget_, options);
    store_ = std::make_unique<S3ObjectStore>(*client_, *uploader_);
  }

  FakeHttpTransport transport_;
  EpochClock clock_;
  upload::ByteBudget budget_{64 << 20};
  std::unique_ptr<S3Client> client_;
  std::unique_ptr<upload::Uploader> uploader_;
  std::unique_ptr<S3ObjectStore> store_;
};

TEST_F(S3ObjectStoreTest, PutHashesBodySoS3VerifiesIt) {
  StringByteSource body(std::string(600'000, 'z'));
  transport_.enqueue(200, "", {{"ETag", "\"etag1\""}});
  PutOptions options;
  options.content_type = "image/jpeg";
  options.metadata = {{"Upload-Id", "u1"}};
  options.sha256_hex = crypto::sha256_hex(body.data());
  auto info = store_->put_object({"bucket", "photos/cat.jpg"}, body, options);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->size, 600'000u);
  EXPECT_EQ(info->etag, "etag1");
  EXPECT_EQ(info->metadata.at("upload-id"), "u1");

  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.url, "http://localhost:9000/bucket/photos/cat.jpg");
  EXPECT_EQ(sent.header("content-md5"), crypto::md5_base64(std::string_view(body.data())));
  EXPECT_EQ(sent.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(sent.header("x-amz-meta-upload-id"), "u1");
  EXPECT_EQ(sent.body, body.data());
}

TEST_F(S3ObjectStoreTest, PutWithoutSha256StillCarriesContentMd5) {
  StringByteSource body("abc");
  transport_.enqueue(200, "", {{"ETag", "\"e\""}});
  ASSERT_TRUE(store_->put_object({"b", "k"}, body, {}).has_value());
  EXPECT_EQ(transport_.last_request().header("content-md5"), crypto::md5_base64("abc"));
  EXPECT_EQ(transport_.last_request().header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
}

TEST_F(S3ObjectStoreTest, SourceNotMatchingExpectedSha256IsNeverSent) {
  StringByteSource body("tampered");
  PutOptions options;
  options.sha256_hex = crypto::sha256_hex("original");
  auto info = store_->put_object({"b", "k"}, body, options);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kIntegrity);
  EXPECT_FALSE(info.error().retryable);
  EXPECT_EQ(transport_.request_count(), 0u);
}

TEST_F(S3ObjectStoreTest, SourceReadErrorsKeepRetryability) {
  FailingByteSource body(1000, 10, Error::transient(ErrorCode::kUnavailable, "ingest down"));
  auto info = store_->put_object({"b", "k"}, body, {});
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(info.error().retryable);
}

TEST_F(S3ObjectStoreTest, HeadGetDeleteAndUrlDelegate) {
  transport_.enqueue(200, "", {{"Content-Length", "3"}, {"ETag", "\"e\""}});
  EXPECT_EQ(store_->head_object({"b", "k"})->size, 3u);
  transport_.enqueue(206, "bc");
  std::string got;
  ASSERT_TRUE(store_
                  ->get_object({"b", "k"}, 1, 2,
                               [&](std::string_view chunk) {
                                 got.append(chunk);
                                 return true;
                               })
                  .has_value());
  EXPECT_EQ(got, "bc");
  EXPECT_EQ(transport_.last_request().header("range"), "bytes=1-2");
  transport_.enqueue(204);
  EXPECT_TRUE(store_->delete_object({"b", "k"}).has_value());
  EXPECT_EQ(store_->object_url({"b", "a b"}), "http://localhost:9000/b/a%20b");
}

}  // namespace
}  // namespace upfleet::s3
