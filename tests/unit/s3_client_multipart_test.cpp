// S3Client's multipart operations against the scripted FakeHttpTransport.
#include <gtest/gtest.h>

#include "common/crypto/md5.h"
#include "common/s3/s3_client.h"
#include "tests/fakes/fake_http_byte_source.h"
#include "tests/fakes/fake_http_transport.h"

namespace upfleet::s3 {
namespace {

using upfleet::testing::FakeHttpTransport;
using upfleet::testing::StringByteSource;

class EpochClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return {}; }
  std::chrono::steady_clock::time_point steady_now() const override { return {}; }
};

class S3MultipartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    S3Config config;
    config.endpoint = "http://127.0.0.1:9000";
    config.access_key_id = "AKID";
    config.secret_access_key = "SECRET";
    config.path_style = true;
    auto created = S3Client::create(config, transport_, clock_);
    ASSERT_TRUE(created.has_value());
    client_ = std::move(*created);
  }

  FakeHttpTransport transport_;
  EpochClock clock_;
  std::unique_ptr<S3Client> client_;
};

TEST_F(S3MultipartTest, CreateReturnsUploadIdAndSendsMetadata) {
  transport_.enqueue(200,
                     "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                     "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>");
  auto upload_id =
      client_->create_multipart_upload({"b", "big file.bin", "video/mp4", {{"a", "1"}}});
  ASSERT_TRUE(upload_id.has_value()) << upload_id.error().message;
  EXPECT_EQ(*upload_id, "VXBsb2FkIElE");
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target(), "/b/big%20file.bin?uploads=");
  EXPECT_EQ(sent.header("content-type"), "video/mp4");
  EXPECT_EQ(sent.header("x-amz-meta-a"), "1");

  transport_.enqueue(200, "<InitiateMultipartUploadResult/>");
  EXPECT_EQ(client_->create_multipart_upload({"b", "k", "", {}}).error().code,
            ErrorCode::kProtocol);
}

TEST_F(S3MultipartTest, UploadPartSendsNumberIdAndContentMd5) {
  StringByteSource source("aaaaabbbbb");
  transport_.enqueue(200, "", {{"ETag", "\"part2etag\""}});
  UploadPartRequest request{"b", "k", "id/with+chars", 2, {&source, 5, 5, "", ""}, {}};
  request.body.content_md5 = crypto::md5_base64(std::string_view("bbbbb"));
  auto etag = client_->upload_part(request);
  ASSERT_TRUE(etag.has_value()) << etag.error().message;
  EXPECT_EQ(*etag, "part2etag");
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.target(), "/b/k?partNumber=2&uploadId=id%2Fwith%2Bchars");
  EXPECT_EQ(sent.body, "bbbbb");
  EXPECT_EQ(sent.header("content-md5"), request.body.content_md5);

  request.part_number = 0;
  EXPECT_EQ(client_->upload_part(request).error().code, ErrorCode::kInvalidArgument);
  request.part_number = 10001;
  EXPECT_EQ(client_->upload_part(request).error().code, ErrorCode::kInvalidArgument);

  request.part_number = 3;
  transport_.enqueue(404, "<Error><Code>NoSuchUpload</Code></Error>");
  EXPECT_EQ(client_->upload_part(request).error().code, ErrorCode::kNotFound);
  transport_.enqueue(400, "<Error><Code>BadDigest</Code></Error>");
  EXPECT_EQ(client_->upload_part(request).error().code, ErrorCode::kIntegrity);
}

