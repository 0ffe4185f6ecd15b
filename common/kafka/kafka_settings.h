// Connection settings shared by every Kafka client of a process, and the builder that turns
// them into an rd_kafka_conf_t.
#pragma once

#include <map>
#include <string>

#include "common/error.h"
#include "common/kafka/kafka_holders.h"

namespace upfleet::kafka {

struct KafkaSettings {
  std::string brokers;    // bootstrap.servers
  std::string client_id;  // shows up in broker logs and metrics
  // Passed to librdkafka verbatim (security.protocol, sasl.*, ssl.*, ...); `kafka.properties.*`
  // in config.
  std::map<std::string, std::string> properties;
};

struct Topics {
  std::string jobs = "upfleet.jobs";
  std::string status = "upfleet.status";
  std::string dead_letters = "upfleet.jobs.dlq";
};

using Properties = std::map<std::string, std::string>;

// A conf built in this order, later ones winning: `defaults` (upfleet's choices an operator
// may tune, e.g. linger.ms), brokers and client id, the passthrough `kafka.properties`, then
// `required` (what upfleet's guarantees rest on: idempotence, acks, commits, assignment). A
// passthrough property that a required one replaces is logged as a warning.
// kInvalidArgument naming the property librdkafka rejected.
Result<ConfHandle> make_conf(const KafkaSettings& settings, const Properties& required,
                             const Properties& defaults = {});

// Maps a librdkafka error to ours, keeping librdkafka's retriable flag.
Error kafka_error(rd_kafka_resp_err_t code, std::string_view context);

}  // namespace upfleet::kafka
