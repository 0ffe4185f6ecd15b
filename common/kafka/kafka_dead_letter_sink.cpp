#include "common/kafka/kafka_dead_letter_sink.h"

namespace upfleet::kafka {

Status KafkaDeadLetterSink::send(const DeadLetter& letter) {
  MessageHeaders headers = letter.original.headers;
  headers.emplace_back("upfleet-dlq-stage", letter.stage);
  headers.emplace_back("upfleet-dlq-error", letter.error);
  headers.emplace_back("upfleet-dlq-attempts", std::to_string(letter.attempts));
  headers.emplace_back("upfleet-dlq-topic", letter.original.topic);
  headers.emplace_back("upfleet-dlq-partition", std::to_string(letter.original.partition));
  headers.emplace_back("upfleet-dlq-offset", std::to_string(letter.original.offset));
  return producer_.produce(topic_, letter.original.key, letter.original.value, headers);
}

}  // namespace upfleet::kafka
