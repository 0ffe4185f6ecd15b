// The ingest's in-memory view of `upfleet.status`: the latest state of every upload, built
// from the compacted topic (and rebuilt from it at start). Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/status_event.h"

namespace upfleet {

class StatusView {
 public:
  // Called (outside the lock) for every event that changed the view.
  using Listener = std::function<void(const StatusEvent&)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // Applies an event. An event of lower progress (a late `queued` after `uploaded`) does not
  // replace a later state. Returns whether the view changed.
  bool apply(const StatusEvent& event);

  std::optional<StatusEvent> find(const std::string& upload_id) const;
  size_t size() const;

  // Blocks until the state of `upload_id` changes from `seen` (nullopt = unknown) or `timeout`.
  std::optional<StatusEvent> wait_for_change(const std::string& upload_id,
                                             const std::optional<StatusEvent>& seen,
                                             std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::unordered_map<std::string, StatusEvent> events_;
  Listener listener_;
};

}  // namespace upfleet
