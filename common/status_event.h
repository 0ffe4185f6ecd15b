// Status events on the compacted topic `upfleet.status` (key = upload_id). The latest event
// per upload is its state; `uploading` events also carry what a worker needs to resume a
// multipart upload elsewhere (UploadId and finished parts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace upfleet {

enum class UploadState {
  kQueued,        // spooled and job published
  kUploading,     // parts in flight
  kUploaded,      // object stored and verified
  kThumbnailed,   // thumbnails stored
  kDone,          // nothing left to do
  kFailed,        // a stage failed (may be retried)
  kDeadLettered,  // retries exhausted; the job sits in the DLQ
};

std::string_view to_string(UploadState state);
std::optional<UploadState> parse_upload_state(std::string_view text);

// Progress order: a view never replaces a later state with an earlier one that arrives late.
// `failed` and `dead_lettered` rank with `uploading`: a retry or a DLQ replay may still
// store the object.
int progress_rank(UploadState state);

// True once the object is in storage (uploaded, thumbnailed, done): the spool copy may go.
bool is_stored(UploadState state);

struct PartRecord {
  int number = 0;
  uint64_t size = 0;
  std::string etag;
};

struct StatusEvent {
  std::string upload_id;
  UploadState state = UploadState::kQueued;
  std::string job_id;
  std::string bucket;
  std::string key;
  std::string ingest_id;
  std::string at;  // RFC 3339

  uint64_t size = 0;
  std::string sha256;
  std::string etag;  // uploaded
  std::string url;   // uploaded

  // uploading: progress and resume data.
  uint32_t parts_done = 0;
  uint32_t parts_total = 0;
  std::string multipart_upload_id;
  uint64_t part_size = 0;
  std::vector<PartRecord> parts;

  // failed / dead_lettered.
  std::string stage;
  std::string reason;
  bool retryable = false;
  int attempt = 0;

  std::vector<std::string> thumbnails;  // object keys of thumbnails
};

std::string to_json(const StatusEvent& event);
Result<StatusEvent> parse_status_event(std::string_view json);

}  // namespace upfleet
