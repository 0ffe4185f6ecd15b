#include "common/upload/uploader.h"

#include "common/crypto/hex.h"
#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "common/memory_byte_source.h"
#include "common/upload/part_io.h"
#include "common/upload/retry.h"

namespace upfleet::upload {

Uploader::Uploader(s3::S3Client& client, ByteBudget& budget, UploaderOptions options)
    : client_(client), budget_(budget), options_(std::move(options)) {}

Result<UploadResult> Uploader::upload(const UploadRequest& request) {
  if (request.source == nullptr) return fail(Error::invalid("upload without a source"));
  const uint64_t size = request.source->size();
  auto plan = plan_parts(size, options_.plan);
  if (!plan) return fail(plan.error());
  auto result = plan->multipart ? multipart(request, *plan) : single_put(request, size);
  // A cancellation that interrupts retries leaves the last transient error behind; report
  // it as what it is, so callers do not count it as an S3 failure.
  if (!result && result.error().retryable && request.cancelled && request.cancelled()) {
    return fail(Error::permanent(ErrorCode::kCancelled,
                                 "upload cancelled (last error: " + result.error().message + ")"));
  }
  return result;
}

Result<UploadResult> Uploader::single_put(const UploadRequest& request, uint64_t size) {
  // Small objects are read once into a leased buffer: hashing and sending then need no
  // second read of the source.
  auto lease = budget_.acquire(size, request.cancelled);
  if (!lease) return fail(Error::permanent(ErrorCode::kCancelled, "upload cancelled"));
  const std::span<std::byte> bytes = lease->buffer();
  Backoff backoff(options_.part_retry);
  RetryBudget retries(options_.retry_budget);
  UploadResult result;
  auto count_retry = [&result](const Error&) { ++result.retries; };
  auto read = with_retries(backoff, retries, request.cancelled, count_retry,
                           [&] { return read_exactly(*request.source, 0, bytes); });
  if (!read) return fail(read.error().with_context("reading source"));
  if (!request.sha256_hex.empty() && crypto::to_hex(crypto::sha256(bytes)) != request.sha256_hex) {
    return fail(
        Error::permanent(ErrorCode::kIntegrity, "source bytes do not match the job's sha256"));
  }
  MemoryByteSource memory(bytes);
  s3::PutObjectRequest put;
  put.bucket = request.bucket;
  put.key = request.key;
  put.content_type = request.content_type;
  put.metadata = request.metadata;
  crypto::Md5 md5_hasher;
  md5_hasher.update(std::span<const std::byte>(bytes));
  const crypto::Md5Digest md5 = md5_hasher.finish();
  // Like the parts of a multipart upload: the signed Content-MD5 makes S3 reject a body
  // changed on the way (BadDigest), and the body goes as UNSIGNED-PAYLOAD. Signing its
  // SHA-256 as well would only make the server hash every body a second time.
  put.body = {&memory, 0, size, crypto::to_base64(md5), {}};
  auto etag = with_retries(backoff, retries, request.cancelled, count_retry,
                           [&] { return client_.put_object(put); });
  if (!etag) return fail(etag.error());
  result.etag = *etag;
  result.etag_is_content_md5 = *etag == crypto::to_hex(md5);
  result.parts_total = 1;
  result.parts_sent = 1;
  result.bytes_sent = size;
  return result;
}

}  // namespace upfleet::upload
