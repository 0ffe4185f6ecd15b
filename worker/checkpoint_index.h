// What the status topic tells a worker about uploads, for redelivered jobs:
//  - the multipart uploads in progress (upload_id -> latest `uploading` checkpoint): a
//    redelivered job resumes the UploadId another worker started instead of sending every
//    part again; entries leave once the upload moves on;
//  - the uploads already stored: a job redelivered after a rebalance or crash whose upload is
//    done is skipped, not run again (bounded: the most recent kMaxStoredRemembered).
// Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/object_store.h"
#include "common/status_event.h"

namespace upfleet {

class CheckpointIndex {
 public:
  void apply(const StatusEvent& event);
  std::optional<UploadCheckpoint> find(const std::string& upload_id) const;
  size_t size() const;
  bool is_stored(const std::string& upload_id) const;

  static constexpr size_t kMaxStoredRemembered = 1'000'000;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, UploadCheckpoint> checkpoints_;
  std::unordered_set<std::string> stored_;
  std::deque<std::string> stored_order_;  // oldest first, to forget beyond the bound
};

}  // namespace upfleet
