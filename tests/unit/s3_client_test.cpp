// S3Client against the scripted FakeHttpTransport: what goes over the wire (addressing,
// encoding, headers, bodies) and how answers become results or classified errors.
#include "common/s3/s3_client.h"

#include <gtest/gtest.h>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/fake_http_transport.h"

namespace upfleet::s3 {
namespace {

using namespace std::chrono;
using upfleet::testing::FakeHttpTransport;
using upfleet::testing::StringByteSource;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(system_clock::time_point now) : now_(now) {}
  system_clock::time_point now() const override { return now_; }
  steady_clock::time_point steady_now() const override { return {}; }

 private:
  system_clock::time_point now_;
};

S3Config local_config() {
  S3Config config;
  config.endpoint = "http://127.0.0.1:9000";
  config.region = "us-east-1";
  config.access_key_id = "AKID";
  config.secret_access_key = "SECRET";
  config.path_style = true;
  return config;
}

class S3ClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> make(S3Config config = local_config()) {
    auto client = S3Client::create(std::move(config), transport_, clock_);
    EXPECT_TRUE(client.has_value()) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  FakeHttpTransport transport_;
  FixedClock clock_{sys_days{2024y / March / 1} + hours(12)};
};

const char* kKeyWithEverything = "dir/a b+c\xc3\xbc=&?.txt";

TEST_F(S3ClientTest, PathStyleEncodesKeyOnceAndSignsHost) {
  auto client = make();
  transport_.enqueue(200, "", {{"ETag", "\"abc\""}});
  StringByteSource body("hello");
  auto etag = client->put_object({"bucket", kKeyWithEverything, {&body, 0, 5, "", ""}, "", {}, {}});
  ASSERT_TRUE(etag.has_value()) << etag.error().message;
  EXPECT_EQ(*etag, "abc");
  const auto request = transport_.last_request();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url, "http://127.0.0.1:9000/bucket/dir/a%20b%2Bc%C3%BC%3D%26%3F.txt");
  EXPECT_EQ(request.header("host"), "127.0.0.1:9000");
  EXPECT_EQ(request.header("x-amz-date"), "20240301T120000Z");
  EXPECT_EQ(request.header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(request.header("authorization")
                  .starts_with("AWS4-HMAC-SHA256 Credential=AKID/20240301/us-east-1/s3/"
                               "aws4_request, SignedHeaders=host;x-amz-content-sha256;"
                               "x-amz-date, Signature="));
  EXPECT_EQ(request.body, "hello");
}

TEST_F(S3ClientTest, VirtualHostedPutsBucketInHost) {
  S3Config config = local_config();
  config.endpoint = "https://s3.eu-west-1.amazonaws.com";
  config.path_style = false;
  auto client = make(config);
  transport_.enqueue(204);
  ASSERT_TRUE(client->delete_object("my-bucket", "a b").has_value());
  EXPECT_EQ(transport_.last_request().url, "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b");
  EXPECT_EQ(transport_.last_request().header("host"), "my-bucket.s3.eu-west-1.amazonaws.com");
  // Dotted buckets would break the TLS wildcard certificate: path style instead.
  EXPECT_EQ(client->object_url("my.bucket", "k"), "https://s3.eu-west-1.amazonaws.com/my.bucket/k");
}

TEST_F(S3ClientTest, VirtualHostedFallsBackToPathStyleForIpEndpoints) {
  S3Config config = local_config();
  config.path_style = false;
  auto client = make(config);
  EXPECT_EQ(client->object_url("bucket", "k"), "http://127.0.0.1:9000/bucket/k");
}

TEST_F(S3ClientTest, PutSendsChecksumsMetadataAndContentType) {
  auto client = make();
  transport_.enqueue(200, "", {{"ETag", "\"e\""}});
  StringByteSource body("0123456789");
  PutObjectRequest request{"bucket",           "k", {&body, 2, 5, "", ""}, "text/plain",
                           {{"Owner", "ops"}}, {}};
  request.body.content_md5 = crypto::md5_base64(std::string_view("23456"));
  request.body.sha256_hex = crypto::sha256_hex("23456");
  uint64_t progress = 0;
  request.on_progress = [&](uint64_t sent, uint64_t) { progress = sent; };
  ASSERT_TRUE(client->put_object(request).has_value());

  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.body, "23456");
  EXPECT_EQ(progress, 5u);
  EXPECT_EQ(sent.header("content-md5"), request.body.content_md5);
  EXPECT_EQ(sent.header("x-amz-content-sha256"), request.body.sha256_hex);
  EXPECT_EQ(sent.header("content-type"), "text/plain");
  EXPECT_EQ(sent.header("x-amz-meta-owner"), "ops");
  EXPECT_NE(sent.header("authorization")
                .find("SignedHeaders=content-md5;content-type;host;x-amz-content-sha256;"
                      "x-amz-date;x-amz-meta-owner,"),
            std::string::npos);
}

