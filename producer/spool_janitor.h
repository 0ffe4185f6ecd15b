// Expires spooled uploads that never finished. An upload whose job is dead-lettered, or whose
// status never says `uploaded`, would otherwise hold its bytes (and count against
// spool.max_bytes) forever; after spool.ttl the janitor deletes it and tells its client so
// with a `failed` status event.
#pragma once

#include <chrono>
#include <cstddef>
#include <stop_token>
#include <string>

#include "common/clock.h"
#include "common/spool.h"
#include "common/status_sink.h"
#include "producer/ingest_metrics.h"
#include "producer/status_view.h"

namespace upfleet {

struct SpoolJanitorOptions {
  std::string ingest_id;
  // Age (from the manifest's created_at) after which a held upload is deleted. Zero: never.
  std::chrono::milliseconds ttl{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds interval{std::chrono::minutes(1)};
  // How long one `failed` event may wait for Kafka's acknowledgement.
  std::chrono::milliseconds publish_timeout{10'000};
};

inline constexpr std::string_view kSpoolExpiredReason =
    "spool TTL expired before the upload finished";

class SpoolJanitor {
 public:
  SpoolJanitor(SpoolJanitorOptions options, Spool& spool, StatusSink& statuses,
               const StatusView& view, IngestMetrics& metrics, const Clock& clock);

  // One pass over the spool: every held upload older than the TTL is deleted after its
  // `failed` event was confirmed (when Kafka does not confirm, the upload stays for the next
  // pass, so no client is left without an answer). Uploads the status view already shows as
  // stored are just deleted (their `uploaded` was missed). Returns how many uploads expired.
  // Blocking; call from one thread at a time.
  size_t sweep();

  // Sweeps every `interval` until `stop` is requested (for a thread of its own).
  void run(std::stop_token stop);

 private:
  bool expire(const SpoolManifest& manifest);

  SpoolJanitorOptions options_;
  Spool& spool_;
  StatusSink& statuses_;
  const StatusView& view_;
  IngestMetrics& metrics_;
  const Clock& clock_;
};

}  // namespace upfleet
