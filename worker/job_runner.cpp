#include "worker/job_runner.h"

#include "common/log.h"
#include "common/upload/retry.h"

namespace upfleet {
namespace {

std::string outcome_name(const Result<UploadOutcome>& result) {
  if (!result) return "failed";
  return result->skipped ? "skipped" : "done";
}

}  // namespace

JobRunner::JobRunner(UploadJobHandler& uploads, ObjectStore& store, StatusSink& statuses,
                     DeadLetterSink& dead_letters, WorkerMetrics& metrics, BackoffPolicy retry,
                     std::string default_bucket, const Clock& clock,
                     std::function<bool(const std::string&)> already_stored)
    : uploads_(uploads),
      store_(store),
      statuses_(statuses),
      dead_letters_(dead_letters),
      metrics_(metrics),
      retry_(retry),
      default_bucket_(std::move(default_bucket)),
      clock_(clock),
      already_stored_(std::move(already_stored)) {}

bool JobRunner::keep_trying(const char* what, const std::function<Status()>& action,
                            const std::function<bool()>& cancelled) {
  // Always tried once, even when cancelled: a job that finished during a shutdown grace or a
  // revocation still gets its status published (and so may be committed).
  Backoff backoff(retry_);
  for (int retry = 0;; ++retry) {
    Status status = action();
    if (status) return true;
    if (cancelled()) return false;
    log::warn(std::string(what) + " failed; retrying", {{"error", status.error().message}});
    if (!upload::wait_unless_cancelled(backoff.delay(std::min(retry, 8)), cancelled)) return false;
  }
}

bool JobRunner::dead_letter(const JobMessage& message, const std::string& stage, const Error& error,
                            int attempts, const Job* job, const std::function<bool()>& cancelled) {
  DeadLetter letter{message, stage, error.message, attempts};
  if (!keep_trying(
          "sending to the dead-letter topic", [&] { return dead_letters_.send(letter); },
          cancelled)) {
    return false;
  }
  metrics_.dead_letters.Increment();
  if (job == nullptr) return true;
  StatusEvent event;
  event.upload_id = job->upload_id;
  event.state = UploadState::kDeadLettered;
  event.job_id = job->job_id;
  event.bucket = job->bucket.empty() ? default_bucket_ : job->bucket;
  event.key = job->key;
  event.ingest_id = job->ingest_id;
  event.at = format_rfc3339(clock_.now());
  event.size = job->source.size;
  event.sha256 = job->source.sha256;
  event.stage = stage;
  event.reason = error.message;
  event.retryable = error.retryable;
  event.attempt = attempts;
  return keep_trying(
      "publishing dead_lettered status", [&] { return statuses_.publish(event); }, cancelled);
}

bool JobRunner::run(const JobMessage& message, const std::function<bool()>& cancelled) {
  auto job = parse_job(message.value);
  if (!job) {
    log::error("malformed job sent to the dead-letter topic", {{"partition", message.partition},
                                                               {"offset", message.offset},
                                                               {"error", job.error().message}});
    metrics_.count_job("unknown", "dead_lettered");
    return dead_letter(message, "parse", job.error(), 1, nullptr, cancelled);
  }
  const std::string type(to_string(job->type));
  if (job->type == JobType::kUpload && already_stored_ && already_stored_(job->upload_id)) {
    // Finished earlier (before a rebalance or crash moved the partition); nothing to do.
    log::info("job already finished; skipping the redelivery",
              {{"upload_id", job->upload_id}, {"key", job->key}});
    metrics_.count_job(type, "redelivered");
    return true;
  }
  const auto started = clock_.steady_now();
  metrics_.inflight_jobs.Increment();
  Attempted attempted = run_with_retries(*job, message.first_delivery, cancelled);
  metrics_.inflight_jobs.Decrement();
  const double seconds = std::chrono::duration<double>(clock_.steady_now() - started).count();
  const std::string outcome = outcome_name(attempted.result);
  metrics_.observe_job(type, outcome, seconds);

  if (!attempted.result) {
    const Error& error = attempted.result.error();
    if (error.code == ErrorCode::kCancelled && cancelled()) return false;
    log::error("job failed; sending it to the dead-letter topic", {{"upload_id", job->upload_id},
                                                                   {"key", job->key},
                                                                   {"attempts", attempted.attempts},
                                                                   {"error", error.message}});
    metrics_.count_job(type, "dead_lettered");
    return dead_letter(message, type, error, attempted.attempts, &*job, cancelled);
  }
  const UploadOutcome& done = *attempted.result;
  if (!keep_trying(
          "publishing status", [&] { return statuses_.publish(done.event); }, cancelled)) {
    return false;
  }
  metrics_.count_job(type, outcome);
  metrics_.bytes_uploaded.Increment(static_cast<double>(done.bytes_sent));
  metrics_.parts_sent.Increment(done.stats.parts_sent);
  metrics_.parts_reused.Increment(done.stats.parts_reused);
  metrics_.part_retries.Increment(done.stats.retries);
  if (!done.existence_checked) metrics_.existence_checks_skipped.Increment();
  log::info("job done", {{"upload_id", job->upload_id},
                         {"key", job->key},
                         {"type", type},
                         {"outcome", outcome},
                         {"seconds", seconds},
                         {"etag", done.event.etag}});
  return true;
}

JobRunner::Attempted JobRunner::run_with_retries(const Job& job, bool first_delivery,
                                                 const std::function<bool()>& cancelled) {
  Attempted attempted{fail(Error::permanent(ErrorCode::kCancelled, "not run")), 0};
  Backoff backoff(retry_);
  for (int attempt = 1; backoff.allows(attempt); ++attempt) {
    attempted.attempts = attempt;
    Job this_attempt = job;
    this_attempt.attempt = job.attempt + attempt - 1;
    const bool first_run = first_delivery && attempt == 1;
    attempted.result =
        run_once(this_attempt, first_run ? Delivery::kFirst : Delivery::kMaybeRepeated, cancelled);
    if (attempted.result || !attempted.result.error().retryable) return attempted;
    if (cancelled()) {
      // Not a verdict on the job: whoever reads the partition next tries again.
      attempted.result = fail(Error::permanent(ErrorCode::kCancelled, "job cancelled"));
      return attempted;
    }
    if (!backoff.allows(attempt + 1)) break;
    metrics_.retries.Increment();
    const auto delay = backoff.delay(attempt - 1);
    log::warn("job attempt failed; retrying", {{"upload_id", job.upload_id},
                                               {"key", job.key},
                                               {"attempt", attempt},
                                               {"delay_ms", delay.count()},
                                               {"error", attempted.result.error().message}});
    if (!upload::wait_unless_cancelled(delay, cancelled)) {
      attempted.result = fail(Error::permanent(ErrorCode::kCancelled, "job cancelled"));
      return attempted;
    }
  }
  return attempted;
}

Result<UploadOutcome> JobRunner::run_once(const Job& job, Delivery delivery,
                                          const std::function<bool()>& cancelled) {
  switch (job.type) {
    case JobType::kUpload: return uploads_.run(job, cancelled, delivery);
    case JobType::kDelete: {
      const ObjectRef ref{job.bucket.empty() ? default_bucket_ : job.bucket, job.key};
      if (auto deleted = store_.delete_object(ref); !deleted) return fail(deleted.error());
      UploadOutcome outcome;
      outcome.event.upload_id = job.upload_id;
      outcome.event.state = UploadState::kDone;
      outcome.event.job_id = job.job_id;
      outcome.event.bucket = ref.bucket;
      outcome.event.key = ref.key;
      outcome.event.at = format_rfc3339(clock_.now());
      return outcome;
    }
    case JobType::kThumbnail:
      return fail(Error::permanent(ErrorCode::kInvalidArgument,
                                   "thumbnail jobs are not supported by this worker version"));
  }
  return fail(Error::permanent(ErrorCode::kInternal, "unknown job type"));
}

}  // namespace upfleet
