#include "worker/checkpoint_index.h"

namespace upfleet {
namespace {

bool is_stored_state(UploadState state) {
  return is_stored(state);
}

}  // namespace

void CheckpointIndex::apply(const StatusEvent& event) {
  std::lock_guard lock(mutex_);
  if (is_stored_state(event.state) && stored_.insert(event.upload_id).second) {
    stored_order_.push_back(event.upload_id);
    if (stored_order_.size() > kMaxStoredRemembered) {
      stored_.erase(stored_order_.front());
      stored_order_.pop_front();
    }
  }
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

bool CheckpointIndex::is_stored(const std::string& upload_id) const {
  std::lock_guard lock(mutex_);
  return stored_.contains(upload_id);
}

size_t CheckpointIndex::size() const {
  std::lock_guard lock(mutex_);
  return checkpoints_.size();
}

}  // namespace upfleet
