// The ingest's metrics (catalogue: docs/metrics.md).
#pragma once

#include <memory>
#include <string>

#include "common/metrics.h"

namespace upfleet {

class IngestMetrics {
 public:
  explicit IngestMetrics(std::shared_ptr<prometheus::Registry> registry);

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  // upfleet_ingest_requests_total{route, code}
  void count_request(const std::string& route, unsigned code);
  prometheus::Counter& bytes_received;     // upfleet_ingest_received_bytes_total
  prometheus::Counter& uploads_accepted;   // upfleet_ingest_uploads_accepted_total
  prometheus::Counter& publish_failures;   // upfleet_ingest_publish_failures_total
  prometheus::Counter& recovered_jobs;     // upfleet_ingest_recovered_jobs_total
  prometheus::Counter& spool_deleted;      // upfleet_spool_deleted_files_total
  prometheus::Counter& spool_expired;      // upfleet_spool_expired_files_total
  prometheus::Histogram& accept_seconds;   // upfleet_ingest_accept_duration_seconds
  prometheus::Histogram& publish_seconds;  // upfleet_ingest_publish_duration_seconds
  prometheus::Histogram& upload_size;      // upfleet_ingest_upload_size_bytes
  prometheus::Gauge& spool_bytes;          // upfleet_spool_bytes
  prometheus::Gauge& spool_files;          // upfleet_spool_files
  prometheus::Gauge& open_connections;     // upfleet_ingest_open_connections
  prometheus::Gauge& status_view_uploads;  // upfleet_ingest_status_view_uploads
  prometheus::Gauge& event_streams;        // upfleet_ingest_sse_streams
  // upfleet_ingest_slow_client_closes_total{phase="headers"|"body"}
  void count_slow_client(const std::string& phase);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& slow_clients_;
};

}  // namespace upfleet
