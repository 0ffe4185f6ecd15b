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

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace upfleet
