// S3Client, CurlTransport and S3ObjectStore against the real S3-compatible server started by
// scripts/services (S3Proxy on loopback, SigV4 checked by the server).
#include "common/s3/s3_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "common/http/curl_transport.h"
#include "common/s3/s3_object_store.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/support/test_env.h"

namespace upfleet::s3 {
namespace {

using upfleet::testing::StringByteSource;

constexpr uint64_t kMiB = 1024 * 1024;

std::string pattern(size_t size, unsigned seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + seed) >> 3);
  return out;
}

// Checks the code of an operation that must fail, without touching the error of a success.
template <class T>
void expect_error(const Result<T>& result, ErrorCode code) {
  ASSERT_FALSE(result.has_value()) << "expected " << to_string(code) << ", got success";
  EXPECT_EQ(result.error().code, code) << result.error().message;
}

S3Config config_from(const upfleet::testing::ServicesEnv& env) {
  S3Config config;
  config.endpoint = env.s3_endpoint;
  config.region = env.s3_region;
  config.access_key_id = env.s3_access_key_id;
  config.secret_access_key = env.s3_secret_access_key;
  config.path_style = env.s3_path_style;
  return config;
}

class S3ClientIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UPFLEET_REQUIRE_SERVICES(env);
    config_ = config_from(env);
    bucket_ = env.s3_bucket;
    auto client = S3Client::create(config_, transport_, clock_);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    client_ = std::move(*client);
    auto created = client_->create_bucket(bucket_);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    prefix_ = "it-" + upfleet::testing::unique_suffix() + "/";
  }

  Result<std::string> get(const std::string& key, uint64_t offset = 0, uint64_t length = 0) {
    std::string data;
    auto got = client_->get_object({bucket_, key, offset, length, [&](std::string_view chunk) {
                                      data.append(chunk);
                                      return true;
                                    }});
    if (!got) return fail(got.error());
    return data;
  }

  Result<std::string> put(const std::string& key, const std::string& data,
                          PutObjectRequest request = {}) {
    StringByteSource source(data);
    request.bucket = bucket_;
    request.key = key;
    request.body = {&source, 0, data.size(), crypto::md5_base64(std::string_view(data)),
                    crypto::sha256_hex(data)};
    return client_->put_object(request);
  }

  http::CurlTransport transport_;
  SystemClock clock_;
  S3Config config_;
  std::string bucket_;
  std::string prefix_;
  std::unique_ptr<S3Client> client_;
};

TEST_F(S3ClientIntegrationTest, PutHeadGetDeleteRoundTripsBySize) {
  for (const uint64_t size : {uint64_t{0}, uint64_t{1}, kMiB}) {
    SCOPED_TRACE(size);
    const std::string key = prefix_ + "object-" + std::to_string(size);
    const std::string data = pattern(size, static_cast<unsigned>(size));
    PutObjectRequest request;
    uint64_t progress = 0;
    request.on_progress = [&](uint64_t sent, uint64_t) { progress = sent; };
    auto etag = put(key, data, request);
    ASSERT_TRUE(etag.has_value()) << etag.error().message;
    EXPECT_EQ(*etag, crypto::md5_hex(data));
    EXPECT_EQ(progress, size);

    auto info = client_->head_object(bucket_, key);
    ASSERT_TRUE(info.has_value()) << info.error().message;
    EXPECT_EQ(info->size, size);
    EXPECT_EQ(info->etag, *etag);

    auto whole = get(key);
    ASSERT_TRUE(whole.has_value()) << whole.error().message;
    EXPECT_EQ(*whole, data);
    if (size > 10'000) {
      auto range = get(key, 1000, 5000);
      ASSERT_TRUE(range.has_value()) << range.error().message;
      EXPECT_EQ(*range, data.substr(1000, 5000));
      auto tail = get(key, size - 10);
      ASSERT_TRUE(tail.has_value()) << tail.error().message;
      EXPECT_EQ(*tail, data.substr(size - 10));
    }

    ASSERT_TRUE(client_->delete_object(bucket_, key).has_value());
    EXPECT_EQ(client_->head_object(bucket_, key).error().code, ErrorCode::kNotFound);
  }
}

