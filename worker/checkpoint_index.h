// The multipart uploads in progress, as the status topic tells them: upload_id -> the latest
// `uploading` checkpoint. A redelivered job finds here the UploadId another worker started,
// and resumes it instead of sending every part again. Entries leave once the upload moves on,
// so the index holds only uploads in flight. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/object_store.h"
#include "common/status_event.h"

namespace upfleet {

class CheckpointIndex {
 public:
  void apply(const StatusEvent& event);
  std::optional<UploadCheckpoint> find(const std::string& upload_id) const;
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, UploadCheckpoint> checkpoints_;
};

}  // namespace upfleet
