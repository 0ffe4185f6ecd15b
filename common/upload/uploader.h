// The upload engine: streams a ByteSource to S3 as one PUT (small objects) or as a multipart
// upload with parts read and sent in parallel, each part leased from the worker-wide byte
// budget (so memory does not grow with file size), checked with Content-MD5, retried with
// backoff and jitter, and resumable from a checkpoint (UploadId) after a crash.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/backoff.h"
#include "common/byte_source.h"
#include "common/object_store.h"
#include "common/s3/s3_client.h"
#include "common/upload/byte_budget.h"
#include "common/upload/part_plan.h"

namespace upfleet::upload {

struct UploaderOptions {
  PartPlanOptions plan;
  int concurrency = 8;  // parts in flight per upload
  BackoffPolicy part_retry{std::chrono::milliseconds(200), std::chrono::seconds(10), 8};
  int retry_budget = 100;  // retries per upload, all parts together
  // Minimum time between checkpoint callbacks while parts finish.
  std::chrono::milliseconds checkpoint_interval{500};
};

struct UploadRequest {
  std::string bucket;
  std::string key;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  std::string sha256_hex;        // of the whole object, if known (signed on single PUTs)
  ByteSource* source = nullptr;  // not owned
  std::optional<UploadCheckpoint> resume;
  // Called after the multipart upload is created and as parts finish (serialised, from the
  // uploading threads). Publishing it lets another worker resume.
  std::function<void(const UploadCheckpoint&)> on_checkpoint;
  std::function<bool()> cancelled;  // true: stop soon, keep the multipart upload for resume
  std::string log_id;               // upload_id for log lines
};

struct UploadResult {
  std::string etag;
  // The server's ETag is the MD5 of the bytes sent (single PUT without SSE-KMS): what it
  // stored is exactly what we read and hashed.
  bool etag_is_content_md5 = false;
  bool multipart = false;
  std::string multipart_upload_id;
  uint32_t parts_total = 0;
  uint32_t parts_sent = 0;    // uploaded by this call
  uint32_t parts_reused = 0;  // already in S3 from an earlier attempt
  uint64_t bytes_sent = 0;
  int retries = 0;
};

class Uploader {
 public:
  // `client` and `budget` must outlive the uploader. Thread-safe: uploads may run concurrently.
  Uploader(s3::S3Client& client, ByteBudget& budget, UploaderOptions options);

  // Errors: the last S3 or source error (retryable if another attempt may help); kCancelled
  // when `cancelled` stopped it. A permanent failure aborts the multipart upload; a transient
  // one or a cancellation leaves it for resume (upfleetctl gc-multipart removes stale ones).
  Result<UploadResult> upload(const UploadRequest& request);

  const UploaderOptions& options() const { return options_; }

 private:
  Result<UploadResult> single_put(const UploadRequest& request, uint64_t size);
  Result<UploadResult> multipart(const UploadRequest& request, const PartPlan& plan);

  s3::S3Client& client_;
  ByteBudget& budget_;
  UploaderOptions options_;
};

}  // namespace upfleet::upload
