#include "producer/status_view.h"

#include <algorithm>
#include <iterator>

namespace upfleet {
namespace {

bool same_state(const StatusEvent& a, const StatusEvent& b) {
  return a.state == b.state && a.parts_done == b.parts_done && a.at == b.at;
}

}  // namespace

bool StatusView::apply(const StatusEvent& event) {
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = events_.try_emplace(event.upload_id, event);
    if (!inserted) {
      if (progress_rank(event.state) < progress_rank(it->second.state)) return false;
      if (same_state(it->second, event)) return false;
      it->second = event;
    }
    // Under the lock, so every subscriber sees the changes in the order the view took them.
    auto [first, last] = subscriptions_.equal_range(event.upload_id);
    for (auto sub = first; sub != last; ++sub) sub->second->deliver(event);
  }
  changed_.notify_all();
  if (listener_) listener_(event);
  return true;
}

std::optional<StatusEvent> StatusView::find(const std::string& upload_id) const {
  std::lock_guard lock(mutex_);
  auto it = events_.find(upload_id);
  if (it == events_.end()) return std::nullopt;
  return it->second;
}

size_t StatusView::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

std::optional<StatusEvent> StatusView::wait_for_change(const std::string& upload_id,
                                                       const std::optional<StatusEvent>& seen,
                                                       std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  auto current = [&]() -> std::optional<StatusEvent> {
    auto it = events_.find(upload_id);
    if (it == events_.end()) return std::nullopt;
    return it->second;
  };
  changed_.wait_for(lock, timeout, [&] {
    auto now = current();
    if (!now) return false;
    return !seen || !same_state(*seen, *now);
  });
  return current();
}

std::unique_ptr<StatusSubscription> StatusView::subscribe(const std::string& upload_id,
                                                          size_t capacity,
                                                          std::function<void()> notify) {
  std::unique_ptr<StatusSubscription> subscription(
      new StatusSubscription(*this, upload_id, capacity, std::move(notify)));
  std::lock_guard lock(mutex_);
  if (auto it = events_.find(upload_id); it != events_.end()) {
    subscription->deliver(it->second);
  }
  subscriptions_.emplace(upload_id, subscription.get());
  return subscription;
}

size_t StatusView::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

void StatusView::unsubscribe(StatusSubscription* subscription) {
  std::lock_guard lock(mutex_);
  auto [first, last] = subscriptions_.equal_range(subscription->upload_id_);
  for (auto it = first; it != last; ++it) {
    if (it->second == subscription) {
      subscriptions_.erase(it);
      return;
    }
  }
}

StatusSubscription::StatusSubscription(StatusView& view, std::string upload_id, size_t capacity,
                                       std::function<void()> notify)
    : view_(view),
      upload_id_(std::move(upload_id)),
      capacity_(std::max<size_t>(capacity, 1)),
      notify_(std::move(notify)) {}

StatusSubscription::~StatusSubscription() {
  view_.unsubscribe(this);
}

void StatusSubscription::deliver(const StatusEvent& event) {
  {
    std::lock_guard lock(mutex_);
    if (overflowed_) return;
    if (queue_.size() >= capacity_) {
      overflowed_ = true;
    } else {
      queue_.push_back(event);
    }
  }
  if (notify_) notify_();
}

std::vector<StatusEvent> StatusSubscription::take() {
  std::lock_guard lock(mutex_);
  std::vector<StatusEvent> events(std::make_move_iterator(queue_.begin()),
                                  std::make_move_iterator(queue_.end()));
  queue_.clear();
  return events;
}

bool StatusSubscription::overflowed() const {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

}  // namespace upfleet
