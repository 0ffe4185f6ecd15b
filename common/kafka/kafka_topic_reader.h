// Reads every partition of a topic from the beginning without a consumer group (each reader
// keeps its own complete view: the ingest's status view, tests, upfleetctl). Calls `on_message`
// for each record, on the reader's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/kafka/kafka_holders.h"
#include "common/kafka/kafka_settings.h"

namespace upfleet::kafka {

struct TopicRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  bool tombstone = false;  // null value (a compaction delete marker)
  std::vector<std::pair<std::string, std::string>> headers;
};

class KafkaTopicReader {
 public:
  using Handler = std::function<void(const TopicRecord&)>;

  // Connects and starts reading on a background thread. Metadata for the topic is awaited
  // up to `metadata_timeout`: kUnavailable when the broker or topic cannot be found.
  // `fetch_defaults` are librdkafka consumer properties (fetch.min.bytes, fetch.wait.max.ms)
  // for readers that can lag a little: kafka.properties still override them.
  static Result<std::unique_ptr<KafkaTopicReader>> start(const KafkaSettings& settings,
                                                         std::string topic, Handler on_message,
                                                         std::chrono::milliseconds metadata_timeout,
                                                         const Properties& fetch_defaults = {});
  ~KafkaTopicReader();
  KafkaTopicReader(const KafkaTopicReader&) = delete;
  KafkaTopicReader& operator=(const KafkaTopicReader&) = delete;

  // True once every partition was read up to its end as of start (the view is complete).
  bool caught_up() const { return caught_up_.load(); }
  // Blocks until caught_up() or timeout; returns caught_up().
  bool wait_caught_up(std::chrono::milliseconds timeout) const;

  // Blocks until everything written to the topic before this call has been handed to the
  // handler (or timeout); returns whether it has.
  bool wait_current(std::chrono::milliseconds timeout);

 private:
  KafkaTopicReader(KafkaHandle handle, std::string topic, int partitions, Handler handler);
  void run();

  KafkaHandle handle_;
  std::string topic_;
  int partitions_;
  Handler handler_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> caught_up_{false};
  mutable std::mutex positions_mutex_;
  std::condition_variable positions_changed_;
  std::map<int32_t, int64_t> positions_;  // next offset to read, per partition
  std::thread thread_;
};

// Number of partitions of `topic`, or an error naming the topic.
Result<int> partition_count(rd_kafka_t* handle, const std::string& topic,
                            std::chrono::milliseconds timeout);

}  // namespace upfleet::kafka
