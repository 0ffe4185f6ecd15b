// The status event for a spooled upload: the identity its manifest records, from this ingest.
// The `queued` of a new upload and the `failed` of an expired one carry the same fields.
#pragma once

#include <string>
#include <string_view>

#include "common/spool.h"
#include "common/status_event.h"

namespace upfleet {

// `state` of the upload `manifest` describes, reported by ingest `ingest_id` at `at` (RFC 3339).
StatusEvent status_for_manifest(const SpoolManifest& manifest, UploadState state,
                                std::string_view ingest_id, std::string at);

}  // namespace upfleet