TEST_F(S3ClientIntegrationTest, KeysWithSpacesPlusAndUtf8) {
  const std::string keys[] = {
      prefix_ + "dir/with space.txt",
      prefix_ + "plus+sign.txt",
      prefix_ +
          "\xc3\xbc"
          "ber/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe3\x83\x95.bin",
      prefix_ + "odd=chars&more(1)!'*,;$@~.txt",
  };
  for (const std::string& key : keys) {
    SCOPED_TRACE(key);
    const std::string data = "content of " + key;
    auto etag = put(key, data);
    ASSERT_TRUE(etag.has_value()) << etag.error().message;
    auto got = get(key);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(*got, data);
    EXPECT_TRUE(client_->delete_object(bucket_, key).has_value());
  }
}

TEST_F(S3ClientIntegrationTest, ContentTypeAndMetadataRoundTrip) {
  const std::string key = prefix_ + "meta.json";
  PutObjectRequest request;
  request.content_type = "application/json";
  request.metadata = {{"Upload-Id", "u-123"}, {"sha256", crypto::sha256_hex("{}")}};
  ASSERT_TRUE(put(key, "{}", request).has_value());
  auto info = client_->head_object(bucket_, key);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->content_type, "application/json");
  EXPECT_EQ(info->metadata["upload-id"], "u-123");
  EXPECT_EQ(info->metadata["sha256"], crypto::sha256_hex("{}"));
  EXPECT_TRUE(client_->delete_object(bucket_, key).has_value());
}

TEST_F(S3ClientIntegrationTest, ObjectStoreSeamRoundTrip) {
  upload::ByteBudget budget(64 << 20);
  upload::Uploader uploader(*client_, budget, {});
  S3ObjectStore store(*client_, uploader);
  const ObjectRef ref{bucket_, prefix_ + "store/file.bin"};
  StringByteSource body(pattern(300'000, 7));
  PutOptions options;
  options.content_type = "application/octet-stream";
  options.metadata = {{"origin", "it"}};
  options.sha256_hex = crypto::sha256_hex(body.data());
  auto put_info = store.put_object(ref, body, options);
  ASSERT_TRUE(put_info.has_value()) << put_info.error().message;
  auto head = store.head_object(ref);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, body.size());
  EXPECT_EQ(head->etag, put_info->etag);
  EXPECT_EQ(head->metadata["origin"], "it");
  ASSERT_TRUE(store.delete_object(ref).has_value());
  EXPECT_TRUE(store.delete_object(ref).has_value());  // deleting twice is fine
}

TEST_F(S3ClientIntegrationTest, MultipartCreateUploadListComplete) {
  const std::string key = prefix_ + "multi part.bin";
  const std::string data = pattern(5 * kMiB + 1024, 3);
  StringByteSource source(data);
  auto upload_id = client_->create_multipart_upload({bucket_, key, "video/mp4", {{"a", "b"}}});
  ASSERT_TRUE(upload_id.has_value()) << upload_id.error().message;

  std::vector<CompletedPart> parts;
  const uint64_t part_size = 5 * kMiB;
  for (int number = 1; number <= 2; ++number) {
    const uint64_t offset = (number - 1) * part_size;
    const uint64_t length = std::min<uint64_t>(part_size, data.size() - offset);
    const std::string_view bytes = std::string_view(data).substr(offset, length);
    UploadPartRequest request{
        bucket_,
        key,
        *upload_id,
        number,
        {&source, offset, length, crypto::md5_base64(bytes), crypto::sha256_hex(bytes)},
        {}};
    auto etag = client_->upload_part(request);
    ASSERT_TRUE(etag.has_value()) << etag.error().message;
    EXPECT_EQ(*etag, crypto::md5_hex(bytes));
    parts.push_back({number, *etag});
  }

  auto listed = client_->list_parts(bucket_, key, *upload_id);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].part_number, 1);
  EXPECT_EQ((*listed)[0].size, part_size);
  EXPECT_EQ((*listed)[1].size, 1024u);
  EXPECT_EQ((*listed)[1].etag, parts[1].etag);

  auto uploads = client_->list_multipart_uploads(bucket_, prefix_);
  ASSERT_TRUE(uploads.has_value()) << uploads.error().message;
  EXPECT_TRUE(std::any_of(uploads->begin(), uploads->end(),
                          [&](const auto& upload) { return upload.upload_id == *upload_id; }));

  auto etag = client_->complete_multipart_upload(bucket_, key, *upload_id, parts);
  ASSERT_TRUE(etag.has_value()) << etag.error().message;
  EXPECT_TRUE(etag->ends_with("-2")) << *etag;

  auto info = client_->head_object(bucket_, key);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->content_type, "video/mp4");
  auto got = get(key);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got == data);
  EXPECT_TRUE(client_->delete_object(bucket_, key).has_value());
}

