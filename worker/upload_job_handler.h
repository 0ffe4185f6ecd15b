// Runs an `upload` job: stores the source bytes as the object, verifies it, and describes the
// result as an `uploaded` status event. Idempotent: an object that already holds the same
// SHA-256 is not uploaded again, so redelivered jobs are no-ops.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/job.h"
#include "common/object_store.h"
#include "common/status_event.h"
#include "common/status_sink.h"
#include "worker/source_opener.h"

namespace upfleet {

// Object metadata names (x-amz-meta-*) the worker writes and verifies.
inline constexpr std::string_view kMetaSha256 = "sha256";
inline constexpr std::string_view kMetaUploadId = "upfleet-upload-id";

// When to ask the store whether the object is already stored before uploading it.
enum class ExistingCheck {
  kRepeats,  // only for jobs that may have run before; a first delivery uploads at once
  kAlways,
};

// Whether a job may have run before (a redelivery after a crash or rebalance, a retry, a
// job published twice) or certainly has not (see JobMessage::first_delivery).
enum class Delivery { kFirst, kMaybeRepeated };

struct UploadOutcome {
  StatusEvent event;              // state uploaded
  bool skipped = false;           // the object was already there with the same checksum
  bool existence_checked = true;  // false when a first delivery uploaded without asking
  uint64_t bytes_sent = 0;
  PutStats stats;
};

// Where an upload's progress goes and where a resumed one finds its checkpoint. Both optional.
struct UploadProgress {
  StatusSink* statuses = nullptr;  // receives `uploading` events (best effort)
  std::function<std::optional<UploadCheckpoint>(const std::string& upload_id)> find_checkpoint;
};

class UploadJobHandler {
 public:
  UploadJobHandler(ObjectStore& store, SourceOpener& sources, std::string default_bucket,
                   const Clock& clock, UploadProgress progress = {},
                   ExistingCheck existing_check = ExistingCheck::kRepeats)
      : store_(store),
        sources_(sources),
        default_bucket_(std::move(default_bucket)),
        clock_(clock),
        progress_(std::move(progress)),
        existing_check_(existing_check) {}

  // Errors keep `retryable` from the layer that failed (S3, source fetch); a verification
  // mismatch is a retryable kIntegrity error (the next attempt uploads again). kCancelled when
  // `cancelled` stopped it (a multipart upload is then left to resume). A job that may have
  // run before first asks the store whether the object is already there (then it is a no-op);
  // a first delivery skips that request unless ExistingCheck::kAlways, and asks only if its
  // source is gone (a job published twice whose first run stored the object, after which the
  // ingest removed the spool file).
  Result<UploadOutcome> run(const Job& job, const std::function<bool()>& cancelled = {},
                            Delivery delivery = Delivery::kMaybeRepeated);

 private:
  UploadOutcome uploaded(const Job& job, const ObjectRef& ref, const ObjectInfo& info,
                         bool skipped) const;
  // The outcome when the object already holds the job's bytes, nullopt when it must be
  // uploaded; an error when the store could not say.
  Result<std::optional<UploadOutcome>> stored_already(const Job& job, const ObjectRef& ref) const;
  void report(const Job& job, const ObjectRef& ref, const UploadCheckpoint& checkpoint) const;

  ObjectStore& store_;
  SourceOpener& sources_;
  std::string default_bucket_;
  const Clock& clock_;
  UploadProgress progress_;
  ExistingCheck existing_check_;
};

}  // namespace upfleet
