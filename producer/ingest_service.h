// The ingest's HTTP API: accepts uploads into the spool and publishes their jobs, answers
// upload status from the status view, and serves spooled bytes to workers.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"
#include "common/job_publisher.h"
#include "common/spool.h"
#include "common/status_sink.h"
#include "producer/http_server.h"
#include "producer/ingest_metrics.h"
#include "producer/spool_write_pipeline.h"
#include "producer/status_view.h"

namespace upfleet {

struct IngestOptions {
  std::string ingest_id;
  std::string advertise_url;  // claim-check URIs: <advertise_url>/internal/spool/<upload_id>
  std::string default_bucket;
  uint64_t max_body_bytes = 5ull << 30;
  std::chrono::milliseconds publish_timeout{10'000};
  std::vector<std::string> auth_tokens;  // empty: client auth off
  std::string spool_token;               // empty: spool endpoint answers loopback only
  int max_event_streams = 256;           // concurrent GET /v1/uploads/{id}/events streams
  std::chrono::milliseconds event_keepalive{15'000};  // SSE comment when nothing happened
  // A PUT body past this many bytes is written and hashed on the blocking pool while the next
  // chunk arrives (SpoolWritePipeline); not a config setting, tests use 0 to cover that path.
  uint64_t inline_body_bytes = 4ull << 20;
  // All large bodies' pipeline buffers together (8 MiB each); bodies beyond it are written in
  // line. Not a config setting.
  uint64_t pipeline_buffer_bytes = 256ull << 20;
};

class IngestService {
 public:
  IngestService(IngestOptions options, Spool& spool, JobPublisher& jobs, StatusSink& statuses,
                StatusView& view, IngestMetrics& metrics, asio::thread_pool& blocking,
                const Clock& clock);

  // The HttpHandler: routes and answers one request.
  asio::awaitable<HttpResponse> handle(HttpRequest& request, BodyReader& body);

  // Startup recovery: publishes jobs of spooled files whose publication was not confirmed,
  // and drops files whose upload the status view already shows as stored. Blocking.
  Status recover();

  // Deletes the spooled bytes of an upload this ingest holds once it reached S3.
  void on_status(const StatusEvent& event);

  void set_ready(bool ready) { ready_ = ready; }

  // Updates the spool and status-view gauges (also done on every /metrics scrape).
  void refresh_gauges();

 private:
  asio::awaitable<HttpResponse> route(HttpRequest& request, BodyReader& body, std::string& name);
  asio::awaitable<HttpResponse> put_file(HttpRequest& request, BodyReader& body);
  // POST /v1/files (multipart/form-data): form_upload_handler.cpp.
  asio::awaitable<HttpResponse> post_files(HttpRequest& request, BodyReader& body);
  HttpResponse get_upload(const HttpRequest& request);
  // GET /v1/uploads/{id}/events (server-sent events): events_handler.cpp.
  HttpResponse get_events(const HttpRequest& request);
  asio::awaitable<void> stream_events(std::string upload_id, ChunkWriter& writer);
  HttpResponse get_spooled(const HttpRequest& request);
  HttpResponse metrics();
  bool client_authorized(const HttpRequest& request) const;

  // Spooling is done: publishes status `queued` and the job, then marks the manifest (the
  // steps below, one after the other).
  Status publish(const SpoolManifest& manifest);
  // `queued`, confirmed by Kafka before the job exists, so no worker's later state can be
  // overtaken by it in the compacted topic.
  Result<StatusEvent> publish_queued(const SpoolManifest& manifest, Deadline deadline);
  // The job; then the manifest is marked published and the view shows `queued`. On failure
  // says `failed` on the status topic (publish_refused).
  Status publish_job(const SpoolManifest& manifest, const StatusEvent& queued, Deadline deadline,
                     std::chrono::steady_clock::time_point started);
  // Best effort, not waited for: a `queued` upload was refused after all.
  void publish_refused(const StatusEvent& queued, std::string reason);
  Job job_for(const SpoolManifest& manifest) const;

  IngestOptions options_;
  Spool& spool_;
  JobPublisher& jobs_;
  StatusSink& statuses_;
  StatusView& view_;
  IngestMetrics& metrics_;
  asio::thread_pool& blocking_;
  const Clock& clock_;
  std::shared_ptr<PipelineBufferBudget> pipeline_budget_;
  std::atomic<bool> ready_{false};
  std::atomic<int> event_streams_{0};
};

}  // namespace upfleet
