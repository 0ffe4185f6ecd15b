#include "worker/worker_metrics.h"

namespace upfleet {
namespace {

prometheus::Counter& counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

WorkerMetrics::WorkerMetrics(std::shared_ptr<prometheus::Registry> registry)
    : bytes_uploaded(counter(*registry, "upfleet_worker_uploaded_bytes_total",
                             "Bytes stored in object storage")),
      parts_sent(counter(*registry, "upfleet_worker_upload_parts_total",
                         "Upload requests sent: parts of multipart uploads, and single PUTs")),
      parts_reused(counter(*registry, "upfleet_worker_upload_parts_resumed_total",
                           "Parts found already stored when resuming a multipart upload")),
      part_retries(counter(*registry, "upfleet_worker_upload_request_retries_total",
                           "S3 and source requests retried inside uploads of finished jobs")),
      buffer_bytes(gauge(*registry, "upfleet_worker_upload_buffer_bytes",
                         "Bytes of part buffers leased from upload.max_buffer_bytes now")),
      retries(counter(*registry, "upfleet_worker_retries_total", "Job attempts that were retried")),
      dead_letters(counter(*registry, "upfleet_worker_dead_letters_total",
                           "Jobs sent to the dead-letter topic")),
      commit_failures(counter(*registry, "upfleet_worker_commit_failures_total",
                              "Offset commits that failed (the job may run again)")),
      assigned_partitions(gauge(*registry, "upfleet_worker_assigned_partitions",
                                "Job topic partitions assigned to this worker")),
      inflight_jobs(gauge(*registry, "upfleet_worker_inflight_jobs", "Jobs running now")),
      queued_jobs(gauge(*registry, "upfleet_worker_scheduled_jobs",
                        "Jobs taken from Kafka and not finished (running or waiting their turn)")),
      inflight_bytes(gauge(*registry, "upfleet_worker_inflight_bytes",
                           "Sum of the sizes of the jobs taken and not finished")),
      paused_partitions(
          gauge(*registry, "upfleet_worker_paused_partitions",
                "Assigned partitions paused because the in-flight bounds are reached")),
      jobs_skipped_by_note(counter(
          *registry, "upfleet_worker_jobs_already_finished_total",
          "Jobs not run again after a rebalance because the previous owner had finished them")),
      rebalances(counter(*registry, "upfleet_worker_rebalances_total",
                         "Consumer group rebalances (assignments and revocations) seen")),
      existence_checks_skipped(
          counter(*registry, "upfleet_worker_existence_checks_skipped_total",
                  "Uploads stored without first asking whether the object was already there "
                  "(first deliveries; upload.existing_object_check)")),
      registry_(std::move(registry)),
      jobs_(prometheus::BuildCounter()
                .Name("upfleet_worker_jobs_total")
                .Help("Jobs finished, by type and outcome")
                .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("upfleet_worker_job_duration_seconds")
                     .Help("Job run time including retries, by type and outcome")
                     .Register(*registry_)),
      lag_(prometheus::BuildGauge()
               .Name("upfleet_worker_consumer_lag")
               .Help(
                   "Messages between this worker's position and the end of each assigned partition")
               .Register(*registry_)) {}

void WorkerMetrics::clear_consumer_lag(int32_t partition) {
  const std::map<std::string, std::string> labels = {{"partition", std::to_string(partition)}};
  if (lag_.Has(labels)) lag_.Remove(&lag_.Add(labels));
}

void WorkerMetrics::set_consumer_lag(int32_t partition, int64_t lag) {
  lag_.Add({{"partition", std::to_string(partition)}}).Set(static_cast<double>(lag));
}

void WorkerMetrics::count_job(const std::string& type, const std::string& outcome) {
  jobs_.Add({{"type", type}, {"outcome", outcome}}).Increment();
}

void WorkerMetrics::observe_job(const std::string& type, const std::string& outcome,
                                double seconds) {
  durations_.Add({{"type", type}, {"outcome", outcome}}, duration_buckets()).Observe(seconds);
}

}  // namespace upfleet