TEST_F(S3MultipartTest, CompleteSendsOrderedPartsAndReadsEtag) {
  transport_.enqueue(200,
                     "<CompleteMultipartUploadResult><Location>x</Location><ETag>"
                     "&quot;3858f62230ac3c915f300c664312c11f-2&quot;</ETag>"
                     "</CompleteMultipartUploadResult>");
  const CompletedPart parts[] = {{1, "e1"}, {2, "e2"}};
  auto etag = client_->complete_multipart_upload("b", "k", "UP", parts);
  ASSERT_TRUE(etag.has_value()) << etag.error().message;
  EXPECT_EQ(*etag, "3858f62230ac3c915f300c664312c11f-2");
  const auto sent = transport_.last_request();
  EXPECT_EQ(sent.target(), "/b/k?uploadId=UP");
  EXPECT_EQ(sent.body,
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST_F(S3MultipartTest, CompleteDetectsErrorInsideA200) {
  transport_.enqueue(200,
                     "<?xml version=\"1.0\"?>\n   \n<Error><Code>InternalError</Code>"
                     "<Message>We encountered an internal error.</Message></Error>");
  const CompletedPart parts[] = {{1, "e1"}};
  auto result = client_->complete_multipart_upload("b", "k", "UP", parts);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(result.error().retryable);

  const CompletedPart unordered[] = {{2, "e2"}, {1, "e1"}};
  EXPECT_EQ(client_->complete_multipart_upload("b", "k", "UP", unordered).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(client_->complete_multipart_upload("b", "k", "UP", {}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(S3MultipartTest, AbortReportsMissingUpload) {
  transport_.enqueue(204);
  EXPECT_TRUE(client_->abort_multipart_upload("b", "k", "UP").has_value());
  EXPECT_EQ(transport_.last_request().method, "DELETE");
  EXPECT_EQ(transport_.last_request().target(), "/b/k?uploadId=UP");
  transport_.enqueue(404, "<Error><Code>NoSuchUpload</Code></Error>");
  EXPECT_EQ(client_->abort_multipart_upload("b", "k", "UP").error().code, ErrorCode::kNotFound);
}

TEST_F(S3MultipartTest, ListPartsFollowsPages) {
  transport_.enqueue(
      200,
      "<ListPartsResult><IsTruncated>true</IsTruncated>"
      "<NextPartNumberMarker>2</NextPartNumberMarker>"
      "<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag><Size>5242880</Size></Part>"
      "<Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag><Size>5242880</Size></Part>"
      "</ListPartsResult>");
  transport_.enqueue(200,
                     "<ListPartsResult><IsTruncated>false</IsTruncated>"
                     "<Part><PartNumber>3</PartNumber><ETag>\"e3\"</ETag><Size>7</Size></Part>"
                     "</ListPartsResult>");
  auto parts = client_->list_parts("b", "k", "UP");
  ASSERT_TRUE(parts.has_value()) << parts.error().message;
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[2].part_number, 3);
  EXPECT_EQ((*parts)[2].etag, "e3");
  EXPECT_EQ((*parts)[2].size, 7u);
  const auto sent = transport_.requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].target(), "/b/k?max-parts=1000&uploadId=UP");
  EXPECT_EQ(sent[1].target(), "/b/k?max-parts=1000&part-number-marker=2&uploadId=UP");
}

TEST_F(S3MultipartTest, ListPartsRefusesToLoopOnAStuckMarker) {
  transport_.set_handler([](const testing::RecordedRequest&) -> Result<http::HttpResponse> {
    http::HttpResponse response;
    response.status = 200;
    response.body = "<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>";
    return response;
  });
  EXPECT_EQ(client_->list_parts("b", "k", "UP").error().code, ErrorCode::kProtocol);
  EXPECT_EQ(transport_.request_count(), 1u);

  transport_.set_handler(nullptr);
  transport_.enqueue(200,
                     "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>");
  EXPECT_EQ(client_->list_parts("b", "k", "UP").error().code, ErrorCode::kProtocol);
}

TEST_F(S3MultipartTest, ListMultipartUploadsFollowsPages) {
  transport_.enqueue(200,
                     "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated>"
                     "<NextKeyMarker>a</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>"
                     "<Upload><Key>a</Key><UploadId>u1</UploadId>"
                     "<Initiated>2024-01-01T00:00:00.000Z</Initiated></Upload>"
                     "</ListMultipartUploadsResult>");
  transport_.enqueue(200,
                     "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
                     "<Upload><Key>a &amp; b</Key><UploadId>u2</UploadId></Upload>"
                     "</ListMultipartUploadsResult>");
  auto uploads = client_->list_multipart_uploads("b", "a");
  ASSERT_TRUE(uploads.has_value()) << uploads.error().message;
  ASSERT_EQ(uploads->size(), 2u);
  EXPECT_EQ((*uploads)[0].initiated, "2024-01-01T00:00:00.000Z");
  EXPECT_EQ((*uploads)[1].key, "a & b");
  EXPECT_EQ((*uploads)[1].upload_id, "u2");
  const auto sent = transport_.requests();
  EXPECT_EQ(sent[0].target(), "/b?prefix=a&uploads=");
  EXPECT_EQ(sent[1].target(), "/b?key-marker=a&prefix=a&upload-id-marker=u1&uploads=");
}

}  // namespace
}  // namespace upfleet::s3
