// PUT /v1/files/{key}: stream the body into the spool, make it durable, publish the job, and
// only then answer 202.
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "common/log.h"
#include "common/object_key.h"
#include "producer/checksum_header.h"
#include "producer/ingest_service.h"
#include "producer/manifest_status.h"
#include "producer/run_blocking.h"
#include "producer/spool_write_pipeline.h"
#include "producer/upload_replies.h"

namespace upfleet {
namespace bhttp = beast::http;

namespace {

constexpr std::string_view kFilesPrefix = "/v1/files/";

}  // namespace

Job IngestService::job_for(const SpoolManifest& manifest) const {
  Job job;
  job.job_id = manifest.job_id;
  job.upload_id = manifest.upload_id;
  job.type = JobType::kUpload;
  job.bucket = manifest.bucket;
  job.key = manifest.key;
  job.source.uri = options_.advertise_url + "/internal/spool/" + manifest.upload_id;
  job.source.size = manifest.size;
  job.source.sha256 = manifest.sha256;
  job.source.content_type = manifest.content_type;
  job.metadata = manifest.metadata;
  job.created_at = manifest.created_at;
  job.ingest_id = options_.ingest_id;
  return job;
}

Result<StatusEvent> IngestService::publish_queued(const SpoolManifest& manifest,
                                                  Deadline deadline) {
  StatusEvent queued = status_for_manifest(manifest, UploadState::kQueued, options_.ingest_id,
                                           format_rfc3339(clock_.now()));
  if (auto sent = statuses_.publish(queued, deadline); !sent) return fail(sent.error());
  return queued;
}

void IngestService::publish_refused(const StatusEvent& queued, std::string reason) {
  StatusEvent refused = queued;
  refused.state = UploadState::kFailed;
  refused.stage = "ingest";
  refused.reason = std::move(reason);
  refused.retryable = false;
  (void)statuses_.publish(refused, clock_.steady_now());  // send, do not wait
}

Status IngestService::publish_job(const SpoolManifest& manifest, const StatusEvent& queued,
                                  Deadline deadline,
                                  std::chrono::steady_clock::time_point started) {
  if (auto sent = jobs_.publish(job_for(manifest), deadline); !sent) {
    // The client gets 503 for this upload id; say so on the status topic too (best effort:
    // Kafka is likely down), so the `queued` does not linger in rebuilt views.
    publish_refused(queued, "job not confirmed by Kafka; the upload was refused (HTTP 503)");
    return sent;
  }
  metrics_.publish_seconds.Observe(
      std::chrono::duration<double>(clock_.steady_now() - started).count());
  // Failing to record this only means recovery would publish the job once more; kNotFound
  // means a fast worker's `uploaded` already removed the bytes.
  if (auto marked = spool_.mark_published(manifest.upload_id);
      !marked && marked.error().code != ErrorCode::kNotFound) {
    log::warn("could not mark upload published",
              {{"upload_id", manifest.upload_id}, {"error", marked.error().message}});
  }
  view_.apply(queued);
  return {};
}

Status IngestService::publish(const SpoolManifest& manifest) {
  const auto started = clock_.steady_now();
  // One deadline for both, so a client waits at most kafka.publish_timeout for its answer.
  const Deadline deadline = started + options_.publish_timeout;
  auto queued = publish_queued(manifest, deadline);
  if (!queued) return fail(queued.error());
  return publish_job(manifest, *queued, deadline, started);
}

asio::awaitable<HttpResponse> IngestService::put_file(HttpRequest& request, BodyReader& body) {
  const auto started = clock_.steady_now();
  if (!client_authorized(request)) {
    HttpResponse response = json_error(401, "unauthorized", "missing or wrong bearer token");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    co_return response;
  }
  auto key = percent_decode(std::string_view(request.path).substr(kFilesPrefix.size()));
  if (!key) co_return json_error(400, "invalid_key", key.error().message);
  if (auto valid = validate_object_key(*key); !valid) {
    co_return json_error(400, "invalid_key", valid.error().message);
  }
  if (request.content_length && *request.content_length > options_.max_body_bytes) {
    HttpResponse response = json_error(
        413, "too_large",
        "body of " + std::to_string(*request.content_length) + " bytes exceeds the limit of " +
            std::to_string(options_.max_body_bytes) + " (http.max_body_bytes)");
    response.close = true;
    co_return response;
  }
  // A malformed checksum is refused before any byte is read, like a bad key.
  std::optional<std::string> expected_sha256;
  const auto checksum_header = request.headers->find(
      beast::string_view(kChecksumSha256Header.data(), kChecksumSha256Header.size()));
  if (checksum_header != request.headers->end()) {
    auto parsed = parse_sha256_checksum(std::string_view(checksum_header->value()));
    if (!parsed) co_return json_error(400, "invalid_checksum", parsed.error().message);
    expected_sha256 = std::move(*parsed);
  }

  SpoolManifest manifest;
  manifest.upload_id = new_id();
  manifest.job_id = new_id();
  manifest.bucket = options_.default_bucket;
  manifest.key = *key;
  manifest.content_type = std::string(request.header(bhttp::field::content_type));
  if (manifest.content_type.empty()) manifest.content_type = "application/octet-stream";
  manifest.created_at = format_rfc3339(clock_.now());

  auto writer = spool_.create(manifest.upload_id, options_.max_body_bytes);
  if (!writer) co_return spool_error(writer.error());

  SpoolWritePipeline body_writer(
      blocking_, std::move(*writer),
      {.inline_bytes = options_.inline_body_bytes, .budget = pipeline_budget_});
  for (;;) {
    auto got = co_await body.read(body_writer.buffer());
    if (!got) {
      log::warn("upload body failed", {{"upload_id", manifest.upload_id},
                                       {"key", manifest.key},
                                       {"error", got.error().message}});
      HttpResponse response = spool_error(got.error());
      response.close = true;
      co_await body_writer.abandon();
      co_return response;
    }
    if (*got == 0) break;
    if (auto written = co_await body_writer.write(*got); !written) {
      co_await body_writer.abandon();
      co_return spool_error(written.error());
    }
    metrics_.bytes_received.Increment(static_cast<double>(*got));
  }
  if (auto written = co_await body_writer.drain(); !written) {
    co_await body_writer.abandon();
    co_return spool_error(written.error());
  }

  const SpooledFile received = body_writer.writer().digest();
  if (expected_sha256 && *expected_sha256 != received.sha256) {
    co_await body_writer.abandon();  // nothing committed or published
    co_return checksum_mismatch(manifest.key, *expected_sha256, received.sha256);
  }
  manifest.size = received.size;
  manifest.sha256 = received.sha256;

  // The bytes and manifest become durable (an fsync of the file, one of its directory) while
  // Kafka confirms `queued`; the job, the only message a worker acts on, still waits for both.
  const auto publish_started = clock_.steady_now();
  const Deadline deadline = publish_started + options_.publish_timeout;
  auto outcome = co_await run_blocking_both(
      blocking_,
      [this, &body_writer, &manifest] {
        return body_writer.writer().commit_with_manifest(manifest);
      },
      [this, &manifest, deadline] { return publish_queued(manifest, deadline); });
  const Status& stored = outcome.first;
  const Result<StatusEvent>& queued = outcome.second;
  if (!stored) {
    if (queued) {
      publish_refused(*queued, "the ingest could not store the upload (" + stored.error().message +
                                   "); it was refused");
    }
    co_return spool_error(stored.error());
  }
  Status published = queued ? Status() : Status(fail(queued.error()));
  if (published) {
    published =
        co_await run_blocking(blocking_, [this, &manifest, &queued, deadline, publish_started] {
          return publish_job(manifest, *queued, deadline, publish_started);
        });
  }
  if (!published) {
    (void)spool_.remove(manifest.upload_id);
    metrics_.publish_failures.Increment();
    log::error("job not confirmed by kafka; upload refused",
               {{"upload_id", manifest.upload_id},
                {"key", manifest.key},
                {"error", published.error().message}});
    HttpResponse response =
        json_error(503, "queue_unavailable",
                   "the job queue did not confirm the upload; nothing was kept, retry later");
    response.headers.emplace_back("Retry-After", "5");
    co_return response;
  }

  metrics_.uploads_accepted.Increment();
  refresh_gauges();
  metrics_.upload_size.Observe(static_cast<double>(manifest.size));
  metrics_.accept_seconds.Observe(
      std::chrono::duration<double>(clock_.steady_now() - started).count());
  log::info("upload accepted", {{"upload_id", manifest.upload_id},
                                {"key", manifest.key},
                                {"size", manifest.size},
                                {"sha256", manifest.sha256}});
  nlohmann::json reply = {
      {"upload_id", manifest.upload_id},
      {"key", manifest.key},
      {"size", manifest.size},
      {"sha256", manifest.sha256},
      {"status_url", options_.advertise_url + "/v1/uploads/" + manifest.upload_id}};
  co_return json_response(202, reply.dump());
}

}  // namespace upfleet
