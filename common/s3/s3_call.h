// One S3 request before addressing and signing, plus the small helpers the operation files
// share. Internal to S3Client.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/s3/s3_client.h"

namespace upfleet::s3 {

struct S3Client::Call {
  std::string operation;  // "PutObject bucket/key", for error messages
  std::string method;
  std::string bucket;
  std::string key;  // empty for bucket-level calls
  QueryParams query;
  http::Headers headers;  // besides host and the signing headers
  std::string body;       // in-memory body (XML documents); ignored when body_range is set
  const BodyRange* body_range = nullptr;
  ProgressCallback on_progress;
  BodySink sink;  // receives a 2xx body instead of the response
  // S3 error codes that mean the caller's goal is already met (NoSuchKey for a delete).
  std::vector<std::string_view> success_error_codes;
  // The server may work for minutes before answering, trickling whitespace to keep the
  // connection open (CompleteMultipartUpload); the stall limit must not cut it off.
  bool slow_answer = false;
};

// Stall limit for slow_answer calls: AWS documents Complete taking "several minutes".
inline constexpr std::chrono::seconds kSlowAnswerWindow{15 * 60};

// The largest XML answer we buffer: ListParts with 1000 parts is about 250 KB.
inline constexpr size_t kMaxXmlResponseBytes = 8 * 1024 * 1024;

// "PutObject bucket/key" (or "CreateBucket bucket").
std::string call_label(std::string_view operation, std::string_view bucket, std::string_view key);

// kInvalidArgument unless bucket is set and key is 1..1024 bytes.
Status check_object_name(std::string_view bucket, std::string_view key);

// kInvalidArgument unless the range lies inside its source.
Status check_body(const BodyRange& body);

// x-amz-meta-<name> headers; kInvalidArgument for names that are not HTTP tokens or values
// with control characters (they would corrupt the request).
Result<http::Headers> metadata_headers(const std::map<std::string, std::string>& metadata);

// ETags come quoted ("\"abc\""); we keep them bare everywhere.
std::string strip_quotes(std::string_view etag);

// Parses a decimal field of an S3 answer; nullopt if it is not a number.
std::optional<uint64_t> parse_u64(std::string_view text);

}  // namespace upfleet::s3
