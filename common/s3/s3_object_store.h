// ObjectStore on S3 (and S3-compatible servers): uploads go through the upload engine (single
// PUT or parallel multipart, resumable), the rest maps to one S3 call each.
#pragma once

#include "common/object_store.h"
#include "common/s3/s3_client.h"
#include "common/upload/uploader.h"

namespace upfleet::s3 {

// Thread-safe like the S3Client it wraps; `client` and `uploader` must outlive the store.
class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(S3Client& client, upload::Uploader& uploader);

  Result<ObjectInfo> put_object(const ObjectRef& ref, ByteSource& body,
                                const PutOptions& options) override;
  Result<ObjectInfo> head_object(const ObjectRef& ref) override;
  Status get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                    const std::function<bool(std::string_view)>& sink) override;
  Status delete_object(const ObjectRef& ref) override;
  std::string object_url(const ObjectRef& ref) const override;

 private:
  S3Client& client_;
  upload::Uploader& uploader_;
};

}  // namespace upfleet::s3
