// The multipart half of Uploader: create (or resume) the upload, send the missing parts from
// several threads under the byte budget, complete it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"
#include "common/log.h"
#include "common/memory_byte_source.h"
#include "common/upload/part_io.h"
#include "common/upload/retry.h"
#include "common/upload/uploader.h"

namespace upfleet::upload {
namespace {

class MultipartSession {
 public:
  MultipartSession(s3::S3Client& client, ByteBudget& budget, const UploaderOptions& options,
                   const UploadRequest& request, const PartPlan& plan)
      : client_(client),
        budget_(budget),
        options_(options),
        request_(request),
        plan_(plan),
        retries_(options.retry_budget),
        etags_(plan.parts.size()) {}

  Result<UploadResult> run();

 private:
  // Reuses the checkpoint's upload when it matches this plan; returns whether it did. Fails
  // (keeping the upload) only when ListParts keeps failing transiently.
  Result<bool> resume();
  Status create();
  void send_parts();
  Status send_part(const PlannedPart& part, ByteBudget::Lease lease, Backoff& backoff);
  void part_done(const PlannedPart& part, std::string etag);
  void checkpoint(bool force);
  bool cancelled() const { return failed_.load() || (request_.cancelled && request_.cancelled()); }
  void fail_with(Error error);
  Status complete();
  // Forgets the resumed upload (gone from S3) so the next round creates a new one.
  void start_over();
  // Feeds part `number`'s bytes to the whole-object SHA-256, in part order (waits for the
  // parts before it). False if the upload was cancelled meanwhile.
  bool hash_in_order(int number, std::span<const std::byte> bytes);
  Status verify_whole_sha256();

  s3::S3Client& client_;
  ByteBudget& budget_;
  const UploaderOptions& options_;
  const UploadRequest& request_;
  const PartPlan& plan_;
  RetryBudget retries_;
  std::atomic<int> retry_count_{0};

  std::string upload_id_;
  std::mutex mutex_;
  std::vector<std::string> etags_;  // by part index; empty = missing. guarded by mutex_
  uint32_t done_ = 0;               // guarded by mutex_
  uint32_t sent_ = 0;               // guarded by mutex_
  uint32_t reused_ = 0;
  uint64_t bytes_sent_ = 0;                                  // guarded by mutex_
  std::chrono::steady_clock::time_point last_checkpoint_{};  // guarded by mutex_
  std::mutex checkpoint_mutex_;  // held while on_checkpoint runs: reports are serialised
  std::mutex dispatch_mutex_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::optional<Error> error_;  // guarded by mutex_

