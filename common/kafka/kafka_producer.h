// An idempotent librdkafka producer (acks=all, murmur2_random partitioner so Java producers
// pick the same partition for a key) whose sends block until the delivery report.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/kafka/kafka_holders.h"
#include "common/kafka/kafka_settings.h"

namespace upfleet::kafka {

using MessageHeaders = std::vector<std::pair<std::string, std::string>>;

// How long a message waits for others to share its produce request (linger.ms, which
// `kafka.properties` may override).
enum class Linger {
  // Not at all: a caller waits for its one message with nothing else to send (each of the
  // ingest's 202s waits for two acknowledgements; 1 ms of linger made a 1 MiB PUT at one
  // client 1.5 ms slower), or sends one message after the other (dlq replay).
  kNone,
  // 5 ms: many messages are produced at once (a worker's status events from its concurrent
  // jobs, upfleetctl enqueue of many files), and fewer, fuller requests cost the broker less.
  kBatch,
};

class KafkaProducer {
 public:
  // `delivery_timeout` becomes message.timeout.ms: after it, an unconfirmed message fails.
  static Result<std::unique_ptr<KafkaProducer>> create(const KafkaSettings& settings,
                                                       std::chrono::milliseconds delivery_timeout,
                                                       Linger linger);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Produces one message and blocks until its delivery report (success, or failure once
  // delivery_timeout passed: retryable kTimeout/kUnavailable) or until `deadline`, whichever
  // comes first. After the deadline the outcome is unknown (kTimeout): the message may still
  // be delivered. Thread-safe.
  Status produce(std::string_view topic, std::string_view key, std::string_view value,
                 const MessageHeaders& headers, Deadline deadline = kNoDeadline);

  // Learns the topics' partitions now, so the first message to each is not held back by a
  // metadata round trip (about a second in librdkafka). Best effort (logs when the broker does
  // not answer), except that a topic the broker says does not exist is a kNotFound error.
  Status prepare(const std::vector<std::string>& topics, std::chrono::milliseconds timeout);

  // Waits for outstanding messages (shutdown).
  void flush(std::chrono::milliseconds timeout);

  // False after librdkafka reported a fatal error (the producer must be recreated).
  bool healthy() const { return !fatal_.load(); }

 private:
  KafkaProducer(KafkaHandle handle, std::chrono::milliseconds delivery_timeout);
  void poll_loop();

  KafkaHandle handle_;
  std::chrono::milliseconds delivery_timeout_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> fatal_{false};
  std::thread poller_;
  std::vector<rd_kafka_topic_t*> prepared_topics_;  // kept so librdkafka keeps their metadata
};

}  // namespace upfleet::kafka
