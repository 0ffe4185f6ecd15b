#include "tests/fakes/fake_job_source.h"

#include <algorithm>

namespace upfleet::testing {

Result<std::optional<JobMessage>> FakeJobSource::poll(std::chrono::milliseconds) {
  std::function<void()> idle;
  for (;;) {
    RebalanceEvent event;
    RebalanceListener* listener = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (rebalances_.empty()) break;
      event = std::move(rebalances_.front());
      rebalances_.pop_front();
      ++rebalance_count_;
      listener = listener_;
    }
    if (listener == nullptr) continue;
    if (event.assign) {
      listener->on_assigned(event.partitions);
    } else {
      listener->on_revoking(event.partitions);
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (!queue_.empty()) {
      JobMessage message = std::move(queue_.front());
      queue_.pop_front();
      return std::optional<JobMessage>(std::move(message));
    }
    idle = on_idle_;
  }
  if (idle) idle();
  return std::optional<JobMessage>();
}

Status FakeJobSource::commit_offset(const TopicPartition& tp, int64_t next_offset,
                                    const std::string& metadata) {
  CommitRecord record{tp.topic, tp.partition, next_offset, metadata};
  std::function<void(const CommitRecord&)> hook;
  {
    std::lock_guard lock(mutex_);
    if (!commit_failures_.empty()) {
      Error error = std::move(commit_failures_.front());
      commit_failures_.pop_front();
      return fail(std::move(error));
    }
    commits_.push_back(record);
    hook = on_commit_;
  }
  if (hook) hook(record);
  return {};
}

std::vector<int32_t> FakeJobSource::assigned_partitions() const {
  return {0};
}

std::map<TopicPartition, std::string> FakeJobSource::committed_metadata(
    const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mutex_);
  std::map<TopicPartition, std::string> out;
  for (const auto& tp : partitions) {
    if (auto it = committed_metadata_.find(tp); it != committed_metadata_.end())
      out[tp] = it->second;
  }
  return out;
}

void FakeJobSource::set_committed_metadata(const TopicPartition& partition, std::string metadata) {
  std::lock_guard lock(mutex_);
  committed_metadata_[partition] = std::move(metadata);
}

std::map<TopicPartition, int64_t> FakeJobSource::high_watermarks(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds) {
  std::lock_guard lock(mutex_);
  std::map<TopicPartition, int64_t> out;
  for (const auto& tp : partitions) {
    if (auto it = high_watermarks_.find(tp); it != high_watermarks_.end()) out[tp] = it->second;
  }
  return out;
}

void FakeJobSource::set_high_watermark(const TopicPartition& partition, int64_t offset) {
  std::lock_guard lock(mutex_);
  high_watermarks_[partition] = offset;
}

uint64_t FakeJobSource::rebalance_count() const {
  std::lock_guard lock(mutex_);
  return rebalance_count_;
}

void FakeJobSource::set_rebalance_listener(RebalanceListener* listener) {
  std::lock_guard lock(mutex_);
  listener_ = listener;
}

Status FakeJobSource::pause(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mutex_);
  ++pause_calls_;
  for (const auto& tp : partitions) {
    if (std::find(paused_.begin(), paused_.end(), tp) == paused_.end()) paused_.push_back(tp);
  }
  return {};
}

Status FakeJobSource::resume(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mutex_);
  for (const auto& tp : partitions) {
    if (std::find(paused_.begin(), paused_.end(), tp) != paused_.end()) {
      std::erase(paused_, tp);
      continue;
    }
    // As librdkafka 2.0.2 does: resuming a partition that is not paused drops what it had
    // fetched (the messages queued now), and fetching goes on after them.
    dropped_by_resume_ += std::erase_if(queue_, [&](const JobMessage& message) {
      return message.topic == tp.topic && message.partition == tp.partition;
    });
  }
  return {};
}

size_t FakeJobSource::dropped_by_resume() const {
  std::lock_guard lock(mutex_);
  return dropped_by_resume_;
}

void FakeJobSource::queue_assign(std::vector<TopicPartition> partitions) {
  std::lock_guard lock(mutex_);
  rebalances_.push_back({true, std::move(partitions)});
}

void FakeJobSource::queue_revoke(std::vector<TopicPartition> partitions) {
  std::lock_guard lock(mutex_);
  rebalances_.push_back({false, std::move(partitions)});
}

std::vector<TopicPartition> FakeJobSource::paused() const {
  std::lock_guard lock(mutex_);
  return paused_;
}

int FakeJobSource::pause_calls() const {
  std::lock_guard lock(mutex_);
  return pause_calls_;
}

void FakeJobSource::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
}

void FakeJobSource::push(JobMessage message) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(message));
}

void FakeJobSource::fail_next_commit(Error error) {
  std::lock_guard lock(mutex_);
  commit_failures_.push_back(std::move(error));
}

void FakeJobSource::set_on_idle(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  on_idle_ = std::move(hook);
}

void FakeJobSource::set_on_commit(std::function<void(const CommitRecord&)> hook) {
  std::lock_guard lock(mutex_);
  on_commit_ = std::move(hook);
}

std::vector<CommitRecord> FakeJobSource::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

bool FakeJobSource::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

size_t FakeJobSource::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace upfleet::testing
