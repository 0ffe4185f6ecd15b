#include "common/s3/s3_object_store.h"

#include "common/s3/body_checksums.h"

namespace upfleet::s3 {

S3ObjectStore::S3ObjectStore(S3Client& client, S3ObjectStoreOptions options)
    : client_(client), options_(options) {}

Result<ObjectInfo> S3ObjectStore::put_object(const ObjectRef& ref, ByteSource& body,
                                             const PutOptions& options) {
  PutObjectRequest request;
  request.bucket = ref.bucket;
  request.key = ref.key;
  request.body = BodyRange{&body, 0, body.size(), "", options.sha256_hex};
  request.content_type = options.content_type;
  request.metadata = options.metadata;
  if (options_.verify_body) {
    auto checksums = checksum_range(body, 0, body.size());
    if (!checksums) return fail(checksums.error().with_context("PutObject " + ref.key));
    if (!options.sha256_hex.empty() && options.sha256_hex != checksums->sha256_hex) {
      return fail(Error::permanent(ErrorCode::kIntegrity,
                                   "PutObject " + ref.key + ": source SHA-256 " +
                                       checksums->sha256_hex + " differs from the expected " +
                                       options.sha256_hex));
    }
    request.body.content_md5 = std::move(checksums->md5_base64);
    request.body.sha256_hex = std::move(checksums->sha256_hex);
  }
  auto etag = client_.put_object(request);
  if (!etag) return fail(etag.error());
  ObjectInfo info;
  info.size = body.size();
  info.etag = std::move(*etag);
  info.content_type = options.content_type;
  for (const auto& [name, value] : options.metadata) info.metadata[to_lower_ascii(name)] = value;
  return info;
}

Result<ObjectInfo> S3ObjectStore::head_object(const ObjectRef& ref) {
  return client_.head_object(ref.bucket, ref.key);
}

Status S3ObjectStore::get_object(const ObjectRef& ref, uint64_t offset, uint64_t length,
                                 const std::function<bool(std::string_view)>& sink) {
  return client_.get_object({ref.bucket, ref.key, offset, length, sink});
}

Status S3ObjectStore::delete_object(const ObjectRef& ref) {
  return client_.delete_object(ref.bucket, ref.key);
}

std::string S3ObjectStore::object_url(const ObjectRef& ref) const {
  return client_.object_url(ref.bucket, ref.key);
}

}  // namespace upfleet::s3
