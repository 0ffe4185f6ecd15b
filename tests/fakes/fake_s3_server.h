// An in-memory S3 behind FakeHttpTransport: buckets, objects with metadata, multipart uploads
// with parts, ListParts / ListMultipartUploads (paginated), Abort, and a Complete that checks
// part numbers, ETags and the 5 MiB minimum as S3 does. Content-MD5 and a signed
// x-amz-content-sha256 are verified (400 BadDigest / XAmzContentSHA256Mismatch), errors come
// as S3 <Error> documents. Faults are injected per operation (and per part number): the Nth
// matching request fails with a status and code, or with a transport error, optionally after
// the operation took effect (a lost answer). Requests are counted per operation and per part.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/http/http_transport.h"
#include "tests/fakes/fake_http_transport.h"

namespace upfleet::testing {

enum class S3Operation {
  kCreateBucket,
  kPutObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kCreateMultipartUpload,
  kUploadPart,
  kListParts,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListMultipartUploads,
  kUnknown,
};

struct FakeS3Object {
  std::string data;
  std::string etag;  // bare: md5 hex, or md5-of-md5s "-N" for multipart objects
  std::string content_type;
  std::map<std::string, std::string> metadata;  // x-amz-meta-<name>, names lower-case
};

struct FakeS3Part {
  std::string data;
  std::string etag;  // bare md5 hex
};

struct FakeS3Upload {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::string content_type;
  std::map<std::string, std::string> metadata;
  std::map<int, FakeS3Part> parts;
};

struct S3Fault {
  S3Operation operation = S3Operation::kUploadPart;
  int part_number = 0;  // kUploadPart only: 0 matches every part
  int nth = 1;          // first matching request that fails (1-based, counting all matches)
  int times = 1;        // matching requests failing from the nth on; 0 = all of them
  long status = 503;
  std::string code = "SlowDown";
  std::optional<Error> transport_error = std::nullopt;  // set: perform() fails with this
  bool after_effect = false;  // apply the operation first, then lose the answer
};

// Thread-safe. Inspection methods return copies.
class FakeS3Server {
 public:
  static constexpr uint64_t kDefaultMinPartSize = 5ull << 20;

  // Installs itself as `transport`'s handler; `transport` must outlive the server's use.
  explicit FakeS3Server(FakeHttpTransport& transport);

  void create_bucket(const std::string& bucket) {
    std::lock_guard lock(mutex_);
    buckets_.insert(bucket);
  }
  void set_min_part_size(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    min_part_size_ = bytes;
  }
  // Caps ListParts pages below what the client asks for (ListMultipartUploads: one page).
  void set_max_page_size(int entries) {
    std::lock_guard lock(mutex_);
    max_page_size_ = entries < 1 ? 1 : entries;
  }

  void inject(S3Fault fault) {
    std::lock_guard lock(mutex_);
    faults_.push_back({std::move(fault), 0});
  }
  // Runs at the start of every request, outside the server's lock (it may call the server).
  void set_on_request(std::function<void(S3Operation, int part_number)> hook) {
    std::lock_guard lock(mutex_);
    on_request_ = std::move(hook);
  }

  // Requests seen (faulted ones included), by operation and by UploadPart part number.
  int requests(S3Operation operation) const {
    std::lock_guard lock(mutex_);
    return operation_counts_.contains(operation) ? operation_counts_.at(operation) : 0;
  }
  int part_requests(int part_number) const {
    std::lock_guard lock(mutex_);
    return part_counts_.contains(part_number) ? part_counts_.at(part_number) : 0;
  }

  // Direct state access, to seed and to inspect.
  void put_object(const std::string& bucket, const std::string& key, std::string data);
  std::optional<FakeS3Object> object(const std::string& bucket, const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = objects_.find({bucket, key});
    return it == objects_.end() ? std::nullopt : std::optional(it->second);
  }
  std::string create_upload(const std::string& bucket, const std::string& key);
  void put_part(const std::string& upload_id, int part_number, std::string data);
  bool remove_upload(const std::string& upload_id) {
    std::lock_guard lock(mutex_);
    return uploads_.erase(upload_id) > 0;
  }
  std::optional<FakeS3Upload> upload(const std::string& upload_id) const {
    std::lock_guard lock(mutex_);
    auto it = uploads_.find(upload_id);
    return it == uploads_.end() ? std::nullopt : std::optional(it->second);
  }
  std::vector<FakeS3Upload> uploads() const {
    std::lock_guard lock(mutex_);
    std::vector<FakeS3Upload> out;
    for (const auto& entry : uploads_) out.push_back(entry.second);
    return out;
  }

 private:
  struct Request;
  Result<http::HttpResponse> handle(const RecordedRequest& recorded);
  // The injected fault for this request, if one matches; counts the request.
  std::optional<S3Fault> count_and_match(S3Operation operation, int part_number);
  http::HttpResponse dispatch(const Request& request);  // called with mutex_ held

  http::HttpResponse create_bucket_op(const Request& request);
  http::HttpResponse put_object_op(const Request& request);
  http::HttpResponse get_object_op(const Request& request, bool head);
  http::HttpResponse delete_object_op(const Request& request);
  http::HttpResponse create_upload_op(const Request& request);
  http::HttpResponse upload_part_op(const Request& request);
  http::HttpResponse list_parts_op(const Request& request);
  http::HttpResponse complete_op(const Request& request);
  http::HttpResponse abort_op(const Request& request);
  http::HttpResponse list_uploads_op(const Request& request);

  std::string new_upload_id();  // called with mutex_ held
  // The upload the request's uploadId names, if it belongs to the request's bucket and key.
  std::map<std::string, FakeS3Upload>::iterator find_upload(const Request& request);

  mutable std::mutex mutex_;
  std::set<std::string> buckets_;                                        // guarded by mutex_
  std::map<std::pair<std::string, std::string>, FakeS3Object> objects_;  // guarded by mutex_
  std::map<std::string, FakeS3Upload> uploads_;                          // guarded by mutex_
  int next_upload_ = 1;                                                  // guarded by mutex_
  uint64_t min_part_size_ = kDefaultMinPartSize;                         // guarded by mutex_
  int max_page_size_ = 1000;                                             // guarded by mutex_
  struct ArmedFault {
    S3Fault fault;
    int seen = 0;  // matching requests so far
  };
  std::vector<ArmedFault> faults_;                    // guarded by mutex_
  std::map<S3Operation, int> operation_counts_;       // guarded by mutex_
  std::map<int, int> part_counts_;                    // guarded by mutex_
  std::function<void(S3Operation, int)> on_request_;  // guarded by mutex_
};

}  // namespace upfleet::testing
