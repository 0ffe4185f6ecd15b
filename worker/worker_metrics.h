// The worker's metrics (catalogue: docs/metrics.md).
#pragma once

#include <memory>
#include <string>

#include "common/metrics.h"

namespace upfleet {

class WorkerMetrics {
 public:
  explicit WorkerMetrics(std::shared_ptr<prometheus::Registry> registry);

  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  // upfleet_worker_jobs_total{type, outcome}: outcome = done | skipped | failed | dead_lettered
  void count_job(const std::string& type, const std::string& outcome);
  // upfleet_worker_consumer_lag{partition}: messages behind the end of the partition
  void set_consumer_lag(int32_t partition, int64_t lag);
  void clear_consumer_lag(int32_t partition);
  // upfleet_worker_job_duration_seconds{type, outcome}
  void observe_job(const std::string& type, const std::string& outcome, double seconds);

  prometheus::Counter& bytes_uploaded;        // upfleet_worker_uploaded_bytes_total
  prometheus::Counter& parts_sent;            // upfleet_worker_upload_parts_total
  prometheus::Counter& parts_reused;          // upfleet_worker_upload_parts_resumed_total
  prometheus::Counter& part_retries;          // upfleet_worker_upload_request_retries_total
  prometheus::Gauge& buffer_bytes;            // upfleet_worker_upload_buffer_bytes
  prometheus::Counter& retries;               // upfleet_worker_retries_total
  prometheus::Counter& dead_letters;          // upfleet_worker_dead_letters_total
  prometheus::Counter& commit_failures;       // upfleet_worker_commit_failures_total
  prometheus::Gauge& assigned_partitions;     // upfleet_worker_assigned_partitions
  prometheus::Gauge& inflight_jobs;           // upfleet_worker_inflight_jobs (running)
  prometheus::Gauge& queued_jobs;             // upfleet_worker_scheduled_jobs (running + waiting)
  prometheus::Gauge& inflight_bytes;          // upfleet_worker_inflight_bytes
  prometheus::Gauge& paused_partitions;       // upfleet_worker_paused_partitions
  prometheus::Counter& jobs_skipped_by_note;  // upfleet_worker_jobs_already_finished_total
  prometheus::Counter& rebalances;            // upfleet_worker_rebalances_total
  // upfleet_worker_existence_checks_skipped_total
  prometheus::Counter& existence_checks_skipped;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& jobs_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Gauge>& lag_;
};

}  // namespace upfleet
