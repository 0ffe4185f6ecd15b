// S3 error responses -> Error. The one place that decides which S3 failures are retryable,
// so the upload engine's retry policy never has to look at status codes or error codes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http/http_transport.h"

namespace upfleet::s3 {

// The <Error> document S3 sends with 4xx/5xx answers (and, for CompleteMultipartUpload,
// sometimes with 200).
struct S3ErrorDocument {
  std::string code;     // "NoSuchKey", "SlowDown", ...
  std::string message;  // human-readable, from the server
  std::string request_id;
};

// nullopt unless `body` holds an <Error> element.
std::optional<S3ErrorDocument> parse_error_document(std::string_view body);

// Classifies a failed response. Retryable: 500/502/503/504, 408, 429, and the codes SlowDown,
// RequestTimeout, InternalError, ServiceUnavailable, OperationAborted and throttling codes.
// kNotFound for 404/NoSuchKey/NoSuchUpload/NoSuchBucket; kUnauthenticated for signature and
// key problems; kPermissionDenied for AccessDenied; kIntegrity for digest mismatches;
// kAlreadyExists for 409/412; other 4xx permanent kInvalidArgument. `operation` names the
// call for the message ("PutObject bucket/key"); the message names the likely fix.
Error error_from_response(const http::HttpResponse& response, std::string_view operation);

// Same, for an error document that arrived with a 200 (CompleteMultipartUpload, CopyObject).
Error error_from_document(long status, const S3ErrorDocument& document, std::string_view operation);

}  // namespace upfleet::s3
