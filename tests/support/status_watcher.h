// Follows a status topic in the background and answers "have these uploads reached a state?"
// for tests that publish many jobs directly to Kafka.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/kafka/kafka_topic_reader.h"
#include "common/status_event.h"

namespace upfleet::testing {

class StatusWatcher {
 public:
  StatusWatcher(const std::string& brokers, const std::string& status_topic);
  bool ok() const { return reader_ != nullptr; }

  // Waits until every id has an event in `state` (or later); false on timeout.
  bool wait_all(const std::vector<std::string>& upload_ids, UploadState state,
                std::chrono::milliseconds timeout);
  // How many events of `state` each upload got (re-runs show as counts above 1).
  std::map<std::string, int> counts(UploadState state) const;
  size_t reached(const std::vector<std::string>& upload_ids, UploadState state) const;

 private:
  size_t reached_locked(const std::vector<std::string>& upload_ids, UploadState state) const;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::map<UploadState, int>> seen_;  // upload_id -> state -> count
  std::unique_ptr<kafka::KafkaTopicReader> reader_;
};

}  // namespace upfleet::testing
