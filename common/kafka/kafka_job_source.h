// JobSource on a Kafka consumer group: cooperative-sticky assignment, manual commits (nothing
// is committed automatically, so an offset never passes an unfinished job).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/job_source.h"
#include "common/kafka/kafka_holders.h"
#include "common/kafka/kafka_settings.h"

namespace upfleet::kafka {

struct KafkaJobSourceOptions {
  std::string group_id = "upfleet-workers";
  std::string topic = "upfleet.jobs";
  std::chrono::milliseconds max_poll_interval{300'000};
  std::chrono::milliseconds session_timeout{45'000};
  // librdkafka statistics: consumer lag per assigned partition, reported on the polling
  // thread every interval (0 = off).
  std::chrono::milliseconds stats_interval{5'000};
  std::function<void(int32_t partition, int64_t lag)> on_lag;
};

class KafkaJobSource final : public JobSource {
 public:
  static Result<std::unique_ptr<KafkaJobSource>> create(const KafkaSettings& settings,
                                                        KafkaJobSourceOptions options);
  ~KafkaJobSource() override;

  Result<std::optional<JobMessage>> poll(std::chrono::milliseconds timeout) override;
  Status commit_offset(const TopicPartition& partition, int64_t next_offset,
                       const std::string& metadata) override;
  std::map<TopicPartition, std::string> committed_metadata(
      const std::vector<TopicPartition>& partitions) override;
  std::map<TopicPartition, int64_t> high_watermarks(const std::vector<TopicPartition>& partitions,
                                                    std::chrono::milliseconds timeout) override;
  std::vector<int32_t> assigned_partitions() const override;
  void close() override;
  uint64_t rebalance_count() const override { return rebalances_.load(); }
  void set_rebalance_listener(RebalanceListener* listener) override { listener_ = listener; }
  Status pause(const std::vector<TopicPartition>& partitions) override;
  Status resume(const std::vector<TopicPartition>& partitions) override;

 private:
  KafkaJobSource() = default;
  static void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static int on_stats(rd_kafka_t* handle, char* json, size_t json_len, void* opaque);

  KafkaHandle handle_;
  KafkaJobSourceOptions options_;
  mutable std::mutex mutex_;
  std::set<int32_t> assigned_;  // guarded by mutex_
  std::atomic<uint64_t> rebalances_{0};
  RebalanceListener* listener_ = nullptr;  // called on the polling thread only
  bool closed_ = false;
};

}  // namespace upfleet::kafka
