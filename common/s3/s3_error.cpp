#include "common/s3/s3_error.h"

#include <array>
#include <utility>

#include "common/s3/s3_xml.h"

namespace upfleet::s3 {
namespace {

// BadDigest and XAmzContentSHA256Mismatch: the bytes were corrupted on the way; sending the same
// buffer again can succeed.
constexpr std::array<std::string_view, 12> kRetryableCodes = {
    "SlowDown",         "BadDigest",       "XAmzContentSHA256Mismatch",
    "RequestTimeout",   "InternalError",   "ServiceUnavailable",
    "OperationAborted", "Throttling",      "ThrottlingException",
    "RequestThrottled", "TooManyRequests", "RequestTimeoutException"};

bool is_retryable_code(std::string_view code) {
  for (std::string_view retryable : kRetryableCodes) {
    if (code == retryable) return true;
  }
  return false;
}

bool is_retryable(long status, std::string_view code) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504 || is_retryable_code(code);
}

struct Classification {
  ErrorCode code;
  std::string_view hint;  // appended to the message: what to check
};

Classification classify(long status, std::string_view code) {
  if (code == "NoSuchKey" || code == "NoSuchUpload") return {ErrorCode::kNotFound, ""};
  if (code == "NoSuchBucket") {
    return {ErrorCode::kNotFound, "create the bucket or fix s3.bucket"};
  }
  if (code == "SignatureDoesNotMatch") {
    return {ErrorCode::kUnauthenticated, "check s3.secret_access_key and s3.region"};
  }
  if (code == "InvalidAccessKeyId") {
    return {ErrorCode::kUnauthenticated, "check s3.access_key_id"};
  }
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
    return {ErrorCode::kUnauthenticated, "refresh the session token"};
  }
  if (code == "RequestTimeTooSkewed") {
    return {ErrorCode::kUnauthenticated, "this host's clock is off; check NTP"};
  }
  if (code == "AuthorizationHeaderMalformed") {
    return {ErrorCode::kUnauthenticated, "check s3.region matches the bucket's region"};
  }
  if (code == "AccessDenied") {
    return {ErrorCode::kPermissionDenied, "check the credentials' permissions on the bucket"};
  }
  if (code == "BadDigest" || code == "XAmzContentSHA256Mismatch") {
    return {ErrorCode::kIntegrity, "the bytes sent do not match their checksum"};
  }
  if (code == "InvalidDigest") {
    return {ErrorCode::kIntegrity, "the checksum header itself is malformed"};
  }
  if (code == "EntityTooLarge") return {ErrorCode::kTooLarge, ""};
  if (code == "RequestTimeout") return {ErrorCode::kTimeout, ""};
  if (is_retryable_code(code)) return {ErrorCode::kUnavailable, ""};
  if (code == "PermanentRedirect" || code == "TemporaryRedirect" || status == 301 ||
      status == 307) {
    return {ErrorCode::kInvalidArgument,
            "the bucket lives in another region or endpoint; fix s3.region / s3.endpoint"};
  }
  if (code == "NotImplemented" || status == 501) {
    return {ErrorCode::kInvalidArgument,
            "the server does not implement something this request uses (e.g. session tokens)"};
  }
  if (status == 404) return {ErrorCode::kNotFound, ""};
  if (status == 401) return {ErrorCode::kUnauthenticated, "check the S3 credentials"};
  if (status == 403) {
    return {ErrorCode::kPermissionDenied, "check the S3 credentials and their permissions"};
  }
  if (status == 409 || status == 412) return {ErrorCode::kAlreadyExists, ""};
  if (status == 408) return {ErrorCode::kTimeout, ""};
  if (status == 413) return {ErrorCode::kTooLarge, ""};
  if (status == 429 || status >= 500) return {ErrorCode::kUnavailable, ""};
  if (status >= 400) return {ErrorCode::kInvalidArgument, ""};
  return {ErrorCode::kProtocol, "unexpected HTTP status from the S3 endpoint"};
}

}  // namespace

std::optional<S3ErrorDocument> parse_error_document(std::string_view body) {
  const auto elements = xml::elements(body, "Error");
  if (elements.empty()) return std::nullopt;
  const std::string_view error = elements.front();
  S3ErrorDocument document;
  document.code = xml::child_text(error, "Code").value_or("");
  document.message = xml::child_text(error, "Message").value_or("");
  document.request_id = xml::child_text(error, "RequestId").value_or("");
  return document;
}

Error error_from_document(long status, const S3ErrorDocument& document,
                          std::string_view operation) {
  const Classification classification = classify(status, document.code);
  std::string message = std::string(operation) + ": S3 answered " + std::to_string(status);
  if (!document.code.empty()) message += " " + document.code;
  if (!document.message.empty()) message += ": " + document.message;
  if (!classification.hint.empty()) message += " (" + std::string(classification.hint) + ")";
  if (!document.request_id.empty()) message += " [request id " + document.request_id + "]";
  return Error{classification.code, std::move(message), is_retryable(status, document.code)};
}

Error error_from_response(const http::HttpResponse& response, std::string_view operation) {
  S3ErrorDocument document = parse_error_document(response.body).value_or(S3ErrorDocument{});
  if (document.request_id.empty()) document.request_id = response.header("x-amz-request-id");
  return error_from_document(response.status, document, operation);
}

}  // namespace upfleet::s3
