// A consumed Kafka message's headers as (name, value) pairs, in the order they were sent.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

namespace upfleet::kafka {

using MessageHeaders = std::vector<std::pair<std::string, std::string>>;

// Empty when the message has none. A header without a value reads as "".
MessageHeaders read_headers(const rd_kafka_message_t* message);

}  // namespace upfleet::kafka
