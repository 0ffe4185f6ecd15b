#include "producer/manifest_status.h"

#include <utility>

namespace upfleet {

StatusEvent status_for_manifest(const SpoolManifest& manifest, UploadState state,
                                std::string_view ingest_id, std::string at) {
  StatusEvent event;
  event.upload_id = manifest.upload_id;
  event.state = state;
  event.job_id = manifest.job_id;
  event.bucket = manifest.bucket;
  event.key = manifest.key;
  event.ingest_id = std::string(ingest_id);
  event.size = manifest.size;
  event.sha256 = manifest.sha256;
  event.at = std::move(at);
  return event;
}

}  // namespace upfleet
