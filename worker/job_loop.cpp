#include "worker/job_loop.h"

#include "common/log.h"

namespace upfleet {
namespace {

std::string outcome_name(const Result<UploadOutcome>& result) {
  if (!result) return "failed";
  return result->skipped ? "skipped" : "done";
}

}  // namespace

JobLoop::JobLoop(JobSource& source, UploadJobHandler& uploads, ObjectStore& store,
                 StatusSink& statuses, DeadLetterSink& dead_letters, WorkerMetrics& metrics,
                 BackoffPolicy retry, std::string default_bucket, const Clock& clock)
    : source_(source),
      uploads_(uploads),
      store_(store),
      statuses_(statuses),
      dead_letters_(dead_letters),
      metrics_(metrics),
      backoff_(retry),
      default_bucket_(std::move(default_bucket)),
      clock_(clock) {}

void JobLoop::stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

bool JobLoop::pause(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

template <class Action>
bool JobLoop::keep_trying(const char* what, Action action) {
  // Always tried once, even while stopping: a job that finished during the shutdown grace
  // still gets its status published and its offset committed.
  for (int retry = 0;; ++retry) {
    Status status = action();
    if (status) return true;
    if (stopping_.load()) return false;
    log::warn(std::string(what) + " failed; retrying", {{"error", status.error().message}});
    if (!pause(backoff_.delay(std::min(retry, 8)))) return false;
  }
}

void JobLoop::run() {
  while (!stopping_.load()) {
    auto polled = source_.poll(std::chrono::milliseconds(200));
    metrics_.assigned_partitions.Set(static_cast<double>(source_.assigned_partitions().size()));
    const uint64_t rebalances = source_.rebalance_count();
    if (rebalances > rebalances_seen_) {
      metrics_.rebalances.Increment(static_cast<double>(rebalances - rebalances_seen_));
      rebalances_seen_ = rebalances;
    }
    if (!polled) {
      log::warn("kafka consumer error", {{"error", polled.error().message}});
      continue;
    }
    if (!*polled) continue;
    const JobMessage& message = **polled;
    if (!process(message)) break;
    if (auto committed = source_.commit(message.topic, message.partition, message.offset + 1);
        !committed) {
      // The job is done; if the commit is lost it runs again and is a no-op.
      metrics_.commit_failures.Increment();
      log::warn("offset commit failed", {{"error", committed.error().message}});
    }
  }
}

bool JobLoop::dead_letter(const JobMessage& message, const std::string& stage, const Error& error,
                          int attempts, const Job* job) {
  DeadLetter letter{message, stage, error.message, attempts};
  if (!keep_trying("sending to the dead-letter topic",
                   [&] { return dead_letters_.send(letter); })) {
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
  return keep_trying("publishing dead_lettered status", [&] { return statuses_.publish(event); });
}

bool JobLoop::process(const JobMessage& message) {
  auto job = parse_job(message.value);
  if (!job) {
    log::error("malformed job sent to the dead-letter topic", {{"partition", message.partition},
                                                               {"offset", message.offset},
                                                               {"error", job.error().message}});
    metrics_.count_job("unknown", "dead_lettered");
    return dead_letter(message, "parse", job.error(), 1, nullptr);
  }
  const std::string type(to_string(job->type));
  const auto started = clock_.steady_now();
  metrics_.inflight_jobs.Increment();
  Attempted attempted = run_with_retries(*job);
  metrics_.inflight_jobs.Decrement();
  const double seconds = std::chrono::duration<double>(clock_.steady_now() - started).count();
  const std::string outcome = outcome_name(attempted.result);
  metrics_.observe_job(type, outcome, seconds);

  if (!attempted.result) {
    const Error& error = attempted.result.error();
    if (error.code == ErrorCode::kCancelled && stopping_.load()) return false;
    log::error("job failed; sending it to the dead-letter topic", {{"upload_id", job->upload_id},
                                                                   {"key", job->key},
                                                                   {"attempts", attempted.attempts},
                                                                   {"error", error.message}});
    metrics_.count_job(type, "dead_lettered");
    return dead_letter(message, type, error, attempted.attempts, &*job);
  }
  const UploadOutcome& done = *attempted.result;
  if (!keep_trying("publishing status", [&] { return statuses_.publish(done.event); })) {
    return false;
  }
  metrics_.count_job(type, outcome);
  metrics_.bytes_uploaded.Increment(static_cast<double>(done.bytes_sent));
  metrics_.parts_sent.Increment(done.stats.parts_sent);
  metrics_.parts_reused.Increment(done.stats.parts_reused);
  metrics_.part_retries.Increment(done.stats.retries);
  log::info("job done", {{"upload_id", job->upload_id},
                         {"key", job->key},
                         {"type", type},
                         {"outcome", outcome},
                         {"seconds", seconds},
                         {"etag", done.event.etag}});
  return true;
}

JobLoop::Attempted JobLoop::run_with_retries(const Job& job) {
  Attempted attempted{fail(Error::permanent(ErrorCode::kCancelled, "not run")), 0};
  for (int attempt = 1; backoff_.allows(attempt); ++attempt) {
    attempted.attempts = attempt;
    Job this_attempt = job;
    this_attempt.attempt = job.attempt + attempt - 1;
    attempted.result = run_once(this_attempt);
    if (attempted.result || !attempted.result.error().retryable) return attempted;
    if (!backoff_.allows(attempt + 1)) break;
    metrics_.retries.Increment();
    const auto delay = backoff_.delay(attempt - 1);
    log::warn("job attempt failed; retrying", {{"upload_id", job.upload_id},
                                               {"key", job.key},
                                               {"attempt", attempt},
                                               {"delay_ms", delay.count()},
                                               {"error", attempted.result.error().message}});
    if (!pause(delay)) {
      attempted.result = fail(Error::permanent(ErrorCode::kCancelled, "worker is stopping"));
      return attempted;
    }
  }
  return attempted;
}

Result<UploadOutcome> JobLoop::run_once(const Job& job) {
  switch (job.type) {
    case JobType::kUpload: return uploads_.run(job, [this] { return stopping_.load(); });
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
