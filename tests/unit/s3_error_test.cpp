// Which S3 failures are retryable and what code they get: the upload engine's retry policy
// depends on exactly this table.
#include "common/s3/s3_error.h"

#include <gtest/gtest.h>

namespace upfleet::s3 {
namespace {

http::HttpResponse response(long status, std::string_view code) {
  http::HttpResponse out;
  out.status = status;
  if (!code.empty()) {
    out.body = "<?xml version=\"1.0\"?><Error><Code>" + std::string(code) +
               "</Code><Message>msg for " + std::string(code) +
               "</Message><RequestId>RID1</RequestId></Error>";
  }
  return out;
}

struct Case {
  long status;
  std::string_view code;
  ErrorCode expected;
  bool retryable;
};

TEST(S3Error, ClassificationTable) {
  const Case cases[] = {
      {500, "InternalError", ErrorCode::kUnavailable, true},
      {502, "", ErrorCode::kUnavailable, true},
      {503, "SlowDown", ErrorCode::kUnavailable, true},
      {503, "ServiceUnavailable", ErrorCode::kUnavailable, true},
      {504, "", ErrorCode::kUnavailable, true},
      {400, "RequestTimeout", ErrorCode::kTimeout, true},
      {429, "", ErrorCode::kUnavailable, true},
      {409, "OperationAborted", ErrorCode::kUnavailable, true},
      {404, "NoSuchKey", ErrorCode::kNotFound, false},
      {404, "NoSuchUpload", ErrorCode::kNotFound, false},
      {404, "NoSuchBucket", ErrorCode::kNotFound, false},
      {404, "", ErrorCode::kNotFound, false},  // HEAD answers have no body
      {403, "SignatureDoesNotMatch", ErrorCode::kUnauthenticated, false},
      {403, "InvalidAccessKeyId", ErrorCode::kUnauthenticated, false},
      {403, "RequestTimeTooSkewed", ErrorCode::kUnauthenticated, false},
      {400, "ExpiredToken", ErrorCode::kUnauthenticated, false},
      {403, "AccessDenied", ErrorCode::kPermissionDenied, false},
      {403, "", ErrorCode::kPermissionDenied, false},
      // Corruption in transit: the same bytes sent again can succeed.
      {400, "BadDigest", ErrorCode::kIntegrity, true},
      {400, "XAmzContentSHA256Mismatch", ErrorCode::kIntegrity, true},
      {400, "InvalidDigest", ErrorCode::kIntegrity, false},
      {400, "EntityTooSmall", ErrorCode::kInvalidArgument, false},
      {400, "InvalidPart", ErrorCode::kInvalidArgument, false},
      {400, "EntityTooLarge", ErrorCode::kTooLarge, false},
      {409, "BucketAlreadyExists", ErrorCode::kAlreadyExists, false},
      {412, "PreconditionFailed", ErrorCode::kAlreadyExists, false},
      {301, "PermanentRedirect", ErrorCode::kInvalidArgument, false},
      {416, "InvalidRange", ErrorCode::kInvalidArgument, false},
      {501, "", ErrorCode::kInvalidArgument, false},
      {501, "NotImplemented", ErrorCode::kInvalidArgument, false},
  };
  for (const Case& c : cases) {
    const Error error = error_from_response(response(c.status, c.code), "PutObject b/k");
    EXPECT_EQ(error.code, c.expected) << c.status << " " << c.code << ": " << error.message;
    EXPECT_EQ(error.retryable, c.retryable) << c.status << " " << c.code;
  }
}

TEST(S3Error, MessageNamesOperationCodeServerMessageHintAndRequestId) {
  const Error error = error_from_response(response(403, "SignatureDoesNotMatch"), "PutObject b/k");
  EXPECT_EQ(error.message,
            "PutObject b/k: S3 answered 403 SignatureDoesNotMatch: msg for SignatureDoesNotMatch "
            "(check s3.secret_access_key and s3.region) [request id RID1]");
}

TEST(S3Error, RequestIdFallsBackToHeader) {
  http::HttpResponse head;
  head.status = 404;
  head.headers = {{"x-amz-request-id", "HDR1"}};
  EXPECT_NE(error_from_response(head, "HeadObject b/k").message.find("HDR1"), std::string::npos);
}

TEST(S3Error, HtmlFromAProxyStillClassifiesByStatus) {
  http::HttpResponse proxy;
  proxy.status = 502;
  proxy.body = "<html><body>Bad Gateway</body></html>";
  const Error error = error_from_response(proxy, "GetObject b/k");
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(error.retryable);
}

TEST(S3Error, ErrorDocumentInsideA200) {
  const auto document = parse_error_document(response(200, "InternalError").body);
  ASSERT_TRUE(document.has_value());
  const Error error = error_from_document(200, *document, "CompleteMultipartUpload b/k");
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(error.retryable);
  EXPECT_FALSE(parse_error_document("<CompleteMultipartUploadResult/>").has_value());
}

}  // namespace
}  // namespace upfleet::s3
