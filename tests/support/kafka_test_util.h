// Kafka helpers for tests against the real broker: private topics per test, and reading a
// topic back to check what was (or was not) published.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/kafka/kafka_settings.h"

namespace upfleet::testing {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  bool compacted = false;
};

// Creates the topics (replication factor 1); existing topics are fine.
Status create_topics(const std::string& brokers, const std::vector<TopicSpec>& topics);

// A fresh set of upfleet topics named upfleet-test-<suffix>.{jobs,status,dlq}.
kafka::Topics create_test_topics(const std::string& brokers, int job_partitions = 6);

struct ReadRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
};

// Every record of `topic` at the moment of the call (reads to the end of each partition).
Result<std::vector<ReadRecord>> read_topic(
    const std::string& brokers, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace upfleet::testing
