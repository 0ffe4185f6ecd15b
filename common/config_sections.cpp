#include "common/config_sections.h"

#include <unistd.h>

namespace upfleet {

KafkaSection read_kafka_section(ConfigReader& reader, std::string_view default_client_id) {
  KafkaSection section;
  section.settings.brokers = reader.get_string("kafka.brokers", "127.0.0.1:9092");
  if (section.settings.brokers.empty()) {
    reader.add_problem("kafka.brokers", "is empty; give host:port[,host:port] of the brokers");
  }
  section.settings.client_id = reader.get_string("kafka.client_id", default_client_id);
  section.settings.properties = reader.get_map("kafka.properties.");
  section.topics.jobs = reader.get_string("kafka.topics.jobs", section.topics.jobs);
  section.topics.status = reader.get_string("kafka.topics.status", section.topics.status);
  section.topics.dead_letters = reader.get_string("kafka.topics.dlq", section.topics.dead_letters);
  return section;
}

log::Level read_log_level(ConfigReader& reader) {
  const std::string text = reader.get_string("log.level", "info");
  log::Level level = log::Level::kInfo;
  if (!log::parse_level(text, level)) {
    reader.add_problem("log.level",
                       "'" + text + "' is not a level; use debug, info, warn or error");
  }
  return level;
}

s3::S3Config read_s3_section(ConfigReader& reader) {
  s3::S3Config config;
  config.endpoint = reader.get_string("s3.endpoint", "https://s3.amazonaws.com");
  if (!config.endpoint.starts_with("http://") && !config.endpoint.starts_with("https://")) {
    reader.add_problem("s3.endpoint",
                       "'" + config.endpoint + "' must start with http:// or https://");
  }
  config.region = reader.get_string("s3.region", "us-east-1");
  config.access_key_id = reader.get_required("s3.access_key_id");
  config.secret_access_key = reader.get_secret("s3.secret_access_key");
  if (config.secret_access_key.empty()) {
    reader.add_problem(
        "s3.secret_access_key",
        "is required; set UPFLEET_S3_SECRET_ACCESS_KEY or s3.secret_access_key_file");
  }
  config.session_token = reader.get_secret("s3.session_token");
  config.path_style = reader.get_bool("s3.path_style", false);
  config.connect_timeout = reader.get_duration("s3.connect_timeout", std::chrono::seconds(10),
                                               std::chrono::milliseconds(100));
  return config;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace upfleet
