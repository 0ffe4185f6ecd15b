#include "producer/ingest_metrics.h"

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

prometheus::Histogram& histogram(prometheus::Registry& registry, const std::string& name,
                                 const std::string& help,
                                 const prometheus::Histogram::BucketBoundaries& buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, buckets);
}

}  // namespace

IngestMetrics::IngestMetrics(std::shared_ptr<prometheus::Registry> registry)
    : bytes_received(counter(*registry, "upfleet_ingest_received_bytes_total",
                             "Body bytes received and spooled")),
      uploads_accepted(counter(*registry, "upfleet_ingest_uploads_accepted_total",
                               "Uploads answered 202 (spooled and job confirmed by Kafka)")),
      publish_failures(counter(*registry, "upfleet_ingest_publish_failures_total",
                               "Jobs Kafka did not confirm in time (answered 503)")),
      recovered_jobs(counter(*registry, "upfleet_ingest_recovered_jobs_total",
                             "Jobs published again by the startup recovery scan")),
      spool_deleted(counter(*registry, "upfleet_spool_deleted_files_total",
                            "Spooled files deleted after their upload reached S3")),
      spool_expired(counter(*registry, "upfleet_spool_expired_files_total",
                            "Spooled uploads deleted unfinished because they outlived spool.ttl")),
      accept_seconds(histogram(*registry, "upfleet_ingest_accept_duration_seconds",
                               "Time from request head to 202, including fsync and Kafka ack",
                               duration_buckets())),
      publish_seconds(histogram(*registry, "upfleet_ingest_publish_duration_seconds",
                                "Time to get the job acknowledged by Kafka", duration_buckets())),
      upload_size(histogram(*registry, "upfleet_ingest_upload_size_bytes",
                            "Sizes of accepted uploads", size_buckets())),
      spool_bytes(gauge(*registry, "upfleet_spool_bytes", "Bytes held in the spool")),
      spool_files(gauge(*registry, "upfleet_spool_files", "Uploads held in the spool")),
      open_connections(
          gauge(*registry, "upfleet_ingest_open_connections", "Open client connections")),
      status_view_uploads(gauge(*registry, "upfleet_ingest_status_view_uploads",
                                "Uploads known to the status view")),
      event_streams(gauge(*registry, "upfleet_ingest_sse_streams",
                          "Open server-sent event streams (GET /v1/uploads/{id}/events)")),
      registry_(std::move(registry)),
      requests_(prometheus::BuildCounter()
                    .Name("upfleet_ingest_requests_total")
                    .Help("HTTP requests by route and status code")
                    .Register(*registry_)),
      slow_clients_(prometheus::BuildCounter()
                        .Name("upfleet_ingest_slow_client_closes_total")
                        .Help("Connections closed because the client sent its request head or "
                              "body too slowly")
                        .Register(*registry_)) {}

void IngestMetrics::count_request(const std::string& route, unsigned code) {
  requests_.Add({{"route", route}, {"code", std::to_string(code)}}).Increment();
}

void IngestMetrics::count_slow_client(const std::string& phase) {
  slow_clients_.Add({{"phase", phase}}).Increment();
}

}  // namespace upfleet
