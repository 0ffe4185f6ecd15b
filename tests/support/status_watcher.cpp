#include "tests/support/status_watcher.h"

namespace upfleet::testing {

StatusWatcher::StatusWatcher(const std::string& brokers, const std::string& status_topic) {
  auto reader = kafka::KafkaTopicReader::start(
      {brokers, "upfleet-test-watcher", {}}, status_topic,
      [this](const kafka::TopicRecord& record) {
        if (record.tombstone) return;
        auto event = parse_status_event(record.value);
        if (!event) return;
        {
          std::lock_guard lock(mutex_);
          seen_[event->upload_id][event->state] += 1;
        }
        changed_.notify_all();
      },
      std::chrono::seconds(30));
  if (reader) reader_ = std::move(*reader);
}

size_t StatusWatcher::reached(const std::vector<std::string>& upload_ids, UploadState state) const {
  std::lock_guard lock(mutex_);
  return reached_locked(upload_ids, state);
}

size_t StatusWatcher::reached_locked(const std::vector<std::string>& upload_ids,
                                     UploadState state) const {
  size_t count = 0;
  for (const auto& id : upload_ids) {
    auto it = seen_.find(id);
    if (it == seen_.end()) continue;
    for (const auto& [seen_state, times] : it->second) {
      // `state`, or for a stored state anything stored later (thumbnailed counts as uploaded).
      const bool later_stored = is_stored(state) && is_stored(seen_state) &&
                                progress_rank(seen_state) >= progress_rank(state);
      if (times > 0 && (seen_state == state || later_stored)) {
        ++count;
        break;
      }
    }
  }
  return count;
}

bool StatusWatcher::wait_all(const std::vector<std::string>& upload_ids, UploadState state,
                             std::chrono::milliseconds timeout) {
  // Checked under the lock the reader notifies with: a status arriving between a check and
  // the wait would otherwise go unnoticed and the wait would run to its deadline.
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout,
                           [&] { return reached_locked(upload_ids, state) == upload_ids.size(); });
}

std::map<std::string, int> StatusWatcher::counts(UploadState state) const {
  std::lock_guard lock(mutex_);
  std::map<std::string, int> out;
  for (const auto& [id, states] : seen_) {
    if (auto it = states.find(state); it != states.end()) out[id] = it->second;
  }
  return out;
}

}  // namespace upfleet::testing
