#include "producer/status_view.h"

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

}  // namespace upfleet
