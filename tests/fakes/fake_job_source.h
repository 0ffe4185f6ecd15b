// A JobSource fed by the test: poll() hands out queued messages in order and never waits;
// commits are recorded. When the queue is empty, poll() calls the idle hook (tests use it to
// stop the loop once everything was consumed) and returns nullopt.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/job_source.h"

namespace upfleet::testing {

struct CommitRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;
  std::string metadata;
};

class FakeJobSource final : public JobSource {
 public:
  Result<std::optional<JobMessage>> poll(std::chrono::milliseconds timeout) override;
  Status commit_offset(const TopicPartition& partition, int64_t next_offset,
                       const std::string& metadata) override;
  std::map<TopicPartition, std::string> committed_metadata(
      const std::vector<TopicPartition>& partitions) override;
  // What committed_metadata() answers (as if an earlier owner had committed it).
  void set_committed_metadata(const TopicPartition& partition, std::string metadata);
  // What high_watermarks() answers; partitions never set are missing (as if unreachable).
  std::map<TopicPartition, int64_t> high_watermarks(const std::vector<TopicPartition>& partitions,
                                                    std::chrono::milliseconds timeout) override;
  void set_high_watermark(const TopicPartition& partition, int64_t offset);
  std::vector<int32_t> assigned_partitions() const override;
  void close() override;
  uint64_t rebalance_count() const override;
  void set_rebalance_listener(RebalanceListener* listener) override;
  Status pause(const std::vector<TopicPartition>& partitions) override;
  Status resume(const std::vector<TopicPartition>& partitions) override;

  // Rebalances delivered to the listener inside the next poll(), as Kafka does.
  void queue_assign(std::vector<TopicPartition> partitions);
  void queue_revoke(std::vector<TopicPartition> partitions);
  // Partitions paused now, and how often pause() was called.
  std::vector<TopicPartition> paused() const;
  int pause_calls() const;
  // Messages lost because resume() was called for a partition that was not paused.
  size_t dropped_by_resume() const;

  void push(JobMessage message);
  // The next commit() fails with `error` (and records nothing).
  void fail_next_commit(Error error);
  void set_on_idle(std::function<void()> hook);
  void set_on_commit(std::function<void(const CommitRecord&)> hook);

  std::vector<CommitRecord> commits() const;
  bool closed() const;
  size_t pending() const;

 private:
  mutable std::mutex mutex_;
  std::deque<JobMessage> queue_;       // guarded by mutex_
  std::vector<CommitRecord> commits_;  // guarded by mutex_
  std::deque<Error> commit_failures_;  // guarded by mutex_
  std::function<void()> on_idle_;
  std::function<void(const CommitRecord&)> on_commit_;
  bool closed_ = false;  // guarded by mutex_
  struct RebalanceEvent {
    bool assign = true;
    std::vector<TopicPartition> partitions;
  };
  std::deque<RebalanceEvent> rebalances_;                     // guarded by mutex_
  uint64_t rebalance_count_ = 0;                              // guarded by mutex_
  RebalanceListener* listener_ = nullptr;                     // guarded by mutex_
  std::vector<TopicPartition> paused_;                        // guarded by mutex_
  int pause_calls_ = 0;                                       // guarded by mutex_
  size_t dropped_by_resume_ = 0;                              // guarded by mutex_
  std::map<TopicPartition, std::string> committed_metadata_;  // guarded by mutex_
  std::map<TopicPartition, int64_t> high_watermarks_;         // guarded by mutex_
};

}  // namespace upfleet::testing
