// ObjectStore on S3 (and S3-compatible servers). Single PUT for now; large files go through
// the multipart engine, which uses S3Client directly.
#pragma once

#include "common/object_store.h"
#include "common/s3/s3_client.h"

namespace upfleet::s3 {

struct S3ObjectStoreOptions {
  // Hash each body before sending it (one extra read of the source) so S3 verifies the bytes
  // it stores: Content-MD5 plus a signed SHA-256. A caller-supplied sha256_hex that does not
  // match the source fails with kIntegrity before anything is sent.
  bool verify_body = true;
};

// Thread-safe like the S3Client it wraps; `client` must outlive the store.
class S3ObjectStore final : public ObjectStore {
 public:
  explicit S3ObjectStore(S3Client& client, S3ObjectStoreOptions options = {});

  // Single PUT: S3 accepts up to 5 GiB this way.
  Result<ObjectInfo> put_object(const ObjectRef& ref, ByteSource& body,
                                const PutOptions& options) override;
  Result<ObjectInfo> head_object(const ObjectRef& ref) override;
  Status get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                    const std::function<bool(std::string_view)>& sink) override;
  Status delete_object(const ObjectRef& ref) override;
  std::string object_url(const ObjectRef& ref) const override;

 private:
  S3Client& client_;
  const S3ObjectStoreOptions options_;
};

}  // namespace upfleet::s3
