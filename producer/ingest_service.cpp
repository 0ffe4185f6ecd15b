#include "producer/ingest_service.h"

#include "common/log.h"
#include "producer/auth.h"

namespace upfleet {
namespace bhttp = beast::http;

namespace {

constexpr std::string_view kFilesPrefix = "/v1/files/";
constexpr std::string_view kFilesPath = "/v1/files";
constexpr std::string_view kUploadsPrefix = "/v1/uploads/";
constexpr std::string_view kSpoolPrefix = "/internal/spool/";
constexpr std::string_view kEventsSuffix = "/events";

}  // namespace

IngestService::IngestService(IngestOptions options, Spool& spool, JobPublisher& jobs,
                             StatusSink& statuses, StatusView& view, IngestMetrics& metrics,
                             asio::thread_pool& blocking, const Clock& clock)
    : options_(std::move(options)),
      spool_(spool),
      jobs_(jobs),
      statuses_(statuses),
      view_(view),
      metrics_(metrics),
      blocking_(blocking),
      clock_(clock),
      pipeline_budget_(std::make_shared<PipelineBufferBudget>(options_.pipeline_buffer_bytes)) {}

asio::awaitable<HttpResponse> IngestService::handle(HttpRequest& request, BodyReader& body) {
  std::string route_name = "other";
  HttpResponse response = co_await route(request, body, route_name);
  metrics_.count_request(route_name, response.status);
  co_return response;
}

asio::awaitable<HttpResponse> IngestService::route(HttpRequest& request, BodyReader& body,
                                                   std::string& name) {
  const std::string& path = request.path;
  const auto method = request.method;
  if (path.starts_with(kFilesPrefix)) {
    name = "put_file";
    if (method != bhttp::verb::put) {
      co_return json_error(405, "method_not_allowed", "use PUT /v1/files/{key}");
    }
    co_return co_await put_file(request, body);
  }
  if (path == kFilesPath) {
    name = "post_files";
    if (method != bhttp::verb::post) {
      co_return json_error(405, "method_not_allowed", "use POST /v1/files (multipart/form-data)");
    }
    co_return co_await post_files(request, body);
  }
  if (path.starts_with(kUploadsPrefix) && path.ends_with(kEventsSuffix)) {
    name = "upload_events";
    if (method != bhttp::verb::get) {
      co_return json_error(405, "method_not_allowed", "use GET /v1/uploads/{id}/events");
    }
    co_return get_events(request);
  }
  if (path.starts_with(kUploadsPrefix)) {
    name = "get_upload";
    if (method != bhttp::verb::get) {
      co_return json_error(405, "method_not_allowed", "use GET /v1/uploads/{id}");
    }
    co_return get_upload(request);
  }
  if (path.starts_with(kSpoolPrefix)) {
    name = "spool";
    if (method != bhttp::verb::get) {
      co_return json_error(405, "method_not_allowed", "use GET /internal/spool/{id}");
    }
    co_return get_spooled(request);
  }
  if (path == "/healthz") {
    name = "healthz";
    co_return json_response(200, R"({"status":"ok"})");
  }
  if (path == "/readyz") {
    name = "readyz";
    if (!ready_.load()) co_return json_error(503, "not_ready", "status view is still loading");
    co_return json_response(200, R"({"status":"ready"})");
  }
  if (path == "/metrics") {
    name = "metrics";
    co_return metrics();
  }
  co_return json_error(404, "not_found", "no such endpoint: " + path);
}

bool IngestService::client_authorized(const HttpRequest& request) const {
  if (options_.auth_tokens.empty()) return true;
  return token_accepted(request.header(bhttp::field::authorization), options_.auth_tokens);
}

HttpResponse IngestService::get_upload(const HttpRequest& request) {
  if (!client_authorized(request)) {
    return json_error(401, "unauthorized", "missing or wrong bearer token");
  }
  const std::string id = request.path.substr(kUploadsPrefix.size());
  if (!is_valid_upload_id(id)) return json_error(400, "bad_upload_id", "malformed upload id");
  auto event = view_.find(id);
  if (!event) return json_error(404, "not_found", "no upload with id " + id);
  return json_response(200, to_json(*event));
}

void IngestService::refresh_gauges() {
  const auto usage = spool_.usage();
  metrics_.spool_bytes.Set(static_cast<double>(usage.bytes));
  metrics_.spool_files.Set(static_cast<double>(usage.files));
  metrics_.status_view_uploads.Set(static_cast<double>(view_.size()));
}

HttpResponse IngestService::metrics() {
  refresh_gauges();
  HttpResponse response = json_response(200, render_metrics(metrics_.registry()));
  response.content_type = "text/plain; version=0.0.4";
  return response;
}

void IngestService::on_status(const StatusEvent& event) {
  if (!is_stored(event.state)) return;
  if (event.ingest_id != options_.ingest_id) return;  // another ingest holds those bytes
  if (!spool_.read_manifest(event.upload_id)) return;
  if (auto removed = spool_.remove(event.upload_id); removed) {
    metrics_.spool_deleted.Increment();
    refresh_gauges();
    log::info("spool file deleted after upload",
              {{"upload_id", event.upload_id}, {"key", event.key}});
  }
}

Status IngestService::recover() {
  auto held = spool_.recover();
  if (!held) return fail(held.error());
  size_t republished = 0;
  for (const SpoolManifest& manifest : *held) {
    auto status = view_.find(manifest.upload_id);
    if (status && is_stored(status->state)) {
      (void)spool_.remove(manifest.upload_id);
      continue;
    }
    if (manifest.state == SpoolState::kPublished) continue;
    // Durable but the job's confirmation was not recorded: publish again under the same ids
    // (workers treat a repeated job as a no-op once the object is stored).
    if (auto published = publish(manifest); !published) {
      return fail(published.error().with_context("recovering upload " + manifest.upload_id));
    }
    metrics_.recovered_jobs.Increment();
    ++republished;
  }
  log::info("spool recovery done", {{"held", held->size()}, {"republished", republished}});
  return {};
}

}  // namespace upfleet