TEST_F(S3ClientIntegrationTest, MultipartAbortDiscardsUpload) {
  const std::string key = prefix_ + "aborted.bin";
  StringByteSource source(pattern(1024, 9));
  auto upload_id = client_->create_multipart_upload({bucket_, key, "", {}});
  ASSERT_TRUE(upload_id.has_value()) << upload_id.error().message;
  auto etag = client_->upload_part({bucket_, key, *upload_id, 1, {&source, 0, 1024, "", ""}, {}});
  ASSERT_TRUE(etag.has_value()) << etag.error().message;
  ASSERT_TRUE(client_->abort_multipart_upload(bucket_, key, *upload_id).has_value());

  // AWS answers NoSuchUpload; S3Proxy's filesystem backend answers an empty list. Either way
  // no part survives.
  auto listed = client_->list_parts(bucket_, key, *upload_id);
  if (listed) {
    EXPECT_TRUE(listed->empty());
  } else {
    EXPECT_EQ(listed.error().code, ErrorCode::kNotFound) << listed.error().message;
  }
  auto again = client_->abort_multipart_upload(bucket_, key, *upload_id);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  auto head = client_->head_object(bucket_, key);
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code, ErrorCode::kNotFound);
}

TEST_F(S3ClientIntegrationTest, WrongSecretIsPermanentAuthFailure) {
  S3Config wrong = config_;
  wrong.secret_access_key += "-wrong";
  auto client = S3Client::create(wrong, transport_, clock_);
  ASSERT_TRUE(client.has_value());
  StringByteSource source("x");
  auto result =
      (*client)->put_object({bucket_, prefix_ + "denied", {&source, 0, 1, "", ""}, "", {}, {}});
  expect_error(result, ErrorCode::kUnauthenticated);
  if (!result) {
    EXPECT_FALSE(result.error().retryable);
  }
}

TEST_F(S3ClientIntegrationTest, MissingThingsAreNotFound) {
  const std::string key = prefix_ + "never-written";
  expect_error(get(key), ErrorCode::kNotFound);
  expect_error(client_->head_object(bucket_, key), ErrorCode::kNotFound);
  EXPECT_TRUE(client_->delete_object(bucket_, key).has_value());
  expect_error(client_->abort_multipart_upload(bucket_, key, "no-such-upload"),
               ErrorCode::kNotFound);
  expect_error(client_->list_multipart_uploads("upfleet-no-such-bucket-" +
                                               upfleet::testing::unique_suffix()),
               ErrorCode::kNotFound);
}

TEST_F(S3ClientIntegrationTest, RangePastTheEndIsInvalid) {
  const std::string key = prefix_ + "short";
  ASSERT_TRUE(put(key, "hello").has_value());
  expect_error(get(key, 5), ErrorCode::kInvalidArgument);
  auto clipped = get(key, 4, 10);  // a range running past the end is cut, not refused
  ASSERT_TRUE(clipped.has_value()) << clipped.error().message;
  EXPECT_EQ(*clipped, "o");
  EXPECT_TRUE(client_->delete_object(bucket_, key).has_value());
}

TEST_F(S3ClientIntegrationTest, ServerVerifiesContentMd5AndSha256) {
  const std::string key = prefix_ + "corrupted";
  StringByteSource source("hello");
  PutObjectRequest request{
      bucket_, key, {&source, 0, 5, crypto::md5_base64(std::string_view("jello")), ""}, "", {}, {}};
  expect_error(client_->put_object(request), ErrorCode::kIntegrity);
  request.body.content_md5.clear();
  request.body.sha256_hex = crypto::sha256_hex("jello");
  expect_error(client_->put_object(request), ErrorCode::kIntegrity);
  expect_error(client_->head_object(bucket_, key), ErrorCode::kNotFound);
}

TEST_F(S3ClientIntegrationTest, PresignedGetWorksWithoutCredentials) {
  const std::string key = prefix_ + "presigned file.txt";
  ASSERT_TRUE(put(key, "shared").has_value());
  auto url = client_->presign_url("GET", bucket_, key, std::chrono::minutes(5));
  ASSERT_TRUE(url.has_value());
  http::HttpRequest request;
  request.url = *url;
  auto response = transport_.perform(request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(response->body, "shared");
  EXPECT_TRUE(client_->delete_object(bucket_, key).has_value());
}

}  // namespace
}  // namespace upfleet::s3
