// Runs one job message to its end: parse it, run it with retries (exponential backoff, full
// jitter), publish its status, or send it to the dead-letter topic. Thread-safe: the
// scheduler runs many jobs at once on this one runner.
#pragma once

#include <functional>
#include <string>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/dead_letter_sink.h"
#include "common/job_source.h"
#include "common/object_store.h"
#include "common/status_sink.h"
#include "worker/upload_job_handler.h"
#include "worker/worker_metrics.h"

namespace upfleet {

class JobRunner {
 public:
  // `already_stored` (optional) says whether an upload is known to be stored: such jobs are
  // redeliveries and finish at once without running again.
  JobRunner(UploadJobHandler& uploads, ObjectStore& store, StatusSink& statuses,
            DeadLetterSink& dead_letters, WorkerMetrics& metrics, BackoffPolicy retry,
            std::string default_bucket, const Clock& clock,
            std::function<bool(const std::string& upload_id)> already_stored = {});

  // True when the job is finished (done, skipped or dead-lettered: its offset may be
  // committed); false when it was abandoned because `cancelled` turned true (shutdown or
  // rebalance) before that — it will run again, elsewhere or later.
  bool run(const JobMessage& message, const std::function<bool()>& cancelled);

 private:
  struct Attempted {
    Result<UploadOutcome> result;
    int attempts = 0;
  };
  // `first_delivery`: the message cannot have been run before (JobMessage::first_delivery);
  // only the first attempt is then a first run.
  Attempted run_with_retries(const Job& job, bool first_delivery,
                             const std::function<bool()>& cancelled);
  Result<UploadOutcome> run_once(const Job& job, Delivery delivery,
                                 const std::function<bool()>& cancelled);
  // Retries `action` (once at least) until it succeeds or `cancelled`; false if cancelled.
  bool keep_trying(const char* what, const std::function<Status()>& action,
                   const std::function<bool()>& cancelled);
  bool dead_letter(const JobMessage& message, const std::string& stage, const Error& error,
                   int attempts, const Job* job, const std::function<bool()>& cancelled);

  UploadJobHandler& uploads_;
  ObjectStore& store_;
  StatusSink& statuses_;
  DeadLetterSink& dead_letters_;
  WorkerMetrics& metrics_;
  const BackoffPolicy retry_;
  const std::string default_bucket_;
  const Clock& clock_;
  const std::function<bool(const std::string&)> already_stored_;
};

}  // namespace upfleet
