#include "common/kafka/message_headers.h"

namespace upfleet::kafka {

MessageHeaders read_headers(const rd_kafka_message_t* message) {
  MessageHeaders out;
  rd_kafka_headers_t* headers = nullptr;
  // librdkafka's accessor takes a non-const message (it parses the headers lazily).
  if (rd_kafka_message_headers(const_cast<rd_kafka_message_t*>(message), &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return out;
  }
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    out.emplace_back(name, value == nullptr ? std::string()
                                            : std::string(static_cast<const char*>(value), size));
  }
  return out;
}

}  // namespace upfleet::kafka
