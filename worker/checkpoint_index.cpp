#include "worker/checkpoint_index.h"

namespace upfleet {

void CheckpointIndex::apply(const StatusEvent& event) {
  std::lock_guard lock(mutex_);
  if (event.state == UploadState::kUploading && !event.multipart_upload_id.empty()) {
    checkpoints_[event.upload_id] = {event.multipart_upload_id, event.part_size, event.parts_total,
                                     event.parts_done};
  } else if (event.state != UploadState::kFailed && event.state != UploadState::kDeadLettered) {
    // A failed or dead-lettered attempt keeps its checkpoint: a retry or replay resumes it.
    checkpoints_.erase(event.upload_id);
  }
}

std::optional<UploadCheckpoint> CheckpointIndex::find(const std::string& upload_id) const {
  std::lock_guard lock(mutex_);
  auto it = checkpoints_.find(upload_id);
  if (it == checkpoints_.end()) return std::nullopt;
  return it->second;
}

size_t CheckpointIndex::size() const {
  std::lock_guard lock(mutex_);
  return checkpoints_.size();
}

}  // namespace upfleet
