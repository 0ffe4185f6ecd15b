// The object storage seam. S3ObjectStore implements it for S3 and compatible servers; tests
// use an in-memory fake.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/byte_source.h"
#include "common/error.h"

namespace upfleet {

struct ObjectRef {
  std::string bucket;
  std::string key;
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;  // without quotes
  std::string content_type;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* without prefix, lower-case names
  // Set by put_object when the store proved the stored bytes are the ones sent (a single PUT
  // whose ETag is their MD5): no HEAD is needed to verify them.
  bool content_verified = false;
};

// Enough to resume an interrupted multipart upload elsewhere; published in `uploading`
// status events.
struct UploadCheckpoint {
  std::string multipart_upload_id;
  uint64_t part_size = 0;
  uint32_t parts_total = 0;
  uint32_t parts_done = 0;
};

// What one put_object call did, for metrics and tests.
struct PutStats {
  bool multipart = false;
  uint32_t parts_total = 0;
  uint32_t parts_sent = 0;    // sent by this call
  uint32_t parts_reused = 0;  // found in storage from an earlier, interrupted attempt
  uint64_t bytes_sent = 0;
  int retries = 0;
};

struct PutOptions {
  std::string content_type;
  std::map<std::string, std::string> metadata;  // stored as x-amz-meta-<name>
  std::string sha256_hex;  // whole-body SHA-256 if known: a mismatch fails with kIntegrity

  // Resumable uploads: continue the multipart upload named here (if it still fits), report
  // progress as it is made, stop early (keeping the upload) when `cancelled` turns true.
  std::optional<UploadCheckpoint> resume;
  std::function<void(const UploadCheckpoint&)> on_checkpoint;
  std::function<bool()> cancelled;
  PutStats* stats = nullptr;  // filled when given
  std::string log_id;         // names the upload in log lines (the upload_id)
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores body (all of it) as the object; replaces an existing object. Streams the body, never
  // holding it whole. Errors carry `retryable` (5xx, throttling, resets) or not (4xx);
  // kCancelled when options.cancelled stopped it. Thread-safe.
  virtual Result<ObjectInfo> put_object(const ObjectRef& ref, ByteSource& body,
                                        const PutOptions& options) = 0;

  // Size, etag and metadata of an object. kNotFound if it does not exist.
  virtual Result<ObjectInfo> head_object(const ObjectRef& ref) = 0;

  // Streams the object's bytes [offset, offset+length) to `sink` (length 0 = to the end).
  // kNotFound if it does not exist.
  virtual Status get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                            const std::function<bool(std::string_view)>& sink) = 0;

  // Deletes the object; deleting a missing object succeeds.
  virtual Status delete_object(const ObjectRef& ref) = 0;

  // The HTTP(S) URL of the object on the configured endpoint, for status events and people.
  virtual std::string object_url(const ObjectRef& ref) const = 0;
};

}  // namespace upfleet
