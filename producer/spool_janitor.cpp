#include "producer/spool_janitor.h"

#include <condition_variable>
#include <mutex>

#include "common/log.h"
#include "producer/manifest_status.h"

namespace upfleet {

SpoolJanitor::SpoolJanitor(SpoolJanitorOptions options, Spool& spool, StatusSink& statuses,
                           const StatusView& view, IngestMetrics& metrics, const Clock& clock)
    : options_(std::move(options)),
      spool_(spool),
      statuses_(statuses),
      view_(view),
      metrics_(metrics),
      clock_(clock) {}

size_t SpoolJanitor::sweep() {
  if (options_.ttl.count() <= 0) return 0;
  auto held = spool_.list();
  if (!held) {
    log::warn("spool janitor could not list the spool", {{"error", held.error().message}});
    return 0;
  }
  const auto now = clock_.now();
  size_t expired = 0;
  for (const SpoolManifest& manifest : *held) {
    const auto created = parse_rfc3339(manifest.created_at);
    if (!created) {
      log::warn("spool manifest has no readable created_at; it never expires",
                {{"upload_id", manifest.upload_id},
                 {"key", manifest.key},
                 {"created_at", manifest.created_at}});
      continue;
    }
    if (now - *created < options_.ttl) continue;
    if (expire(manifest)) ++expired;
  }
  return expired;
}

bool SpoolJanitor::expire(const SpoolManifest& manifest) {
  if (auto status = view_.find(manifest.upload_id); status && is_stored(status->state)) {
    // Stored long ago but its `uploaded` was not seen while this ingest ran: not an expiry.
    (void)spool_.remove(manifest.upload_id);
    metrics_.spool_deleted.Increment();
    return false;
  }
  StatusEvent failed = status_for_manifest(manifest, UploadState::kFailed, options_.ingest_id,
                                           format_rfc3339(clock_.now()));
  failed.stage = "ingest";
  failed.reason = std::string(kSpoolExpiredReason);
  failed.retryable = false;
  if (auto sent = statuses_.publish(failed, clock_.steady_now() + options_.publish_timeout);
      !sent) {
    log::warn("spool upload expired but its failed status was not confirmed; kept for now",
              {{"upload_id", manifest.upload_id},
               {"key", manifest.key},
               {"error", sent.error().message}});
    return false;
  }
  if (auto removed = spool_.remove(manifest.upload_id); !removed) {
    log::error("could not delete expired spool upload", {{"upload_id", manifest.upload_id},
                                                         {"key", manifest.key},
                                                         {"error", removed.error().message}});
    return false;
  }
  metrics_.spool_expired.Increment();
  log::warn(
      "spool TTL expired: upload deleted before it finished",
      {{"upload_id", manifest.upload_id},
       {"key", manifest.key},
       {"created_at", manifest.created_at},
       {"size", manifest.size},
       {"ttl_seconds", std::chrono::duration_cast<std::chrono::seconds>(options_.ttl).count()}});
  return true;
}

void SpoolJanitor::run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    sweep();
    std::unique_lock lock(mutex);
    // Returns early when stop is requested; there is nothing else to wait for.
    wake.wait_for(lock, stop, options_.interval, [] { return false; });
  }
}

}  // namespace upfleet
