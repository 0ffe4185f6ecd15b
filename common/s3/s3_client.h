// Low-level S3 operations: one signed HTTP request each, no retries. Errors say whether a
// retry may help (Error::retryable), so retry and backoff policy lives in the callers (the
// upload engine), which know the budget and the deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/byte_source.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/http/http_transport.h"
#include "common/object_store.h"
#include "common/s3/s3_config.h"
#include "common/s3/s3_endpoint.h"
#include "common/s3/sigv4_signer.h"

namespace upfleet::s3 {

using ProgressCallback = std::function<void(uint64_t sent, uint64_t total)>;
using BodySink = std::function<bool(std::string_view chunk)>;  // false stops the download

// A byte range of a ByteSource as a request body, streamed, never read whole.
struct BodyRange {
  ByteSource* source = nullptr;  // not owned; must outlive the call
  uint64_t offset = 0;
  uint64_t length = 0;  // may be 0 (empty object)
  // Checksums of exactly these bytes. content_md5 (base64) makes S3 reject corrupted bodies
  // (BadDigest); sha256_hex is signed instead of UNSIGNED-PAYLOAD. Both optional; uploads
  // send Content-MD5 and UNSIGNED-PAYLOAD.
  std::string content_md5;
  std::string sha256_hex;
};

struct PutObjectRequest {
  std::string bucket;
  std::string key;
  BodyRange body;
  std::string content_type;
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-<name>
  ProgressCallback on_progress;
};

struct GetObjectRequest {
  std::string bucket;
  std::string key;
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: to the end
  BodySink sink;        // receives the bytes in order
};

struct CreateMultipartUploadRequest {
  std::string bucket;
  std::string key;
  std::string content_type;
  std::map<std::string, std::string> metadata;
};

struct UploadPartRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  int part_number = 0;  // 1..10000
  BodyRange body;
  ProgressCallback on_progress;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // without quotes
};

struct PartInfo {
  int part_number = 0;
  std::string etag;  // without quotes
  uint64_t size = 0;
};

struct MultipartUploadInfo {
  std::string key;
  std::string upload_id;
  std::string initiated;  // ISO 8601, as S3 wrote it
};

// Thread-safe: all methods may be called concurrently (the transport is thread-safe and the
// client holds no mutable state). Bucket and key are plain (unencoded) names; the client
// encodes them. Every error carries the operation, bucket and key in its message.
class S3Client {
 public:
  // kInvalidArgument when the config cannot work (bad endpoint URL, missing credentials or
  // region). `transport` and `clock` must outlive the client.
  static Result<std::unique_ptr<S3Client>> create(S3Config config, http::HttpTransport& transport,
                                                  const Clock& clock);

  // Stores the body range as the object. Returns its ETag (without quotes).
  Result<std::string> put_object(const PutObjectRequest& request);

  // Size, ETag, content type and x-amz-meta-* metadata. kNotFound if missing.
  Result<ObjectInfo> head_object(std::string_view bucket, std::string_view key);

  // Streams the bytes to request.sink. kNotFound if missing; kCancelled if the sink said stop;
  // kInvalidArgument for a range starting past the end.
  Status get_object(const GetObjectRequest& request);

  // Deletes the object; deleting a missing object succeeds (S3 semantics).
  Status delete_object(std::string_view bucket, std::string_view key);

  // Creates the bucket in the configured region; succeeds if we already own it.
  Status create_bucket(std::string_view bucket);

  // Starts a multipart upload; returns its UploadId.
  Result<std::string> create_multipart_upload(const CreateMultipartUploadRequest& request);

  // Uploads one part; returns its ETag (without quotes). kNotFound if the upload is gone.
  Result<std::string> upload_part(const UploadPartRequest& request);

  // Assembles the parts (ascending part numbers, each 5 MiB or more but the last) and returns
  // the object's ETag. Checks the error S3 may send inside a 200 answer. Waits patiently: S3
  // may take minutes. If an attempt fails in transit it may still have completed, and a retry
  // then gets kNotFound (NoSuchUpload): check with head_object before giving up.
  Result<std::string> complete_multipart_upload(std::string_view bucket, std::string_view key,
                                                std::string_view upload_id,
                                                std::span<const CompletedPart> parts);

  // Discards the upload and its parts. kNotFound if it no longer exists (already completed
  // or aborted); callers cleaning up may treat that as success.
  Status abort_multipart_upload(std::string_view bucket, std::string_view key,
                                std::string_view upload_id);

  // Every part uploaded so far (all pages), in part-number order. kNotFound if the upload is
  // gone. This is how an interrupted upload resumes.
  Result<std::vector<PartInfo>> list_parts(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id);

  // Unfinished multipart uploads in the bucket whose key starts with `prefix` (all pages).
  Result<std::vector<MultipartUploadInfo>> list_multipart_uploads(std::string_view bucket,
                                                                  std::string_view prefix = {});

  // A presigned URL for `method` ("GET" or "PUT") on the object, valid for `expires` (1 s to
  // 7 days, else kInvalidArgument). Whoever uses it sends no other signed headers.
  Result<std::string> presign_url(std::string_view method, std::string_view bucket,
                                  std::string_view key, std::chrono::seconds expires) const;

  // The unsigned URL of the object, for people and status events.
  std::string object_url(std::string_view bucket, std::string_view key) const;

  const S3Config& config() const { return config_; }

 private:
  struct Call;  // one S3 request before signing; defined in s3_call.h

  S3Client(S3Config config, S3Endpoint endpoint, http::HttpTransport& transport,
           const Clock& clock);

  // Signs and sends `call`; returns the 2xx response or the classified error.
  Result<http::HttpResponse> send(const Call& call);

  S3Config config_;
  S3Endpoint endpoint_;
  SigV4Signer signer_;
  http::HttpTransport& transport_;
  const Clock& clock_;
};

}  // namespace upfleet::s3
