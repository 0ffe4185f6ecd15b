// DeadLetterSink on Kafka. Headers: upfleet-dlq-stage, upfleet-dlq-error,
// upfleet-dlq-attempts, upfleet-dlq-topic, upfleet-dlq-partition, upfleet-dlq-offset.
#pragma once

#include "common/dead_letter_sink.h"
#include "common/kafka/kafka_producer.h"

namespace upfleet::kafka {

class KafkaDeadLetterSink final : public DeadLetterSink {
 public:
  KafkaDeadLetterSink(KafkaProducer& producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  Status send(const DeadLetter& letter) override;

 private:
  KafkaProducer& producer_;
  std::string topic_;
};

}  // namespace upfleet::kafka
