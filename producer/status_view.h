// The ingest's in-memory view of `upfleet.status`: the latest state of every upload, built
// from the compacted topic (and rebuilt from it at start). Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status_event.h"

namespace upfleet {

class StatusView;

// The changes of one upload, queued for one subscriber (an SSE stream) by StatusView::apply.
// Thread-safe. The queue is bounded: a subscriber that falls behind is marked overflowed
// instead of slowing the view down. Must not outlive its StatusView.
class StatusSubscription {
 public:
  ~StatusSubscription();  // unsubscribes; once it returns, `notify` is never called again
  StatusSubscription(const StatusSubscription&) = delete;
  StatusSubscription& operator=(const StatusSubscription&) = delete;

  // The queued events, oldest first; empties the queue.
  std::vector<StatusEvent> take();
  // True once an event arrived while `capacity` events were waiting: it was dropped, so the
  // subscriber has lost changes and should end (its client subscribes again).
  bool overflowed() const;

 private:
  friend class StatusView;
  StatusSubscription(StatusView& view, std::string upload_id, size_t capacity,
                     std::function<void()> notify);
  void deliver(const StatusEvent& event);  // under the view's lock

  StatusView& view_;
  const std::string upload_id_;
  const size_t capacity_;
  const std::function<void()> notify_;
  mutable std::mutex mutex_;
  std::deque<StatusEvent> queue_;  // guarded by mutex_
  bool overflowed_ = false;        // guarded by mutex_
};

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

  // Subscribes to the changes of `upload_id`; its current state, when known, is queued
  // first, so no change falls between reading the state and subscribing. `notify` runs after
  // every queued event, under the view's lock and on the applying thread: it must be quick,
  // must not block and must not call into the view (post a wake-up elsewhere).
  std::unique_ptr<StatusSubscription> subscribe(const std::string& upload_id, size_t capacity,
                                                std::function<void()> notify);
  size_t subscribers() const;

 private:
  friend class StatusSubscription;
  void unsubscribe(StatusSubscription* subscription);

  mutable std::mutex mutex_;
  std::unordered_multimap<std::string, StatusSubscription*> subscriptions_;  // under mutex_
  mutable std::condition_variable changed_;
  std::unordered_map<std::string, StatusEvent> events_;
  Listener listener_;
};

}  // namespace upfleet
