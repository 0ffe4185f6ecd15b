#include "common/s3/s3_client.h"

#include "common/s3/s3_call.h"

namespace upfleet::s3 {
namespace {

constexpr auto kMaxPresignExpiry = std::chrono::seconds(7 * 24 * 3600);

}  // namespace

Result<std::unique_ptr<S3Client>> S3Client::create(S3Config config, http::HttpTransport& transport,
                                                   const Clock& clock) {
  if (config.region.empty()) return fail(Error::invalid("s3.region is empty; e.g. us-east-1"));
  if (config.access_key_id.empty() || config.secret_access_key.empty()) {
    return fail(
        Error::invalid("s3.access_key_id and s3.secret_access_key must both be set (env "
                       "UPFLEET_S3_ACCESS_KEY_ID / UPFLEET_S3_SECRET_ACCESS_KEY)"));
  }
  auto endpoint = S3Endpoint::parse(config.endpoint, config.path_style);
  if (!endpoint) return fail(endpoint.error());
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(config), std::move(*endpoint), transport, clock));
}

S3Client::S3Client(S3Config config, S3Endpoint endpoint, http::HttpTransport& transport,
                   const Clock& clock)
    : config_(std::move(config)),
      endpoint_(std::move(endpoint)),
      signer_({config_.access_key_id, config_.secret_access_key, config_.session_token},
              SigV4Options::for_s3(config_.region)),
      transport_(transport),
      clock_(clock) {}

Result<std::string> S3Client::put_object(const PutObjectRequest& request) {
  if (auto ok = check_object_name(request.bucket, request.key); !ok) return fail(ok.error());
  if (auto ok = check_body(request.body); !ok) return fail(ok.error());
  auto metadata = metadata_headers(request.metadata);
  if (!metadata) return fail(metadata.error());

  Call call;
  call.operation = call_label("PutObject", request.bucket, request.key);
  call.method = "PUT";
  call.bucket = request.bucket;
  call.key = request.key;
  if (!request.content_type.empty())
    call.headers.emplace_back("content-type", request.content_type);
  call.headers.insert(call.headers.end(), metadata->begin(), metadata->end());
  call.body_range = &request.body;
  call.on_progress = request.on_progress;
  auto response = send(call);
  if (!response) return fail(response.error());
  return strip_quotes(response->header("etag"));
}

Result<ObjectInfo> S3Client::head_object(std::string_view bucket, std::string_view key) {
  if (auto ok = check_object_name(bucket, key); !ok) return fail(ok.error());
  Call call;
  call.operation = call_label("HeadObject", bucket, key);
  call.method = "HEAD";
  call.bucket = bucket;
  call.key = key;
  auto response = send(call);
  if (!response) return fail(response.error());

  ObjectInfo info;
  const auto size = parse_u64(response->header("content-length"));
  if (!size) {
    return fail(Error::permanent(ErrorCode::kProtocol,
                                 call.operation + ": answer has no valid Content-Length"));
  }
  info.size = *size;
  info.etag = strip_quotes(response->header("etag"));
  info.content_type = std::string(response->header("content-type"));
  static constexpr std::string_view kMetaPrefix = "x-amz-meta-";
  for (const auto& [name, value] : response->headers) {
    if (name.starts_with(kMetaPrefix)) info.metadata[name.substr(kMetaPrefix.size())] = value;
  }
  return info;
}

Status S3Client::get_object(const GetObjectRequest& request) {
  if (auto ok = check_object_name(request.bucket, request.key); !ok) return fail(ok.error());
  if (!request.sink) return fail(Error::invalid("GetObject needs a sink"));
  Call call;
  call.operation = call_label("GetObject", request.bucket, request.key);
  call.method = "GET";
  call.bucket = request.bucket;
  call.key = request.key;
  if (request.offset > 0 || request.length > 0) {
    std::string range = "bytes=" + std::to_string(request.offset) + "-";
    if (request.length > 0) range += std::to_string(request.offset + request.length - 1);
    call.headers.emplace_back("range", std::move(range));
  }
  call.sink = request.sink;
  auto response = send(call);
  if (!response) return fail(response.error());
  return {};
}

Status S3Client::delete_object(std::string_view bucket, std::string_view key) {
  if (auto ok = check_object_name(bucket, key); !ok) return fail(ok.error());
  Call call;
  call.operation = call_label("DeleteObject", bucket, key);
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  call.success_error_codes = {"NoSuchKey"};  // AWS answers 204 anyway; some servers 404
  auto response = send(call);
  if (!response) return fail(response.error());
  return {};
}

Status S3Client::create_bucket(std::string_view bucket) {
  if (bucket.empty()) return fail(Error::invalid("bucket name is empty"));
  Call call;
  call.operation = call_label("CreateBucket", bucket, "");
  call.method = "PUT";
  call.bucket = bucket;
  // us-east-1 is the default location and AWS rejects it spelled out.
  if (config_.region != "us-east-1") {
    call.body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        config_.region + "</LocationConstraint></CreateBucketConfiguration>";
    call.headers.emplace_back("content-type", "application/xml");
  }
  call.success_error_codes = {"BucketAlreadyOwnedByYou"};
  auto response = send(call);
  if (!response) return fail(response.error());
  return {};
}

Result<std::string> S3Client::presign_url(std::string_view method, std::string_view bucket,
                                          std::string_view key,
                                          std::chrono::seconds expires) const {
  if (auto ok = check_object_name(bucket, key); !ok) return fail(ok.error());
  if (expires < std::chrono::seconds(1) || expires > kMaxPresignExpiry) {
    return fail(Error::invalid("presigned URL expiry must be 1 s to 7 days, got " +
                               std::to_string(expires.count()) + " s"));
  }
  const S3Target target = endpoint_.target(bucket, key);
  SigningInput input{method, target.path, {}, {{"host", target.host}}, kUnsignedPayload};
  const QuerySignature signature = signer_.presign(input, clock_.now(), expires);
  return endpoint_.target(bucket, key, signature.params).url;
}

std::string S3Client::object_url(std::string_view bucket, std::string_view key) const {
  return endpoint_.target(bucket, key).url;
}

}  // namespace upfleet::s3
