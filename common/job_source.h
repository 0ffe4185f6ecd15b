// The seam through which workers receive jobs. KafkaJobSource implements it on a consumer
// group; tests use FakeJobSource.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace upfleet {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// Told about partitions coming and going. Both calls happen inside JobSource::poll(), on the
// polling thread.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void on_assigned(const std::vector<TopicPartition>& partitions) = 0;
  // Before the partitions go: finish or abandon their jobs and commit what is finished
  // (commit() still works for them during this call).
  virtual void on_revoking(const std::vector<TopicPartition>& partitions) = 0;
  // The partitions are already gone (session timed out, fenced): commits would be refused.
  // Stop their jobs; another member owns them now.
  virtual void on_lost(const std::vector<TopicPartition>& partitions) = 0;
};

struct JobMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  // True when no reader can have taken this message before: it was produced after this
  // consumer was given its partition (at or above the high watermark then) and is seen for
  // the first time since. Set by JobLoop; false whenever that is not known.
  bool first_delivery = false;
};

class JobSource {
 public:
  virtual ~JobSource() = default;

  // The next message, or nullopt when none arrived within `timeout`. Must be called often
  // (it also serves rebalances and keeps the group membership alive). Errors are transient
  // consumer problems worth logging; polling again is the remedy. Not thread-safe.
  virtual Result<std::optional<JobMessage>> poll(std::chrono::milliseconds timeout) = 0;

  // Records that every message of the partition below `next_offset` is finished and commits
  // that synchronously, with `metadata` attached for the partition's next reader (we note
  // which offsets above it are finished too, so they are not run again). Retryable errors
  // when the commit did not go through.
  virtual Status commit_offset(const TopicPartition& partition, int64_t next_offset,
                               const std::string& metadata) = 0;
  Status commit(const std::string& topic, int32_t partition, int64_t next_offset) {
    return commit_offset({topic, partition}, next_offset, {});
  }

  // The metadata committed with the group's current offsets of these partitions ("" when
  // none). Blocks briefly; callable from RebalanceListener::on_assigned.
  virtual std::map<TopicPartition, std::string> committed_metadata(
      const std::vector<TopicPartition>& partitions) = 0;

  // The partitions' high watermarks (the offset the next message produced will get), asked
  // of the brokers now. Partitions whose watermark could not be learned within `timeout`
  // are missing. Blocks; callable from RebalanceListener::on_assigned.
  virtual std::map<TopicPartition, int64_t> high_watermarks(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) = 0;

  // Partitions currently assigned to this consumer.
  virtual std::vector<int32_t> assigned_partitions() const = 0;

  // Group rebalances (assignments and revocations) seen since start.
  virtual uint64_t rebalance_count() const = 0;

  // Receives assignment changes from now on (nullptr: nobody). Not owned.
  virtual void set_rebalance_listener(RebalanceListener* listener) = 0;

  // Stops / restarts fetching from these partitions; poll() keeps serving the group.
  // Pause only partitions that are fetching and resume only paused ones: with librdkafka
  // (2.0.2) resuming a partition that is not paused silently drops the messages it has
  // already fetched, and a pause outlives revocation (the partition comes back paused).
  virtual Status pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual Status resume(const std::vector<TopicPartition>& partitions) = 0;

  // Commits nothing more and leaves the group (a rebalance hands the partitions on).
  virtual void close() = 0;
};

}  // namespace upfleet