TEST_F(S3ClientTest, SessionTokenIsSentAndSigned) {
  S3Config config = local_config();
  config.session_token = "TOKEN";
  auto client = make(config);
  transport_.enqueue(204);
  ASSERT_TRUE(client->delete_object("bucket", "k").has_value());
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.header("x-amz-security-token"), "TOKEN");
  EXPECT_NE(sent.header("authorization").find(";x-amz-security-token,"), std::string::npos);
}

TEST_F(S3ClientTest, InvalidMetadataIsRejectedBeforeSending) {
  auto client = make();
  StringByteSource body("x");
  EXPECT_EQ(client->put_object({"b", "k", {&body, 0, 1, "", ""}, "", {{"bad name", "v"}}, {}})
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      client->put_object({"b", "k", {&body, 0, 1, "", ""}, "", {{"n", "a\r\nb"}}, {}}).error().code,
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(client->put_object({"b", "k", {&body, 0, 2, "", ""}, "", {}, {}}).error().code,
            ErrorCode::kInvalidArgument);  // range past the source
  EXPECT_EQ(client->put_object({"b", "", {&body, 0, 1, "", ""}, "", {}, {}}).error().code,
            ErrorCode::kInvalidArgument);  // empty key
  EXPECT_EQ(transport_.request_count(), 0u);
}

TEST_F(S3ClientTest, ErrorsAreClassified) {
  auto client = make();
  StringByteSource body("x");
  const PutObjectRequest put{"b", "k", {&body, 0, 1, "", ""}, "", {}, {}};

  transport_.enqueue(503, "<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>");
  auto slow = client->put_object(put);
  EXPECT_EQ(slow.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(slow.error().retryable);
  EXPECT_NE(slow.error().message.find("PutObject b/k"), std::string::npos);

  transport_.enqueue(403, "<Error><Code>AccessDenied</Code></Error>");
  auto denied = client->put_object(put);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(denied.error().retryable);

  transport_.enqueue_error(Error::transient(ErrorCode::kUnavailable, "connection reset"));
  auto reset = client->put_object(put);
  EXPECT_EQ(reset.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(reset.error().retryable);
  EXPECT_EQ(reset.error().message, "PutObject b/k: connection reset");
}

TEST_F(S3ClientTest, HeadObjectReadsSizeEtagTypeAndMetadata) {
  auto client = make();
  transport_.enqueue(200, "",
                     {{"Content-Length", "1234"},
                      {"ETag", "\"d41d8cd98f00b204e9800998ecf8427e\""},
                      {"Content-Type", "image/png"},
                      {"x-amz-meta-sha256", "abc"},
                      {"X-Amz-Meta-Upload-Id", "u1"}});
  auto info = client->head_object("b", "k");
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->size, 1234u);
  EXPECT_EQ(info->etag, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(info->content_type, "image/png");
  EXPECT_EQ(info->metadata.at("sha256"), "abc");
  EXPECT_EQ(info->metadata.at("upload-id"), "u1");
  EXPECT_EQ(transport_.last_request().method, "HEAD");

  transport_.enqueue(404);
  EXPECT_EQ(client->head_object("b", "missing").error().code, ErrorCode::kNotFound);
}

TEST_F(S3ClientTest, GetObjectSendsRangeAndStreamsOnlySuccessBodies) {
  auto client = make();
  std::string received;
  auto sink = [&](std::string_view chunk) {
    received.append(chunk);
    return true;
  };
  transport_.enqueue(206, "0123456789");
  ASSERT_TRUE(client->get_object({"b", "k", 5, 10, sink}).has_value());
  EXPECT_EQ(transport_.last_request().header("range"), "bytes=5-14");
  EXPECT_EQ(received, "0123456789");

  transport_.enqueue(206, "");
  ASSERT_TRUE(client->get_object({"b", "k", 5, 0, sink}).has_value());
  EXPECT_EQ(transport_.last_request().header("range"), "bytes=5-");

  transport_.enqueue(200, "");
  ASSERT_TRUE(client->get_object({"b", "k", 0, 0, sink}).has_value());
  EXPECT_FALSE(transport_.last_request().has_header("range"));

  received.clear();
  transport_.enqueue(404, "<Error><Code>NoSuchKey</Code></Error>");
  EXPECT_EQ(client->get_object({"b", "k", 0, 0, sink}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(received, "");  // the error document is not object data

  transport_.enqueue(200, "data");
  auto stopped = client->get_object({"b", "k", 0, 0, [](std::string_view) { return false; }});
  EXPECT_EQ(stopped.error().code, ErrorCode::kCancelled);
}

TEST_F(S3ClientTest, DeleteOfMissingObjectSucceedsButMissingBucketFails) {
  auto client = make();
  transport_.enqueue(404, "<Error><Code>NoSuchKey</Code></Error>");
  EXPECT_TRUE(client->delete_object("b", "k").has_value());
  transport_.enqueue(404, "<Error><Code>NoSuchBucket</Code></Error>");
  EXPECT_EQ(client->delete_object("b", "k").error().code, ErrorCode::kNotFound);
}

TEST_F(S3ClientTest, CreateBucketToleratesOwnBucketAndSendsLocation) {
  S3Config config = local_config();
  config.region = "eu-central-1";
  auto client = make(config);
  transport_.enqueue(409, "<Error><Code>BucketAlreadyOwnedByYou</Code></Error>");
  EXPECT_TRUE(client->create_bucket("b").has_value());
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.url, "http://127.0.0.1:9000/b");
  EXPECT_NE(sent.body.find("<LocationConstraint>eu-central-1</LocationConstraint>"),
            std::string::npos);
  EXPECT_EQ(sent.header("x-amz-content-sha256"), crypto::sha256_hex(sent.body));

  transport_.enqueue(409, "<Error><Code>BucketAlreadyExists</Code></Error>");
  EXPECT_EQ(client->create_bucket("b").error().code, ErrorCode::kAlreadyExists);
}

TEST_F(S3ClientTest, PresignedUrlMatchesTheAwsExample) {
  S3Config config = local_config();
  config.endpoint = "https://s3.amazonaws.com";
  config.path_style = false;
  config.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  config.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  FixedClock example_time{sys_days{2013y / May / 24}};
  auto client = S3Client::create(config, transport_, example_time);
  ASSERT_TRUE(client.has_value());
  auto url = (*client)->presign_url("GET", "examplebucket", "test.txt", hours(24));
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(*url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&"
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&"
            "X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404&"
            "X-Amz-SignedHeaders=host");
  EXPECT_EQ((*client)->presign_url("GET", "b", "k", days(8)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ((*client)->presign_url("GET", "b", "k", seconds(0)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(S3ClientTest, CreateRejectsUnusableConfig) {
  S3Config bad_endpoint = local_config();
  bad_endpoint.endpoint = "127.0.0.1:9000";
  auto client = S3Client::create(bad_endpoint, transport_, clock_);
  ASSERT_FALSE(client.has_value());
  EXPECT_NE(client.error().message.find("s3.endpoint"), std::string::npos);

  S3Config no_secret = local_config();
  no_secret.secret_access_key.clear();
  EXPECT_EQ(S3Client::create(no_secret, transport_, clock_).error().code,
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace upfleet::s3
