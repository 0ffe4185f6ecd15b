// Config sections shared by the binaries, read the same way everywhere.
#pragma once

#include <string>

#include "common/config_reader.h"
#include "common/kafka/kafka_settings.h"
#include "common/log.h"
#include "common/s3/s3_config.h"

namespace upfleet {

struct KafkaSection {
  kafka::KafkaSettings settings;
  kafka::Topics topics;
};

// kafka.brokers (required), kafka.client_id, kafka.topics.{jobs,status,dlq},
// kafka.properties.* (passed to librdkafka).
KafkaSection read_kafka_section(ConfigReader& reader, std::string_view default_client_id);

// s3.endpoint, s3.region, s3.access_key_id, s3.secret_access_key(_file),
// s3.session_token(_file), s3.path_style, s3.connect_timeout.
s3::S3Config read_s3_section(ConfigReader& reader);

// log.level: debug | info | warn | error.
log::Level read_log_level(ConfigReader& reader);

// This host's name, for default ids (ingest.id, worker.id).
std::string host_name();

}  // namespace upfleet
