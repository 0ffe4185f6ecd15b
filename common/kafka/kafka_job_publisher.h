// JobPublisher and StatusSink on Kafka: JSON values, keys per DESIGN (object key for jobs,
// upload_id for status), both through one shared idempotent producer.
#pragma once

#include "common/job_publisher.h"
#include "common/kafka/kafka_producer.h"
#include "common/status_sink.h"

namespace upfleet::kafka {

class KafkaJobPublisher final : public JobPublisher {
 public:
  KafkaJobPublisher(KafkaProducer& producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  using JobPublisher::publish;
  Status publish(const Job& job, Deadline deadline) override;

 private:
  KafkaProducer& producer_;
  std::string topic_;
};

class KafkaStatusSink final : public StatusSink {
 public:
  KafkaStatusSink(KafkaProducer& producer, std::string topic)
      : producer_(producer), topic_(std::move(topic)) {}
  using StatusSink::publish;
  Status publish(const StatusEvent& event, Deadline deadline) override;

 private:
  KafkaProducer& producer_;
  std::string topic_;
};

}  // namespace upfleet::kafka
