#include "common/s3/s3_object_store.h"

#include "common/s3/sigv4_canonical.h"

namespace upfleet::s3 {

S3ObjectStore::S3ObjectStore(S3Client& client, upload::Uploader& uploader)
    : client_(client), uploader_(uploader) {}

Result<ObjectInfo> S3ObjectStore::put_object(const ObjectRef& ref, ByteSource& body,
                                             const PutOptions& options) {
  upload::UploadRequest request;
  request.bucket = ref.bucket;
  request.key = ref.key;
  request.content_type = options.content_type;
  request.metadata = options.metadata;
  request.sha256_hex = options.sha256_hex;
  request.source = &body;
  request.resume = options.resume;
  request.on_checkpoint = options.on_checkpoint;
  request.cancelled = options.cancelled;
  request.log_id = options.log_id;
  auto uploaded = uploader_.upload(request);
  if (!uploaded) return fail(uploaded.error());
  if (options.stats != nullptr) {
    *options.stats = {uploaded->multipart,    uploaded->parts_total, uploaded->parts_sent,
                      uploaded->parts_reused, uploaded->bytes_sent,  uploaded->retries};
  }
  ObjectInfo info;
  info.size = body.size();
  info.etag = std::move(uploaded->etag);
  info.content_verified = uploaded->etag_is_content_md5;
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