  // Whole-object SHA-256, checked against the job's before completing. Only possible when
  // every part passes through this session (not after a resume).
  std::mutex hash_mutex_;
  std::condition_variable hash_turn_;
  int next_to_hash_ = 1;  // guarded by hash_mutex_
  crypto::Sha256 whole_;  // guarded by hash_mutex_
};

bool MultipartSession::hash_in_order(int number, std::span<const std::byte> bytes) {
  std::unique_lock lock(hash_mutex_);
  while (next_to_hash_ != number) {
    if (cancelled()) return false;
    hash_turn_.wait_for(lock, std::chrono::milliseconds(100));
  }
  whole_.update(bytes);
  ++next_to_hash_;
  hash_turn_.notify_all();
  return true;
}

Status MultipartSession::verify_whole_sha256() {
  if (request_.sha256_hex.empty() || reused_ > 0) return {};
  std::lock_guard lock(hash_mutex_);
  const std::string actual = whole_.finish_hex();
  if (actual != request_.sha256_hex) {
    return fail(Error::permanent(
        ErrorCode::kIntegrity,
        "source bytes hash to " + actual + ", the job says " + request_.sha256_hex));
  }
  return {};
}

Result<bool> MultipartSession::resume() {
  const auto& previous = request_.resume;
  if (!previous || previous->multipart_upload_id.empty()) return false;
  if (previous->part_size != plan_.part_size) {
    log::info("checkpoint has another part size; aborting its upload and starting a new one",
              {{"upload_id", request_.log_id},
               {"key", request_.key},
               {"multipart_upload_id", previous->multipart_upload_id}});
    // Nothing can use its parts any more: leave no orphan behind (best effort).
    (void)client_.abort_multipart_upload(request_.bucket, request_.key,
                                         previous->multipart_upload_id);
    return false;
  }
  Backoff backoff(options_.part_retry);
  auto parts = with_retries(
      backoff, retries_, request_.cancelled, [this](const Error&) { ++retry_count_; },
      [&] {
        return client_.list_parts(request_.bucket, request_.key, previous->multipart_upload_id);
      });
  // Starting over after a transient failure would orphan an upload that may be fine: fail
  // retryably instead, so a later attempt resumes it.
  if (!parts && parts.error().retryable) return fail(parts.error());
  if (!parts) {
    log::info(
        "cannot resume multipart upload; starting a new one",
        {{"upload_id", request_.log_id}, {"key", request_.key}, {"error", parts.error().message}});
    return false;
  }
  upload_id_ = previous->multipart_upload_id;
  for (const s3::PartInfo& stored : *parts) {
    const size_t index = static_cast<size_t>(stored.part_number) - 1;
    // Only parts of exactly the planned size are ours to keep; anything else is re-sent.
    if (stored.part_number < 1 || index >= plan_.parts.size() ||
        stored.size != plan_.parts[index].size || stored.etag.empty()) {
      continue;
    }
    etags_[index] = stored.etag;
    ++done_;
    ++reused_;
  }
  log::info("resuming multipart upload", {{"upload_id", request_.log_id},
                                          {"key", request_.key},
                                          {"multipart_upload_id", upload_id_},
                                          {"parts_in_s3", reused_},
                                          {"parts_total", plan_.parts.size()}});
  return true;
}

Status MultipartSession::create() {
  s3::CreateMultipartUploadRequest create;
  create.bucket = request_.bucket;
  create.key = request_.key;
  create.content_type = request_.content_type;
  create.metadata = request_.metadata;
  Backoff backoff(options_.part_retry);
  auto id = with_retries(
      backoff, retries_, request_.cancelled, [this](const Error&) { ++retry_count_; },
      [&] { return client_.create_multipart_upload(create); });
  if (!id) return fail(id.error());
  upload_id_ = *id;
  return {};
}

void MultipartSession::start_over() {
  log::warn(
      "resumed multipart upload is gone; starting a new one",
      {{"upload_id", request_.log_id}, {"key", request_.key}, {"multipart_upload_id", upload_id_}});
  {
    std::lock_guard lock(mutex_);
    std::fill(etags_.begin(), etags_.end(), std::string());
    done_ = sent_ = reused_ = 0;
    bytes_sent_ = 0;
    error_.reset();
  }
  {
    std::lock_guard lock(hash_mutex_);
    whole_.reset();
    next_to_hash_ = 1;
  }
  failed_ = false;
  next_ = 0;
}

void MultipartSession::fail_with(Error error) {
  {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(error);
    failed_ = true;
  }
  std::lock_guard lock(hash_mutex_);
  hash_turn_.notify_all();
}

void MultipartSession::checkpoint(bool force) {
  if (!request_.on_checkpoint) return;
  // One report at a time, each taken under the lock, so parts_done never goes backwards. A
  // part finishing while another report is out skips its own: the next one includes it.
  std::unique_lock serial(checkpoint_mutex_, std::defer_lock);
  if (force) {
    serial.lock();
  } else if (!serial.try_lock()) {
    return;
  }
  UploadCheckpoint point;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_checkpoint_ < options_.checkpoint_interval) return;
    last_checkpoint_ = now;
    point = {upload_id_, plan_.part_size, static_cast<uint32_t>(plan_.parts.size()), done_};
  }
  request_.on_checkpoint(point);
}

void MultipartSession::part_done(const PlannedPart& part, std::string etag) {
  {
    std::lock_guard lock(mutex_);
    etags_[static_cast<size_t>(part.number) - 1] = std::move(etag);
    ++done_;
    ++sent_;
    bytes_sent_ += part.size;
  }
  checkpoint(false);
}

Status MultipartSession::send_part(const PlannedPart& part, ByteBudget::Lease lease,
                                   Backoff& backoff) {
  // The lease is held until this part is sent; its buffer holds the part.
  const std::span<std::byte> bytes = lease.buffer();
  auto count_retry = [this](const Error&) { ++retry_count_; };
  auto cancel = [this] { return cancelled(); };
  auto read = with_retries(backoff, retries_, cancel, count_retry,
                           [&] { return read_exactly(*request_.source, part.offset, bytes); });
  if (!read) {
    return fail(read.error().with_context("reading part " + std::to_string(part.number)));
  }
  const bool hashing = !request_.sha256_hex.empty() && reused_ == 0;
  if (hashing && !hash_in_order(part.number, bytes)) {
    return fail(Error::permanent(ErrorCode::kCancelled, "upload cancelled"));
  }
  MemoryByteSource memory(bytes);
  s3::UploadPartRequest upload;
  upload.bucket = request_.bucket;
  upload.key = request_.key;
  upload.upload_id = upload_id_;
  upload.part_number = part.number;
  upload.body = {&memory, 0, part.size, crypto::md5_base64(std::span<const std::byte>(bytes)), {}};
  auto etag = with_retries(backoff, retries_, cancel, count_retry,
                           [&] { return client_.upload_part(upload); });
  if (!etag) return fail(etag.error());
  part_done(part, std::move(*etag));
  return {};
}

