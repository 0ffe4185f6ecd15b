// The seam through which the ingest (and the worker, for follow-up and retry jobs) puts jobs on
// the queue. KafkaJobPublisher implements it; tests use FakeJobPublisher.
#pragma once

#include "common/clock.h"
#include "common/error.h"
#include "common/job.h"

namespace upfleet {

class JobPublisher {
 public:
  virtual ~JobPublisher() = default;

  // Publishes `job` (message key = job.key) and blocks until the broker acknowledged it
  // (acks=all), the publisher's delivery timeout passed, or `deadline` came. Errors: retryable
  // kUnavailable/kTimeout when the broker did not confirm (after a deadline the job may still
  // be delivered). Handlers are idempotent, so publishing the same job again is always safe.
  // Thread-safe.
  virtual Status publish(const Job& job, Deadline deadline) = 0;
  Status publish(const Job& job) { return publish(job, kNoDeadline); }
};

}  // namespace upfleet
