#include "common/kafka/kafka_settings.h"

#include "common/log.h"

namespace upfleet::kafka {
namespace {

Status set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    return fail(Error::invalid("kafka property " + name + ": " + errstr));
  }
  return {};
}

// librdkafka's own diagnostics, as JSON lines like everything else (syslog levels).
void on_log(const rd_kafka_t* handle, int level, const char* facility, const char* message) {
  const log::Level ours = level <= 3   ? log::Level::kError
                          : level == 4 ? log::Level::kWarn
                          : level <= 6 ? log::Level::kInfo
                                       : log::Level::kDebug;
  log::write(ours, "librdkafka",
             {{"client", rd_kafka_name(handle)}, {"facility", facility}, {"detail", message}});
}

}  // namespace

Result<ConfHandle> make_conf(const KafkaSettings& settings, const Properties& required,
                             const Properties& defaults) {
  ConfHandle conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), on_log);
  for (const auto& [name, value] : defaults) {
    if (auto s = set(conf.get(), name, value); !s) return fail(s.error());
  }
  if (auto s = set(conf.get(), "bootstrap.servers", settings.brokers); !s) return fail(s.error());
  if (!settings.client_id.empty()) {
    if (auto s = set(conf.get(), "client.id", settings.client_id); !s) return fail(s.error());
  }
  for (const auto& [name, value] : settings.properties) {
    if (auto s = set(conf.get(), name, value); !s) return fail(s.error());
  }
  for (const auto& [name, value] : required) {
    if (auto it = settings.properties.find(name);
        it != settings.properties.end() && it->second != value) {
      log::warn("kafka.properties setting ignored: upfleet needs its own value",
                {{"property", name}, {"configured", it->second}, {"used", value}});
    }
    if (auto s = set(conf.get(), name, value); !s) return fail(s.error());
  }
  return conf;
}

Error kafka_error(rd_kafka_resp_err_t code, std::string_view context) {
  const std::string message = std::string(context) + ": " + rd_kafka_err2str(code);
  switch (code) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT: return Error::transient(ErrorCode::kTimeout, message);
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Error::transient(ErrorCode::kResourceExhausted,
                              message + " (raise kafka.properties.queue.buffering.max.messages)");
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      return Error::permanent(ErrorCode::kTooLarge, message);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return Error::transient(
          ErrorCode::kUnavailable,
          message + " (create the topics: scripts/services up does it locally)");
    default: return Error::transient(ErrorCode::kUnavailable, message);
  }
}

}  // namespace upfleet::kafka