void MultipartSession::send_parts() {
  std::vector<const PlannedPart*> missing;
  for (size_t i = 0; i < plan_.parts.size(); ++i) {
    if (etags_[i].empty()) missing.push_back(&plan_.parts[i]);
  }
  const size_t threads =
      std::min<size_t>(missing.size(), static_cast<size_t>(std::max(1, options_.concurrency)));
  auto work = [&] {
    Backoff backoff(options_.part_retry);
    for (;;) {
      // Parts take their budget in part order, so the part whose turn it is to be hashed
      // always holds its buffer: waiting for that turn can never starve the budget.
      std::unique_lock dispatch(dispatch_mutex_);
      const size_t i = next_++;
      if (i >= missing.size() || cancelled()) return;
      auto lease = budget_.acquire(missing[i]->size, [this] { return cancelled(); });
      dispatch.unlock();
      if (!lease) return;
      if (auto sent = send_part(*missing[i], std::move(*lease), backoff); !sent) {
        fail_with(sent.error());
        return;
      }
    }
  };
  std::vector<std::jthread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  if (threads > 0) work();
}

Status MultipartSession::complete() {
  std::vector<s3::CompletedPart> parts;
  parts.reserve(etags_.size());
  for (size_t i = 0; i < etags_.size(); ++i) parts.push_back({static_cast<int>(i) + 1, etags_[i]});
  Backoff backoff(options_.part_retry);
  int complete_retries = 0;
  auto etag = with_retries(
      backoff, retries_, request_.cancelled,
      [&](const Error&) {
        ++retry_count_;
        ++complete_retries;
      },
      [&] {
        return client_.complete_multipart_upload(request_.bucket, request_.key, upload_id_, parts);
      });
  // Only Complete's own retries count: after a retried part, NoSuchUpload means the upload is
  // gone, and an older object of the same size must not pass for the new one.
  if (!etag && etag.error().code == ErrorCode::kNotFound && complete_retries > 0) {
    // A retried Complete whose first try succeeded unseen finds the upload gone: the object
    // is there if its size matches (the caller verifies content with HEAD afterwards).
    auto head = client_.head_object(request_.bucket, request_.key);
    if (head && head->size == request_.source->size()) etag = head->etag;
  }
  if (!etag) return fail(etag.error());
  etags_.assign(1, *etag);  // the object's ETag, for run()
  return {};
}

Result<UploadResult> MultipartSession::run() {
  auto resumable = resume();
  if (!resumable) return fail(resumable.error());
  bool resumed = *resumable;
  for (;;) {
    if (!resumed) {
      if (auto created = create(); !created) return fail(created.error());
    }
    checkpoint(true);
    send_parts();
    if (failed_.load() || (request_.cancelled && request_.cancelled())) {
      std::unique_lock lock(mutex_);
      Error error = error_.value_or(Error::permanent(ErrorCode::kCancelled, "upload cancelled"));
      if (error.code == ErrorCode::kNotFound && resumed) {
        // A part was refused because the resumed upload is gone (AWS: NoSuchUpload).
        lock.unlock();
        start_over();
        resumed = false;
        continue;
      }
      if (!error.retryable && error.code != ErrorCode::kCancelled) {
        // Nothing will resume a permanently failed upload: leave no orphaned parts behind.
        (void)client_.abort_multipart_upload(request_.bucket, request_.key, upload_id_);
      }
      return fail(std::move(error));
    }
    checkpoint(true);
    if (auto verified = verify_whole_sha256(); !verified) {
      (void)client_.abort_multipart_upload(request_.bucket, request_.key, upload_id_);
      return fail(verified.error());
    }
    auto completed = complete();
    if (completed) break;
    if (completed.error().code == ErrorCode::kNotFound && resumed) {
      // The checkpoint named an upload S3 no longer has (some servers list parts of unknown
      // uploads as empty instead of failing): start over once with a new upload.
      start_over();
      resumed = false;
      continue;
    }
    if (!completed.error().retryable) {
      (void)client_.abort_multipart_upload(request_.bucket, request_.key, upload_id_);
    }
    return fail(completed.error());
  }
  UploadResult result;
  result.etag = etags_.front();
  result.multipart = true;
  result.multipart_upload_id = upload_id_;
  result.parts_total = static_cast<uint32_t>(plan_.parts.size());
  result.parts_sent = sent_;
  result.parts_reused = reused_;
  result.bytes_sent = bytes_sent_;
  result.retries = retry_count_.load();
  return result;
}

}  // namespace

Result<UploadResult> Uploader::multipart(const UploadRequest& request, const PartPlan& plan) {
  MultipartSession session(client_, budget_, options_, request, plan);
  return session.run();
}

}  // namespace upfleet::upload
