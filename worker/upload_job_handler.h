// Runs an `upload` job: stores the source bytes as the object, verifies it, and describes the
// result as an `uploaded` status event. Idempotent: an object that already holds the same
// SHA-256 is not uploaded again, so redelivered jobs are no-ops.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/job.h"
#include "common/object_store.h"
#include "common/status_event.h"
#include "worker/source_opener.h"

namespace upfleet {

// Object metadata names (x-amz-meta-*) the worker writes and verifies.
inline constexpr std::string_view kMetaSha256 = "sha256";
inline constexpr std::string_view kMetaUploadId = "upfleet-upload-id";

struct UploadOutcome {
  StatusEvent event;     // state uploaded
  bool skipped = false;  // the object was already there with the same checksum
  uint64_t bytes_sent = 0;
};

class UploadJobHandler {
 public:
  UploadJobHandler(ObjectStore& store, SourceOpener& sources, std::string default_bucket,
                   const Clock& clock)
      : store_(store),
        sources_(sources),
        default_bucket_(std::move(default_bucket)),
        clock_(clock) {}

  // Errors keep `retryable` from the layer that failed (S3, source fetch); a verification
  // mismatch is a retryable kIntegrity error (the next attempt uploads again).
  Result<UploadOutcome> run(const Job& job);

 private:
  UploadOutcome uploaded(const Job& job, const ObjectRef& ref, const ObjectInfo& info,
                         bool skipped) const;

  ObjectStore& store_;
  SourceOpener& sources_;
  std::string default_bucket_;
  const Clock& clock_;
};

}  // namespace upfleet
