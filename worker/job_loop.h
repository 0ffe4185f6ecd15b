// The worker's consume loop: take a job, run it with retries, publish its status, then commit
// its offset. Runs jobs one at a time per worker process.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/dead_letter_sink.h"
#include "common/job_source.h"
#include "common/object_store.h"
#include "common/status_sink.h"
#include "worker/upload_job_handler.h"
#include "worker/worker_metrics.h"

namespace upfleet {

class JobLoop {
 public:
  JobLoop(JobSource& source, UploadJobHandler& uploads, ObjectStore& store, StatusSink& statuses,
          DeadLetterSink& dead_letters, WorkerMetrics& metrics, BackoffPolicy retry,
          std::string default_bucket, const Clock& clock);

  // Consumes until stop() is called. Blocking; call from one thread.
  void run();
  // Asks run() to return after the current job (thread-safe, callable from a signal thread).
  void stop();

  // Handles one message to completion (exposed for tests). Returns false when it could not
  // be finished (stopping), in which case its offset must not be committed.
  bool process(const JobMessage& message);

 private:
  struct Attempted {
    Result<UploadOutcome> result;
    int attempts = 0;
  };
  Attempted run_with_retries(const Job& job);
  Result<UploadOutcome> run_once(const Job& job);
  // Retries `action` until it succeeds or the loop stops; false if stopped first.
  template <class Action>
  bool keep_trying(const char* what, Action action);
  // Waits `delay` unless stop() comes first; false if stopping.
  bool pause(std::chrono::milliseconds delay);
  bool dead_letter(const JobMessage& message, const std::string& stage, const Error& error,
                   int attempts, const Job* job);

  JobSource& source_;
  UploadJobHandler& uploads_;
  ObjectStore& store_;
  StatusSink& statuses_;
  DeadLetterSink& dead_letters_;
  WorkerMetrics& metrics_;
  Backoff backoff_;
  std::string default_bucket_;
  const Clock& clock_;

  uint64_t rebalances_seen_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
};

}  // namespace upfleet
