#include "worker/upload_job_handler.h"

#include "common/log.h"

namespace upfleet {
namespace {

bool same_content(const ObjectInfo& info, const Job& job) {
  if (job.source.sha256.empty() || info.size != job.source.size) return false;
  auto it = info.metadata.find(std::string(kMetaSha256));
  return it != info.metadata.end() && it->second == job.source.sha256;
}

}  // namespace

UploadOutcome UploadJobHandler::uploaded(const Job& job, const ObjectRef& ref,
                                         const ObjectInfo& info, bool skipped) const {
  UploadOutcome outcome;
  outcome.skipped = skipped;
  StatusEvent& event = outcome.event;
  event.upload_id = job.upload_id;
  event.state = UploadState::kUploaded;
  event.job_id = job.job_id;
  event.bucket = ref.bucket;
  event.key = ref.key;
  event.ingest_id = job.ingest_id;
  event.at = format_rfc3339(clock_.now());
  event.size = info.size;
  event.sha256 = job.source.sha256;
  event.etag = info.etag;
  event.url = store_.object_url(ref);
  event.attempt = job.attempt;
  return outcome;
}

void UploadJobHandler::report(const Job& job, const ObjectRef& ref,
                              const UploadCheckpoint& checkpoint) const {
  if (progress_.statuses == nullptr) return;
  StatusEvent event;
  event.upload_id = job.upload_id;
  event.state = UploadState::kUploading;
  event.job_id = job.job_id;
  event.bucket = ref.bucket;
  event.key = ref.key;
  event.ingest_id = job.ingest_id;
  event.at = format_rfc3339(clock_.now());
  event.size = job.source.size;
  event.sha256 = job.source.sha256;
  event.parts_done = checkpoint.parts_done;
  event.parts_total = checkpoint.parts_total;
  event.multipart_upload_id = checkpoint.multipart_upload_id;
  event.part_size = checkpoint.part_size;
  event.attempt = job.attempt;
  if (auto sent = progress_.statuses->publish(event); !sent) {
    // Progress is an optimisation (resume elsewhere); the upload goes on without it.
    log::warn("could not publish upload progress",
              {{"upload_id", job.upload_id}, {"key", job.key}, {"error", sent.error().message}});
  }
}

Result<std::optional<UploadOutcome>> UploadJobHandler::stored_already(const Job& job,
                                                                      const ObjectRef& ref) const {
  auto existing = store_.head_object(ref);
  if (existing && same_content(*existing, job)) {
    log::info("object already stored with the same sha256; nothing to do",
              {{"upload_id", job.upload_id}, {"key", job.key}});
    return std::optional<UploadOutcome>(uploaded(job, ref, *existing, /*skipped=*/true));
  }
  if (!existing && existing.error().code != ErrorCode::kNotFound) {
    return fail(existing.error().with_context("checking for an existing object"));
  }
  return std::optional<UploadOutcome>();
}

Result<UploadOutcome> UploadJobHandler::run(const Job& job, const std::function<bool()>& cancelled,
                                            Delivery delivery) {
  const ObjectRef ref{job.bucket.empty() ? default_bucket_ : job.bucket, job.key};
  const bool check_first =
      delivery == Delivery::kMaybeRepeated || existing_check_ == ExistingCheck::kAlways;
  if (check_first) {
    auto stored = stored_already(job, ref);
    if (!stored) return fail(stored.error());
    if (*stored) return std::move(**stored);
  }

  auto source = sources_.open(job.source);
  if (!source && !check_first && source.error().code == ErrorCode::kNotFound) {
    // Published twice (an ingest's recovery republishes what it cannot prove was confirmed),
    // and the first run stored it before the spool file went: the object is the answer.
    auto stored = stored_already(job, ref);
    if (stored && *stored) return std::move(**stored);
  }
  if (!source) return fail(source.error().with_context("opening source"));
  if ((*source)->size() != job.source.size) {
    return fail(Error::permanent(ErrorCode::kIntegrity, "source size differs from the job's"));
  }

  PutOptions options;
  options.content_type = job.source.content_type;
  options.sha256_hex = job.source.sha256;
  options.metadata[std::string(kMetaUploadId)] = job.upload_id;
  if (!job.source.sha256.empty()) options.metadata[std::string(kMetaSha256)] = job.source.sha256;
  for (const auto& [name, value] : job.metadata) options.metadata.try_emplace(name, value);
  if (progress_.find_checkpoint) options.resume = progress_.find_checkpoint(job.upload_id);
  options.on_checkpoint = [this, &job, &ref](const UploadCheckpoint& checkpoint) {
    report(job, ref, checkpoint);
  };
  options.cancelled = cancelled;
  options.log_id = job.upload_id;
  PutStats stats;
  options.stats = &stats;

  auto stored = store_.put_object(ref, **source, options);
  if (!stored) return fail(stored.error().with_context("storing object"));

  // The store's proof (single PUT: ETag == MD5 of the bytes, sent with Content-MD5) makes a
  // HEAD redundant; otherwise (multipart, encrypted buckets) HEAD checks size and checksum.
  auto verified = stored->content_verified ? Result<ObjectInfo>(*stored) : store_.head_object(ref);
  if (!verified) return fail(verified.error().with_context("verifying object"));
  if (verified->size != job.source.size) {
    return fail(Error::transient(ErrorCode::kIntegrity,
                                 "stored object has " + std::to_string(verified->size) +
                                     " bytes, expected " + std::to_string(job.source.size)));
  }
  if (!job.source.sha256.empty() && !same_content(*verified, job)) {
    return fail(Error::transient(ErrorCode::kIntegrity, "stored object lacks the expected sha256"));
  }
  UploadOutcome outcome = uploaded(job, ref, *verified, /*skipped=*/false);
  outcome.existence_checked = check_first;
  outcome.bytes_sent = stats.bytes_sent;
  outcome.stats = stats;
  return outcome;
}

}  // namespace upfleet
